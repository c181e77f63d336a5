"""The command line an operator uses: clear one-line failures, a server that really starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory

from api.settings import DEVELOPMENT_SECRET_KEY
from storage.sql.migrate import alembic_config
from tests.accounts import sign_up_body
from tests.servers import ROOT, served


def run_cli(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TEST_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_one_line_failure(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize(
    ("env", "fragments"),
    [
        ({"STORAGE_BACKEND": "postgres"}, ("STORAGE_BACKEND='postgres'", "'sql' or 'mongo'")),
        ({"DATABASE_URL": "oracle://db/x"}, ("DATABASE_URL", "sqlite://, postgresql://")),
        ({"DATABASE_URL": "nonsense"}, ("DATABASE_URL", "not a database URL")),
        ({"STORAGE_BACKEND": "mongo", "MONGO_URL": "http://x"}, ("MONGO_URL", "mongodb://")),
        ({"DB_TIMEOUT": "0"}, ("DB_TIMEOUT='0'", "greater than 0")),
        ({"DB_STATEMENT_TIMEOUT": "9"}, ("DB_STATEMENT_TIMEOUT=9.0", "DB_TIMEOUT=5.0")),
    ],
)
def test_bad_configuration_is_one_clear_line(env: dict[str, str], fragments: tuple[str]) -> None:
    for command in ("migrate", "serve"):
        assert_one_line_failure(run_cli(command, **env), "Invalid configuration", *fragments)


def test_unreachable_database_is_one_clear_line() -> None:
    url = "postgresql://postgres@127.0.0.1:1/nothing"  # port 1: nothing listens
    assert_one_line_failure(run_cli("serve", DATABASE_URL=url), "Cannot start", "unavailable")
    assert_one_line_failure(run_cli("migrate", DATABASE_URL=url), "Migration failed")


def test_unmigrated_database_names_the_fix(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert_one_line_failure(run_cli("serve", DATABASE_URL=url), "python -m api migrate")


def test_migrate_is_idempotent(tmp_path: Path) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    url = f"sqlite:///{tmp_path / 'app.db'}"
    for _ in range(2):
        result = run_cli("migrate", DATABASE_URL=url)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"sqlite schema at revision {head}"


@pytest.mark.parametrize(
    "env",
    [{"STORAGE_BACKEND": "sql"}, {"STORAGE_BACKEND": "mongo", "MONGO_URL": "mongoeco://"}],
    ids=["sqlite", "mongoeco"],
)
def test_serve_starts_a_working_server(tmp_path: Path, env: dict[str, str]) -> None:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    assert run_cli("migrate", DATABASE_URL=database).returncode == 0
    with served({"DATABASE_URL": database, **env}) as server:
        health = httpx.get(f"{server.url}/health", timeout=5)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        body = sign_up_body("ada@example.com")
        created = httpx.post(f"{server.url}/users", json=body, timeout=5)
        assert created.status_code == 201
        assert httpx.get(f"{server.url}/docs", timeout=5).status_code == 200
    assert "Application startup complete" in server.output


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"ENVIRONMENT": "production"}, "SECRET_KEY is required"),
        ({"ENVIRONMENT": "production", "SECRET_KEY": DEVELOPMENT_SECRET_KEY}, "private value"),
        ({"ENVIRONMENT": "production", "SECRET_KEY": "too-short"}, "32 or more"),
    ],
)
def test_production_refuses_a_missing_or_public_secret_key(
    tmp_path: Path, env: dict[str, str], fragment: str
) -> None:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    assert run_cli("migrate", DATABASE_URL=database, **env).returncode == 0  # needs no key
    assert_one_line_failure(
        run_cli("serve", DATABASE_URL=database, **env), "Cannot start", fragment
    )


def run_with_stdin(args: list[str], stdin: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m api *args`` with ``stdin`` piped in (not a terminal) and ``env`` added."""
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def test_create_admin_reads_the_password_from_stdin_and_promotes(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    assert run_cli("migrate", DATABASE_URL=database).returncode == 0
    args = ["create-admin", "--username", "boss", "--email", "boss@example.com"]
    first = run_with_stdin(args, "a long admin secret\n", DATABASE_URL=database)
    assert first.returncode == 0, first.stderr
    assert "Created admin 'boss'" in first.stdout and "a long admin secret" not in first.stdout
    again = run_with_stdin(args, "another admin secret\n", DATABASE_URL=database)
    assert again.returncode == 0 and "Promoted 'boss'" in again.stdout
    short = run_with_stdin(args, "short\n", DATABASE_URL=database)
    assert short.returncode != 0 and "password" in short.stderr and "short\n" not in short.stderr
