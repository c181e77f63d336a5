"""Which fault tests run, and the private servers they break.

The rule (``tests/faults/enabling.py``): PostgreSQL fault tests run when
TEST_POSTGRES_URL is set and MariaDB ones when TEST_MYSQL_URL is set (the
variable says the machine has that database, so its binaries are expected: a
missing one fails the run with its name); the Mongo stand-in and SQLite ones
always run. A server left out is named in the report header, never silently
dropped, never skipped. Each server is started once for all its tests and
removed at the end, whatever happened (``test_server_faults.py``); the
machine's shared servers are never touched.
"""
