"""Stand-in for the uvicorn package in the VM proof (no package index is reachable there).

It serves `MODULE:ATTRIBUTE --host HOST --port PORT`, the generated CMD's command line, with
the standard library's WSGI server, one thread per request, and stops on SIGTERM.
"""

import argparse
import importlib
import signal
import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))


def main():
    parser = argparse.ArgumentParser(prog="uvicorn")
    parser.add_argument("app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    module, _, attribute = args.app.partition(":")
    app = getattr(importlib.import_module(module), attribute)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with make_server(args.host, args.port, app, server_class=Server, handler_class=Quiet) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
