"""Running the app under uvicorn the way an operator needs: bounded slow clients, clean stops.

* ``protocol``: uvicorn's httptools protocol plus a deadline for the request
  head (idle and trickling connections are closed) and a cap on its size;
* ``server``: a uvicorn server that, when stopping, answers the connections the
  kernel had already accepted instead of resetting them, and a multi-worker
  supervisor that stops listening at once so nothing queues for nobody;
* ``run``: builds the uvicorn configuration from ``api.settings`` and runs it.
"""
