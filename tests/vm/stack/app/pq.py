"""One connection's queries through libpq, for the VM proof's stand-in applications (the
reference's and atelier's): the image's libpq5 by ctypes, since no package index is
reachable. libpq reads PGSSLMODE and PGSSLROOTCERT from the environment itself."""

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


def query(params, queries):
    """Connects with `params` (keyword: value) and runs (key, sql) pairs on that one
    connection; returns the first value of each, by key. A failure raises RuntimeError with
    libpq's message."""
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


def env_params():
    """The connection the compose file describes: DATABASE_HOST, DATABASE_NAME,
    DATABASE_USER, and the password read from DATABASE_PASSWORD_FILE (the role's secret)."""
    with open(os.environ["DATABASE_PASSWORD_FILE"]) as f:
        password = f.read().strip()
    return {
        "host": os.environ["DATABASE_HOST"],
        "dbname": os.environ["DATABASE_NAME"],
        "user": os.environ["DATABASE_USER"],
        "password": password,
        "connect_timeout": "10",
    }
