"""The command line an operator uses: clear one-line failures, a server that really starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory

from storage.sql.migrate import alembic_config
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
        body = {"name": "Ada", "email": "ada@example.com", "age": 36}
        created = httpx.post(f"{server.url}/users", json=body, timeout=5)
        assert created.status_code == 201
        assert httpx.get(f"{server.url}/docs", timeout=5).status_code == 200
    assert "Application startup complete" in server.output
