"""The stand-in application of the VM proof: a health endpoint, and one query that sets the
tenant and counts the rows it sees.

It connects as the compose file says: DATABASE_HOST, DATABASE_NAME, DATABASE_USER, the
password read from DATABASE_PASSWORD_FILE (the role's secret), PGSSLMODE read by libpq
itself (../pq.py: the runtime image's libpq5, through ctypes).
"""

import json
import os
import re
from urllib.parse import parse_qs

import pq

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def tenant_rows(tenant):
    """The role, TLS and the number of `detectors` rows the tenant sees."""
    return pq.query(
        pq.env_params(),
        [
            ("tenant", f"SELECT set_config('app.current_user_id', {pq.literal(tenant)}, false)"),
            ("user", "SELECT current_user"),
            ("ssl", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"),
            ("rows", "SELECT count(*) FROM detectors"),
        ],
    )


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    status, body = "404 Not Found", {"error": "not found"}
    if path == "/health":
        status, body = "200 OK", {"status": "ok"}
    elif path == "/":
        status, body = "200 OK", {"app": "pynomaly stand-in", "uid": os.getuid()}
    elif path == "/tenant":
        tenant = parse_qs(environ.get("QUERY_STRING", "")).get("id", [""])[0]
        if tenant and not UUID.fullmatch(tenant):
            status, body = "400 Bad Request", {"error": "id is not a uuid"}
        else:
            try:
                status, body = "200 OK", tenant_rows(tenant)
            except Exception as e:  # the probe prints it
                status, body = "500 Internal Server Error", {"error": str(e)}
    data = json.dumps(body, sort_keys=True).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
