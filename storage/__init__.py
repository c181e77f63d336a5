"""Storage layer: one protocol, shared types and neutral errors, two backends.

``storage.protocol`` states the contract, ``storage.types`` the pydantic models
that cross it, ``storage.errors`` the only exceptions a caller needs to know,
and ``storage.factory.open_storage`` builds the backend chosen by settings.
"""
