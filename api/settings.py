"""Configuration from the environment (or a ``.env`` file), validated at start-up."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from api.pictures import PICTURE_MAX_BYTES
from storage.sql.urls import to_async_url
from storage.timeouts import Timeouts

_DEFAULT = Timeouts()
_HOUR = 3600.0  # no timeout above this: a bound nobody means is a typo

# Kept here (not imported from storage.mongo) so that settings never import PyMongo.
MONGO_SCHEMES = ("mongodb://", "mongodb+srv://", "mongoeco://")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-it-in-production"


class InsecureSecret(ValueError):
    """The service would sign tokens with a missing, public or short key in production."""


class Settings(BaseSettings):
    """Every setting the service reads; the environment variable is the upper-cased name."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    storage_backend: Literal["sql", "mongo"] = "sql"
    """Which storage implementation serves the API."""
    database_url: str = "sqlite:///./app.db"
    """SQL database: ``sqlite://``, ``postgresql://`` or ``mysql://``/``mariadb://``."""
    database_read_urls: str = ""
    """Read replicas of DATABASE_URL, comma-separated (same engine: PostgreSQL or MariaDB)."""
    database_read_max_lag: float = Field(default=5.0, gt=0, le=_HOUR)
    """Seconds a replica may be behind the primary and still be read."""
    mongo_url: str = "mongodb://localhost:27017/app"
    """MongoDB server (database from the path), or ``mongoeco://[/file.db]``: an embedded
    MongoDB-wire stand-in for development (memory, or a SQLite file)."""
    sql_pool_size: int = Field(default=20, ge=1, le=1000)
    """Connections per SQL engine (reads and writes each have one) in each worker process."""
    db_timeout: float = Field(default=_DEFAULT.operation, gt=0, le=_HOUR)
    """Longest wait on the database for one operation (pool, connect, statements, retries)."""
    db_connect_timeout: float = Field(default=_DEFAULT.connect, gt=0, le=_HOUR)
    """Longest wait to open one database connection (MongoDB: also to find a server)."""
    db_pool_timeout: float = Field(default=_DEFAULT.pool, gt=0, le=_HOUR)
    """Longest wait for a free pooled SQL connection."""
    db_statement_timeout: float = Field(default=_DEFAULT.statement, gt=0, le=_HOUR)
    """Longest run of one SQL statement before the database cancels it (504)."""
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    """Requests with a larger body are refused with 413 (picture uploads: see below)."""
    picture_max_bytes: int = Field(default=PICTURE_MAX_BYTES, ge=1024, le=20 * 1024 * 1024)
    """The largest picture file an upload may carry (413 above it), whatever MAX_BODY_BYTES is."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    environment: Literal["development", "production"] = "production"
    """``development`` allows the well-known secret key below; ``production`` refuses it."""
    secret_key: SecretStr | None = None
    """Signs access tokens and pagination cursors: 32+ random characters, required in
    production. Changing it ends every token issued before (and every cursor)."""
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    """How long an access token from ``POST /auth/token`` is valid."""
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    """Failed logins for one account, or 4x this from one client address, before a 429."""
    login_window_seconds: int = Field(default=900, ge=1, le=86400)
    """How long failed logins count, and how long a throttled login waits."""
    password_hash_memory_kib: int = Field(default=19_456, ge=8, le=1_048_576)
    """Argon2id memory cost (OWASP's minimum by default); lower only for tests."""
    password_hash_time_cost: int = Field(default=2, ge=1, le=20)
    """Argon2id passes."""
    log_format: Literal["json", "text"] = "json"
    """``json``: one JSON object per line (for log collectors); ``text``: for people."""
    access_log: bool = True
    """One log line per request (``serve --no-access-log`` turns it off too)."""
    server_timing: bool = True
    """A ``Server-Timing`` header on every response: database time and round trips."""
    metrics_enabled: bool = False
    """Prometheus metrics at ``/metrics``."""
    metrics_token: SecretStr | None = None
    """When set, ``/metrics`` wants ``Authorization: Bearer <token>``."""
    redis_url: SecretStr | None = None
    """Redis shared by every worker and instance (``redis://``, ``rediss://``, ``unix://``):
    login throttling, logged-out tokens, read-your-writes positions. Unset: each process
    keeps its own."""
    opentelemetry: bool = False
    """FastAPI's own OpenTelemetry traces, metrics and logs, through the providers the
    process configures (the OpenTelemetry SDK). Off: not even looked for per request."""

    # How `python -m api serve` runs uvicorn (command-line options override them).
    workers: int = Field(default=1, ge=1, le=64)
    """Worker processes; each has its own pools (see the README on pools)."""
    timeout_graceful_shutdown: int = Field(default=30, ge=1, le=3600)
    """Seconds a stopping server gives in-flight requests before cancelling them."""
    timeout_keep_alive: int = Field(default=5, ge=1, le=3600)
    """Seconds an idle keep-alive connection stays open after a response."""
    timeout_request_headers: int = Field(default=10, ge=1, le=3600)
    """Seconds a connection has to send a complete request head (idle or trickling: closed)."""
    limit_concurrency: int = Field(default=1000, ge=1)
    """Connections plus requests per worker beyond which new requests get 503."""
    backlog: int = Field(default=2048, ge=1)
    """Connections the kernel queues before the server accepts them."""

    @field_validator("storage_backend", "log_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("metrics_token", "redis_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        # compose passes an unset variable as "": that means no token, not an empty one.
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _known_sql_url(cls, value: str) -> str:
        to_async_url(value)  # raises a ValueError that names the accepted schemes
        return value

    @field_validator("database_read_urls")
    @classmethod
    def _replica_urls(cls, value: str) -> str:
        for number, url in enumerate(_split(value), start=1):
            try:
                scheme = to_async_url(url).get_backend_name()
            except ValueError:
                raise ValueError(
                    f"entry {number} is not a postgresql:// or mysql:// (mariadb://) URL"
                ) from None
            if scheme == "sqlite":
                raise ValueError(f"entry {number}: SQLite has no replicas")
        return value

    @field_validator("redis_url")
    @classmethod
    def _known_redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(REDIS_SCHEMES):
            raise ValueError(f"must start with one of {', '.join(REDIS_SCHEMES)}")
        return value

    @field_validator("mongo_url")
    @classmethod
    def _known_mongo_url(cls, value: str) -> str:
        if not value.startswith(MONGO_SCHEMES):
            raise ValueError(f"must start with one of {', '.join(MONGO_SCHEMES)}")
        return value

    @model_validator(mode="after")
    def _replicas_match(self) -> Settings:
        primary = make_url(self.database_url).get_backend_name()
        for url in self.read_urls():
            if to_async_url(url).get_backend_name() != primary:
                raise ValueError(
                    f"DATABASE_READ_URLS: {_masked(url)!r} is not a {primary} server, "
                    "as DATABASE_URL is: replicas are copies of the primary"
                )
        return self

    @model_validator(mode="after")
    def _timeouts_fit(self) -> Settings:
        for name in ("db_connect_timeout", "db_pool_timeout", "db_statement_timeout"):
            if getattr(self, name) > self.db_timeout:
                raise ValueError(
                    f"{name.upper()}={getattr(self, name)} must not exceed "
                    f"DB_TIMEOUT={self.db_timeout}, the bound on a whole operation"
                )
        return self

    def signing_key(self) -> str:
        """The secret key in use; ``InsecureSecret`` if production would run without a good one.

        Development without a key uses ``DEVELOPMENT_SECRET_KEY``, which is public
        (it is in this file) and therefore refused in production, as is any key
        shorter than 32 characters.
        """
        key = self.secret_key.get_secret_value() if self.secret_key else None
        if self.environment == "development":
            return key or DEVELOPMENT_SECRET_KEY
        if key is None:
            raise InsecureSecret("SECRET_KEY is required when ENVIRONMENT=production")
        if key == DEVELOPMENT_SECRET_KEY or len(key) < 32:
            raise InsecureSecret(
                "SECRET_KEY must be a private value of 32 or more characters in production "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return key

    def read_urls(self) -> list[str]:
        """``DATABASE_READ_URLS`` as a list (empty: no replicas)."""
        return _split(self.database_read_urls)

    def timeouts(self) -> Timeouts:
        """The database timeouts these settings ask for."""
        return Timeouts(
            operation=self.db_timeout,
            connect=self.db_connect_timeout,
            pool=self.db_pool_timeout,
            statement=self.db_statement_timeout,
        )

    def target(self) -> str:
        """What the service talks to, for logs: host, port and database, never credentials."""
        if self.storage_backend == "mongo":
            if self.mongo_url.startswith("mongoeco://"):
                return "embedded mongoeco stand-in"
            parts = urlsplit(self.mongo_url)
            hosts = parts.netloc.rpartition("@")[2] or "localhost"
            return f"{hosts}/{parts.path.lstrip('/') or 'app'}"
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite":
            return url.database or ":memory:"
        port = f":{url.port}" if url.port else ""
        return f"{url.host or 'localhost'}{port}/{url.database or ''}"


def _split(urls: str) -> list[str]:
    return [url.strip() for url in urls.split(",") if url.strip()]


_PASSWORD_IN_URL = re.compile(r"(?<=://)([^/@\s:,]*):[^/@\s,]*@")


def _masked(value: Any) -> Any:
    """``value`` with the password of any URL in it replaced by ``***``."""
    return _PASSWORD_IN_URL.sub(r"\1:***@", value) if isinstance(value, str) else value


def describe_error(exc: ValidationError) -> str:
    """All problems on one line, e.g. ``STORAGE_BACKEND='pg': Input should be 'sql' or 'mongo'``."""
    parts = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]).upper()
        if not name:  # a rule across settings: its message names them
            parts.append(error["msg"].removeprefix("Value error, "))
            continue
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{name}={_masked(error.get('input'))!r}: {message}")
    return "Invalid configuration: " + "; ".join(parts)
