"""Profile pictures: checking and re-encoding uploads, the default picture, the service."""
