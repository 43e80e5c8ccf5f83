"""The stand-in administrators' console: /healthz and / (its role, TLS, and the customers it
may read: the console's grants include `customers`, which carries no row-level security)."""

from atelier import db, web


def home(environ):
    return dict(db.query(db.WHO + [("customers", "SELECT count(*) FROM customers")]), app="console")


def app(environ, start_response):
    return web.serve(environ, start_response, {"/": home})
