"""Who the caller is and what they may do.

::

    passwords.py  Argon2id hashing (pwdlib), a dummy hash for unknown accounts
    tokens.py     signed access tokens (PyJWT, HS256): issue and verify
    throttle.py   failed logins per account and per client address -> 429
    caller.py     the dependencies routes declare: the caller, or None, or 401
    policy.py     the one table of who may do what, and ``authorize``

Routes declare a caller dependency and call ``authorize``; no route checks a
role or an owner by itself.
"""
