"""Static checks of the container files: compose.yaml and the Dockerfile.

No Docker engine is needed; these tests read the files and catch the mistakes
that would otherwise surface only at `docker compose up` (a missing
healthcheck, an env var the settings class silently ignores, ...).
"""

from __future__ import annotations

import re
import subprocess
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


PROFILES = {
    # profile: (its api service, the variable that points at the database, what it contains)
    "postgres": ("api-postgres", "DATABASE_URL", "@postgres:5432/"),
    "mariadb": ("api-mariadb", "DATABASE_URL", "@mariadb:3306/"),
    "mongo": ("api-mongo", "MONGO_URL", "mongo:27017"),
}


def _seconds(text: str) -> int:
    match = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", text)
    assert match and text, f"not a compose duration: {text!r}"
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def test_compose_has_an_api_and_a_database_per_profile(services: dict[str, Any]) -> None:
    for profile, (api, _, _) in PROFILES.items():
        assert services[api].get("profiles") == [profile]
        assert services[profile].get("profiles") == [profile]


@pytest.mark.parametrize(("service", "image"), sorted(EXPECTED_IMAGES.items()))
def test_database_images(services: dict[str, Any], service: str, image: str) -> None:
    name = str(services[service]["image"])
    assert name.split(":", 1)[0] == image


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_api_is_built_here_and_waits_for_its_healthy_database(
    services: dict[str, Any], profile: str
) -> None:
    api, variable, host = PROFILES[profile]
    service = services[api]
    build = service["build"]
    assert (build if isinstance(build, str) else build.get("context")) == "."
    assert service["depends_on"] == {profile: {"condition": "service_healthy"}}
    env = service["environment"]
    assert host in env[variable]
    assert env["STORAGE_BACKEND"] == ("mongo" if profile == "mongo" else "sql")


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_api_gets_longer_to_stop_than_it_drains(services: dict[str, Any], profile: str) -> None:
    """Compose's SIGKILL must not cut the graceful shutdown short."""
    service = services[PROFILES[profile][0]]
    drain = re.search(r"(\d+)\}?$", str(service["environment"]["TIMEOUT_GRACEFUL_SHUTDOWN"]))
    assert drain is not None
    assert _seconds(service["stop_grace_period"]) > int(drain.group(1))


def test_every_service_has_a_healthcheck(services: dict[str, Any]) -> None:
    missing = [
        name
        for name, service in services.items()
        if not (service.get("healthcheck") or {}).get("test")
    ]
    assert not missing, f"services without a healthcheck: {missing}"


def test_mongo_runs_a_replica_set(services: dict[str, Any]) -> None:
    command = _command_text(services["mongo"])
    assert "--replSet" in command
    replica_set = re.search(r"--replSet[ =](\S+)", command)
    assert replica_set is not None
    # The healthcheck must initiate the same set the server was started with,
    # and the API must ask for it.
    healthcheck = " ".join(map(str, services["mongo"]["healthcheck"]["test"]))
    assert "rs.initiate" in healthcheck
    assert replica_set.group(1) in healthcheck
    assert f"replicaSet={replica_set.group(1)}" in services["api-mongo"]["environment"]["MONGO_URL"]


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_api_environment_matches_settings(services: dict[str, Any], profile: str) -> None:
    """A variable the settings class does not know would be ignored silently."""
    from api.settings import Settings

    known = {name.upper() for name in Settings.model_fields}
    unknown = _environment_names(services[PROFILES[profile][0]]) - known
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
    assert froms[-1].split()[0] == "python:3.13-slim"
    assert "HEALTHCHECK" in keywords
    assert any(k == "EXPOSE" and "8000" in a for k, a in instructions)
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users, "the image must not run as root"
    assert users[-1] not in {"root", "0"}


def test_dockerfile_sets_settings_serve_reads() -> None:
    """``WORKERS`` and friends reach ``serve`` through the environment, so they must be settings."""
    from api.settings import Settings

    known = {name.upper() for name in Settings.model_fields}
    names = set()
    for keyword, args in _dockerfile_instructions():
        if keyword == "ENV":
            names |= set(re.findall(r"([A-Z_]+)=", args))
    assert "WORKERS" in names
    python = {
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUNBUFFERED",
        "PATH",
        "PIP_DISABLE_PIP_VERSION_CHECK",
    }
    assert names - python <= known


# --- profile "replicas": PostgreSQL primary + streaming replica, Redis, two APIs, a proxy.

REPLICAS = ["pg-primary", "pg-replica", "redis", "api-replicas-1", "api-replicas-2", "proxy"]
REPLICA_APIS = ["api-replicas-1", "api-replicas-2"]
DEPLOY = ROOT / "deploy" / "replicas"
# uvicorn reads this one itself (it is not a setting of ours): trust the proxy's X-Forwarded-For.
UVICORN_VARIABLES = {"FORWARDED_ALLOW_IPS"}


def test_the_replicas_profile_has_its_whole_deployment(services: dict[str, Any]) -> None:
    in_profile = sorted(name for name, s in services.items() if "replicas" in s.get("profiles", []))
    assert in_profile == sorted(REPLICAS)
    assert services["pg-primary"]["image"].split(":")[0] == "postgres"
    assert services["pg-replica"]["image"] == services["pg-primary"]["image"]
    assert services["redis"]["image"].split(":")[0] == "redis"
    # Only the proxy is published; the instances are reached through it.
    assert services["proxy"]["ports"] == ["8000:8000"]
    for api in REPLICA_APIS:
        assert not services[api].get("ports")


@pytest.mark.parametrize("api", REPLICA_APIS)
def test_replica_apis_read_the_replica_write_the_primary_and_share_redis(
    services: dict[str, Any], api: str
) -> None:
    from api.settings import Settings

    env = services[api]["environment"]
    assert "@pg-primary:5432/" in env["DATABASE_URL"]
    assert "@pg-replica:5432/" in env["DATABASE_READ_URLS"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    unknown = _environment_names(services[api]) - {n.upper() for n in Settings.model_fields}
    assert unknown <= UVICORN_VARIABLES, sorted(unknown)
    # The values make valid settings (compose's ${VAR:-default} resolved to its default).
    values = {
        name.lower(): re.sub(r"\$\{[A-Z_]+:?[-?]([^}]*)\}", r"\1", str(value))
        for name, value in env.items()
        if name not in UVICORN_VARIABLES
    }
    values["secret_key"] = "x" * 40
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    assert settings.read_urls() == [env["DATABASE_READ_URLS"]]
    assert settings.redis_url is not None


def test_the_replica_is_a_streaming_copy_of_the_primary(services: dict[str, Any]) -> None:
    replica, primary = services["pg-replica"], services["pg-primary"]
    assert replica["depends_on"]["pg-primary"] == {"condition": "service_healthy"}
    start = (DEPLOY / "replica-start.sh").read_text()
    assert "pg_basebackup" in start and "--host=pg-primary" in start
    assert "--write-recovery-conf" in start and "hot_standby=on" in start
    assert any("replica-start.sh" in volume for volume in replica["volumes"])
    init = (DEPLOY / "primary-init.sh").read_text()
    assert "WITH REPLICATION" in init and "host replication replicator" in init
    assert any("docker-entrypoint-initdb.d" in volume for volume in primary["volumes"])
    # One password, written once (a YAML anchor), used by both sides.
    assert (
        replica["environment"]["REPLICATION_PASSWORD"]
        == (primary["environment"]["REPLICATION_PASSWORD"])
    )
    assert "pg_is_in_recovery" in " ".join(replica["healthcheck"]["test"])
    for script in ("replica-start.sh", "primary-init.sh"):
        assert (DEPLOY / script).stat().st_mode & 0o111, f"{script} must be executable"
        syntax = subprocess.run(
            ["sh", "-n", str(DEPLOY / script)], capture_output=True, check=False
        )
        assert syntax.returncode == 0, syntax.stderr


def test_the_proxy_balances_both_instances(services: dict[str, Any]) -> None:
    config = (DEPLOY / "nginx.conf").read_text()
    upstreams = re.findall(r"server\s+([\w-]+):8000", config)
    assert sorted(upstreams) == REPLICA_APIS
    assert "listen 8000" in config and "X-Forwarded-For" in config
    assert set(services["proxy"]["depends_on"]) == set(REPLICA_APIS)
    # The second instance starts once the first has migrated (no two migrations at once).
    assert services["api-replicas-2"]["depends_on"]["api-replicas-1"] == {
        "condition": "service_healthy"
    }
