"""The stand-in API: /healthz, /customer?id=UUID (the projects that customer sees, under the
tables' row-level security) and /worker (what the worker last wrote to the shared uploads)."""

import re
from urllib.parse import parse_qs

from atelier import db, web

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def customer(environ):
    who = parse_qs(environ.get("QUERY_STRING", "")).get("id", [""])[0]
    if who and not UUID.fullmatch(who):
        raise ValueError("id is not a uuid")
    return db.query(
        [("customer", f"SELECT set_config('atelier.customer_id', {db.literal(who)}, false)")]
        + db.WHO
        + [("projects", "SELECT count(*) FROM projects"), ("assets", "SELECT count(*) FROM assets")]
    )


def worker(environ):
    with open("/app/uploads/worker.txt") as f:
        return {"worker": f.read().strip()}


def app(environ, start_response):
    return web.serve(environ, start_response, {"/customer": customer, "/worker": worker})
