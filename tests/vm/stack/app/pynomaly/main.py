"""The stand-in application of the VM proof: a health endpoint, and one query that sets the
tenant and counts the rows it sees.

It connects as the compose file says: DATABASE_HOST, DATABASE_NAME, DATABASE_USER, the
password read from DATABASE_PASSWORD_FILE (the role's secret), PGSSLMODE read by libpq
itself. libpq is the runtime image's libpq5, through ctypes: no package index is reachable.
"""

import ctypes
import json
import os
import re
from urllib.parse import parse_qs

_pq = ctypes.CDLL("libpq.so.5")
_pq.PQconnectdb.restype = ctypes.c_void_p
_pq.PQconnectdb.argtypes = [ctypes.c_char_p]
_pq.PQstatus.argtypes = [ctypes.c_void_p]
_pq.PQerrorMessage.restype = ctypes.c_char_p
_pq.PQerrorMessage.argtypes = [ctypes.c_void_p]
_pq.PQexec.restype = ctypes.c_void_p
_pq.PQexec.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
_pq.PQresultStatus.argtypes = [ctypes.c_void_p]
_pq.PQresultErrorMessage.restype = ctypes.c_char_p
_pq.PQresultErrorMessage.argtypes = [ctypes.c_void_p]
_pq.PQgetvalue.restype = ctypes.c_char_p
_pq.PQgetvalue.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
_pq.PQclear.argtypes = [ctypes.c_void_p]
_pq.PQfinish.argtypes = [ctypes.c_void_p]
CONNECTION_OK, PGRES_TUPLES_OK = 0, 2
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _literal(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def tenant_rows(tenant):
    """The role, TLS and the number of `detectors` rows the tenant sees."""
    with open(os.environ["DATABASE_PASSWORD_FILE"]) as f:
        password = f.read().strip()
    params = {
        "host": os.environ["DATABASE_HOST"],
        "dbname": os.environ["DATABASE_NAME"],
        "user": os.environ["DATABASE_USER"],
        "password": password,
        "connect_timeout": "10",
    }
    conn = _pq.PQconnectdb(" ".join(f"{k}={_literal(v)}" for k, v in params.items()).encode())
    try:
        if _pq.PQstatus(conn) != CONNECTION_OK:
            raise RuntimeError(_pq.PQerrorMessage(conn).decode().strip())
        queries = [
            ("tenant", f"SELECT set_config('app.current_user_id', {_literal(tenant)}, false)"),
            ("user", "SELECT current_user"),
            ("ssl", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"),
            ("rows", "SELECT count(*) FROM detectors"),
        ]
        out = {}
        for key, sql in queries:
            res = _pq.PQexec(conn, sql.encode())
            try:
                if _pq.PQresultStatus(res) != PGRES_TUPLES_OK:
                    raise RuntimeError(_pq.PQresultErrorMessage(res).decode().strip())
                out[key] = _pq.PQgetvalue(res, 0, 0).decode()
            finally:
                _pq.PQclear(res)
        return out
    finally:
        _pq.PQfinish(conn)


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
