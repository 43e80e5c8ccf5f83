"""One query through libpq (the image's libpq5, by ctypes: no package index is reachable).

It connects as the compose file says: DATABASE_HOST, DATABASE_NAME, DATABASE_USER, the
password read from DATABASE_PASSWORD_FILE, and PGSSLMODE/PGSSLROOTCERT read by libpq itself
(verify-full against the CA the spec names).
"""

import ctypes
import os

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


def literal(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def query(queries):
    """Runs (key, sql) pairs on one connection; the first value of each, by key."""
    with open(os.environ["DATABASE_PASSWORD_FILE"]) as f:
        password = f.read().strip()
    params = {
        "host": os.environ["DATABASE_HOST"],
        "dbname": os.environ["DATABASE_NAME"],
        "user": os.environ["DATABASE_USER"],
        "password": password,
        "connect_timeout": "10",
    }
    conn = _pq.PQconnectdb(" ".join(f"{k}={literal(v)}" for k, v in params.items()).encode())
    try:
        if _pq.PQstatus(conn) != CONNECTION_OK:
            raise RuntimeError(_pq.PQerrorMessage(conn).decode().strip())
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


WHO = [
    ("user", "SELECT current_user"),
    ("ssl", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"),
]
