"""schemathesis' own CLI against the real service: ``st run`` must be clean on every backend.

Each backend gets a fresh, migrated database and a real server (``python -m api
serve``); ``st run`` then reads ``/openapi.json`` and runs every check through
its default phases (examples, coverage, fuzzing, stateful). A fixed seed, one
worker and no example database make a run repeatable: a failure here is a
finding to fix, and running the test again shows it again.

Backends: SQLite and MongoDB always (the server of TEST_MONGO_URL, or the
run's mongoeco stand-in); PostgreSQL and MariaDB/MySQL when TEST_POSTGRES_URL
or TEST_MYSQL_URL is set. Another store is one more ``Target`` whose context
manager yields the server's environment.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pytest

from bench.databases import mongo_database, sql_database
from storage.factory import migrate_storage
from tests.accounts import ADMIN
from tests.servers import served

ST = Path(sys.executable).with_name("st")
SEED = 20261129
# Enough for every phase to reach each operation; about 20 s per backend on 2 cores.
MAX_EXAMPLES = 20
RUN_TIMEOUT_SECONDS = 300

# Every check but one. positive_data_acceptance ("data the schema allows is
# accepted") is left out on purpose, because the service enforces rules JSON
# Schema cannot state: min_age <= max_age and min_price <= max_price (two query
# parameters); emails at reserved or undeliverable domains (email-validator);
# text whose length is checked after surrounding white space is stripped; and a
# price given as a JSON number with more than two decimals (``multipleOf: 0.01``
# is not exact on binary floats). Its opposite, negative_data_rejection, runs.
CHECKS = ["--checks", "all", "--exclude-checks", "positive_data_acceptance"]

Environment = dict[str, str]


@dataclass(frozen=True)
class Target:
    """A backend to fuzz: ``store(tmp_path, request)`` makes a migrated database, yields the env."""

    id: str
    store: Callable[[Path, pytest.FixtureRequest], AbstractContextManager[Environment]]


@contextmanager
def sqlite_store(tmp_path: Path, _request: pytest.FixtureRequest) -> Iterator[Environment]:
    """A migrated SQLite file under ``tmp_path``."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    asyncio.run(migrate_storage("sql", database_url=url, mongo_url=""))
    yield {"STORAGE_BACKEND": "sql", "DATABASE_URL": url}


@contextmanager
def sql_server_store(
    variable: str, _tmp_path: Path, _request: pytest.FixtureRequest
) -> Iterator[Environment]:
    """A throw-away database on the server ``variable`` names, migrated, dropped after."""
    with sql_database(os.environ[variable]) as url:
        asyncio.run(migrate_storage("sql", database_url=url, mongo_url=""))
        yield {"STORAGE_BACKEND": "sql", "DATABASE_URL": url}


@contextmanager
def mongo_store(_tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Environment]:
    """A throw-away database on the run's Mongo server (``mongo_server``), migrated, dropped."""
    with mongo_database(request.getfixturevalue("mongo_server")) as url:
        asyncio.run(migrate_storage("mongo", database_url="", mongo_url=url))
        yield {"STORAGE_BACKEND": "mongo", "MONGO_URL": url}


def enabled_targets() -> list[Target]:
    """SQLite, plus every server a TEST_*_URL names (unreachable is a failure, not a skip)."""
    targets = [Target("sqlite", sqlite_store), Target("mongo", mongo_store)]
    servers = [("postgres", "TEST_POSTGRES_URL"), ("mariadb", "TEST_MYSQL_URL")]
    for name, variable in servers:
        if os.environ.get(variable):
            targets.append(Target(name, partial(sql_server_store, variable)))
    return targets


TARGETS = enabled_targets()


def create_admin_account(env: Environment) -> None:
    """``python -m api create-admin`` on the target's database, password on stdin.

    A decoy account takes id 1 first: the run tries ids such as 1 on every
    operation (DELETE /users/1 included), and the account whose token it uses
    must outlive the run.
    """
    for username in ("decoy", ADMIN["username"]):
        command = ["create-admin", "--username", username, "--email", f"{username}@example.com"]
        done = subprocess.run(
            [sys.executable, "-m", "api", *command],
            env={**os.environ, **env},
            input=ADMIN["password"] + "\n",
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr


def st_run(schema_url: str, workdir: Path, token: str) -> subprocess.CompletedProcess[str]:
    """``st run`` with every check, default phases, bounded and repeatable, as an admin.

    As the admin, every write is allowed, so the run reaches past the 401s and
    403s into what each operation does (tests/test_security.py covers who may).
    """
    command = [
        str(ST), "run", schema_url, *CHECKS,
        "--header", f"Authorization: Bearer {token}",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(SEED),
        "--workers", "1",
        "--generation-database", "none",  # nothing carried over from an earlier run
        "--suppress-health-check", "all",  # they measure time: a slow machine is no finding
        "--request-timeout", "30",
        "--no-color",
    ]  # fmt: skip
    return subprocess.run(
        command,
        cwd=workdir,  # anything st writes stays in the test's directory
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )


@pytest.mark.parametrize("target", TARGETS, ids=[target.id for target in TARGETS])
def test_schemathesis_run_is_clean(
    target: Target, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with target.store(tmp_path, request) as env:
        create_admin_account(env)
        with served(env, "--no-access-log") as server:
            document = httpx.get(f"{server.url}/openapi.json", timeout=10).json()
            login = {"username": ADMIN["username"], "password": ADMIN["password"]}
            token = httpx.post(f"{server.url}/auth/token", data=login).json()["access_token"]
            result = st_run(f"{server.url}/openapi.json", tmp_path, token)
    report = f"{result.stdout}\n{result.stderr}\n--- server output ---\n{server.output}"
    assert result.returncode == 0, report
    operations = sum(len(item) for item in document["paths"].values())
    assert f"Tested: {operations}" in result.stdout, report  # every operation was reached
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in result.stdout, report
    assert "Traceback" not in server.output, report
