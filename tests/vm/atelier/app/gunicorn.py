"""Stand-in for the gunicorn package in the VM proof (no package index is reachable there).

It serves `MODULE:ATTRIBUTE --bind HOST:PORT`, the generated CMD's command line, with the
standard library's WSGI server (uvicorn.py's), and stops on SIGTERM.
"""

import argparse
import importlib
import signal
import sys
from wsgiref.simple_server import make_server

from uvicorn import Quiet, Server


def main():
    parser = argparse.ArgumentParser(prog="gunicorn")
    parser.add_argument("app")
    parser.add_argument("--bind", default="127.0.0.1:8000")
    args = parser.parse_args()
    module, _, attribute = args.app.partition(":")
    host, _, port = args.bind.rpartition(":")
    app = getattr(importlib.import_module(module), attribute)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with make_server(host, int(port), app, server_class=Server, handler_class=Quiet) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
