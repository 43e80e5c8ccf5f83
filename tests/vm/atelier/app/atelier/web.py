"""The WSGI part both applications share: JSON answers, a health check at /healthz."""

import json
import os


def serve(environ, start_response, routes):
    path = environ.get("PATH_INFO", "")
    status, body = "404 Not Found", {"error": "not found"}
    if path == "/healthz":
        status, body = "200 OK", {"status": "ok"}
    elif path in routes:
        try:
            status, body = "200 OK", routes[path](environ)
        except ValueError as e:
            status, body = "400 Bad Request", {"error": str(e)}
        except Exception as e:  # the probe prints it
            status, body = "500 Internal Server Error", {"error": str(e)}
    body = dict(body, uid=os.getuid()) if status == "200 OK" else body
    data = json.dumps(body, sort_keys=True).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
