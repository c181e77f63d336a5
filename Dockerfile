# syntax=docker/dockerfile:1
#
# Image for the API. The same image serves every backend; STORAGE_BACKEND,
# DATABASE_URL and MONGO_URL pick one at start-up (see compose.yaml).

# --- build stage: compilers live here only, in case a driver (asyncmy, uvloop,
# asyncpg) has no wheel for the target platform and must be built from source.
FROM python:3.13-slim AS build

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"

WORKDIR /src
COPY . .
RUN pip install --no-cache-dir .

# --- runtime stage: the installed virtualenv and nothing of the source tree,
# so `python -m api` always imports the installed package.
FROM python:3.13-slim

# WORKERS and the TIMEOUT_* settings are read by `python -m api serve` (see the
# README's configuration table); JSON log lines go to stderr for the runtime.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/opt/venv/bin:$PATH" \
    WORKERS=1 \
    LOG_FORMAT=json

RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home app \
    && mkdir /app \
    && chown app:app /app

COPY --from=build /opt/venv /opt/venv

# /app is writable by the app user so the default sqlite:///./app.db works
# when the image runs without a database server.
WORKDIR /app
USER app

EXPOSE 8000

# slim has no curl; urlopen raises (non-zero exit) on a refused connection and
# on any HTTP error status, including the 503 /health returns when the database
# is unreachable.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

# Bring the schema (SQL) or collections and indexes (Mongo) up to date, then
# serve. `exec` makes the server PID 1's replacement so it gets SIGTERM and
# drains (TIMEOUT_GRACEFUL_SHUTDOWN, 30 s by default: give `docker stop -t` or
# compose's stop_grace_period more than that).
STOPSIGNAL SIGTERM
CMD ["sh", "-c", "python -m api migrate && exec python -m api serve --host 0.0.0.0 --port 8000"]
