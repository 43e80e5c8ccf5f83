"""The applications' queries: the connection compose describes (DATABASE_*, verify-full
against the spec's CA through PGSSLMODE/PGSSLROOTCERT), by the VM proof's libpq module
(tests/vm/stack/app/pq.py, copied beside this package by tests/vm/atelier/build.sh)."""

import pq

literal = pq.literal


def query(queries):
    """Runs (key, sql) pairs on one connection; the first value of each, by key."""
    return pq.query(pq.env_params(), queries)


WHO = [
    ("user", "SELECT current_user"),
    ("ssl", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"),
]
