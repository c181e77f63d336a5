"""HTTP layer: FastAPI app, routers, settings and the command line (``python -m api``)."""
