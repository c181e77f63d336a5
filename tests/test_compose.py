"""Static checks of the container files: compose.yaml and the Dockerfile.

No Docker engine is needed; these tests read the files and catch the mistakes
that would otherwise surface only at `docker compose up` (a missing
healthcheck, an env var the settings class silently ignores, ...).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"

EXPECTED_IMAGES = {"postgres": "postgres", "mongo": "mongo", "mariadb": "mariadb"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "compose.yaml must be a mapping"
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    services = compose.get("services")
    assert isinstance(services, dict), "compose.yaml has no services mapping"
    return services


def _environment_names(service: dict[str, Any]) -> set[str]:
    """Variable names a service sets, whether `environment` is a map or a list."""
    env = service.get("environment") or {}
    if isinstance(env, dict):
        return set(env)
    return {item.split("=", 1)[0] for item in env}


def _command_text(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def test_compose_parses_with_api_and_databases(services: dict[str, Any]) -> None:
    assert {"api", "postgres", "mongo"} <= set(services)


@pytest.mark.parametrize(("service", "image"), sorted(EXPECTED_IMAGES.items()))
def test_database_images(services: dict[str, Any], service: str, image: str) -> None:
    if service == "mariadb" and service not in services:
        pytest.skip("mariadb service is optional")
    name = str(services[service]["image"])
    assert name.split(":", 1)[0] == image


def test_api_is_built_from_this_repository(services: dict[str, Any]) -> None:
    build = services["api"]["build"]
    context = build if isinstance(build, str) else build.get("context")
    assert context == "."


def test_every_service_has_a_healthcheck(services: dict[str, Any]) -> None:
    missing = [
        name
        for name, service in services.items()
        if not (service.get("healthcheck") or {}).get("test")
    ]
    assert not missing, f"services without a healthcheck: {missing}"


def test_api_waits_for_healthy_databases(services: dict[str, Any]) -> None:
    depends_on = services["api"].get("depends_on")
    assert isinstance(depends_on, dict), "api.depends_on must use the long form with conditions"
    for db in ("postgres", "mongo"):
        assert db in depends_on, f"api does not depend on {db}"
        assert depends_on[db].get("condition") == "service_healthy"


def test_api_points_at_the_compose_databases(services: dict[str, Any]) -> None:
    env = services["api"]["environment"]
    assert isinstance(env, dict)
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert "mongo:27017" in env["MONGO_URL"]
    assert "STORAGE_BACKEND" in env


def test_mariadb_is_opt_in(services: dict[str, Any]) -> None:
    if "mariadb" not in services:
        pytest.skip("mariadb service is optional")
    assert services["mariadb"].get("profiles"), "mariadb must sit behind a profile"


def test_mongo_runs_a_replica_set(services: dict[str, Any]) -> None:
    command = _command_text(services["mongo"])
    assert "--replSet" in command
    replica_set = re.search(r"--replSet[ =](\S+)", command)
    assert replica_set is not None
    # The healthcheck must initiate the same set the server was started with.
    healthcheck = " ".join(map(str, services["mongo"]["healthcheck"]["test"]))
    assert "rs.initiate" in healthcheck
    assert replica_set.group(1) in healthcheck


def test_api_environment_matches_settings(services: dict[str, Any]) -> None:
    """A variable the settings class does not know would be ignored silently."""
    from api.settings import Settings

    known = {name.upper() for name in Settings.model_fields}
    unknown = _environment_names(services["api"]) - known
    assert not unknown, f"api sets variables Settings does not read: {sorted(unknown)}"


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with backslash continuations joined."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    logical = re.sub(r"\\\n", " ", text)
    pairs = []
    for line in logical.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        keyword, _, rest = stripped.partition(" ")
        pairs.append((keyword.upper(), rest.strip()))
    return pairs


def test_dockerfile_runs_migrate_then_serve() -> None:
    cmds = [args for keyword, args in _dockerfile_instructions() if keyword == "CMD"]
    assert cmds, "Dockerfile has no CMD"
    cmd = cmds[-1]  # only the last CMD counts
    assert "api migrate" in cmd
    assert "api serve" in cmd
    assert cmd.index("api migrate") < cmd.index("api serve")


def test_dockerfile_basics() -> None:
    instructions = _dockerfile_instructions()
    keywords = [keyword for keyword, _ in instructions]
    froms = [args for keyword, args in instructions if keyword == "FROM"]
    assert froms[-1].split()[0] == "python:3.12-slim"
    assert "HEALTHCHECK" in keywords
    assert any(k == "EXPOSE" and "8000" in a for k, a in instructions)
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users, "the image must not run as root"
    assert users[-1] not in {"root", "0"}
