"""What a running instance is doing, made visible: logs, request ids, Server-Timing, metrics.

* ``logs``: one logging configuration for the app and uvicorn, JSON lines or text;
* ``requests``: the ASGI middleware that gives each request its id, counts its
  database round trips (``storage.instrumentation``), adds ``Server-Timing``,
  writes the request log line and logs an unhandled error once;
* ``metrics``: Prometheus metrics and ``/metrics`` (off unless ``METRICS_ENABLED``).
"""
