"""The database's own numbers: its version, and its read ceiling where a standard tool exists."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.config import BenchConfig
from storage.sql.engine import create_engine


async def server_version(backend: str, url: str) -> str:
    """What the database says it is."""
    if backend == "mongo":
        from pymongo import AsyncMongoClient

        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
        try:
            info = await client.admin.command("buildInfo")
            return f"MongoDB {info['version']}"
        finally:
            await client.close()
    engine = create_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            return f"SQLite {sqlite3.sqlite_version}"
        async with engine.connect() as conn:
            return str((await conn.execute(text("SELECT version()"))).scalar_one())
    finally:
        await engine.dispose()


def database_ceiling(name: str, url: str, config: BenchConfig) -> dict[str, Any] | None:
    """``pgbench -S`` (select-only, primary-key reads) on PostgreSQL; None elsewhere.

    pgbench is PostgreSQL's own load tool in C with a native client: the most
    point reads per second this server gives on this machine, at the same
    concurrency as the API runs.
    """
    if name != "postgres" or shutil.which("pgbench") is None:
        return None
    dsn = make_url(url).render_as_string(hide_password=False)
    subprocess.run(["pgbench", "-i", "-s", "1", "-q", dsn], check=True, capture_output=True)
    command = [
        "pgbench", "-S", "-n", "-c", str(config.concurrency), "-j", "2",
        "-T", str(max(1, round(config.seconds))), dsn,
    ]  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    match = re.search(r"tps = ([\d.]+)", output)
    return {"tool": "pgbench -S", "throughput": float(match.group(1)) if match else None}
