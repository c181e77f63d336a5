"""``python -m api create-admin --username … --email …``: an administrator account.

The password comes from a prompt, or from standard input when that is not a
terminal (``printf '%s\\n' "$PASSWORD" | python -m api create-admin …``), never
from the command line, where other users of the machine could read it. An
existing account with that username or email is promoted to admin and given
the new password instead (its other fields stay).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from pydantic import SecretStr, ValidationError

from api.auth.passwords import Passwords
from api.settings import Settings
from storage.errors import StorageError
from storage.factory import open_storage
from storage.types import NewUser, SignUp, UserUpdate


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``create-admin`` on the CLI's sub-commands."""
    parser = commands.add_parser("create-admin", help=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--username", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--name", help="shown on their posts (default: the username)")
    parser.set_defaults(run=create_admin)


def read_password() -> str:
    """The new password: typed twice at a prompt, or one line of standard input."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password for the admin: ")
    if getpass.getpass("Again: ") != first:
        sys.exit("create-admin: the two passwords differ; nothing was changed")
    return first


def create_admin(args: argparse.Namespace) -> None:
    """Create (or promote) an administrator; one line says what happened."""
    from api.__main__ import load_settings

    settings = load_settings()
    password = read_password()
    try:
        account = SignUp(
            username=args.username,
            password=SecretStr(password),
            name=args.name or args.username,
            email=args.email,
            age=0,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        sys.exit(f"create-admin: {problems}")
    try:
        print(asyncio.run(_create(settings, account)))
    except StorageError as exc:
        sys.exit(f"create-admin failed: {exc.message}")


async def _create(settings: Settings, account: SignUp) -> str:
    passwords = Passwords(settings.password_hash_memory_kib, settings.password_hash_time_cost)
    password_hash = await passwords.hash(account.password.get_secret_value())
    storage = await open_storage(
        settings.storage_backend,
        database_url=settings.database_url,
        mongo_url=settings.mongo_url,
        timeouts=settings.timeouts(),
    )
    try:
        existing = await storage.credentials.by_login(account.username) or (
            await storage.credentials.by_login(account.email)
        )
        if existing is None:
            fields = account.model_dump(exclude={"password"})
            user = await storage.users.create(
                NewUser(**fields, role="admin", password_hash=password_hash)
            )
            return f"Created admin {user.username!r} (id {user.id})"
        await storage.users.update(existing.id, UserUpdate(role="admin", is_active=True))
        await storage.credentials.set_password(existing.id, password_hash)
        return f"Promoted {existing.username!r} (id {existing.id}) to admin with the new password"
    finally:
        await storage.close()
