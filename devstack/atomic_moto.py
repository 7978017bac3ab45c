"""moto's server with one request at a time inside the backend.

DynamoDB makes each conditional write and each transaction atomic; moto's in-memory backend
does not lock, so two racing requests can both pass a condition. Serialising the backend
restores DynamoDB's guarantee, which the concurrency tests and the local stack rely on: they
test *our* conditional writes, not moto's thread safety. The HTTP server stays threaded.
"""
from __future__ import annotations

import logging
import threading

from werkzeug.serving import BaseWSGIServer, make_server


def atomic_app():
    """moto's WSGI app behind a lock (responses are built inside the call, so the lock covers them)."""
    from moto.server import DomainDispatcherApplication, create_backend_app

    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialised(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    return serialised


def start_in_thread(host: str = "127.0.0.1", port: int = 0) -> tuple[BaseWSGIServer, str]:
    """Serve in a daemon thread; returns the server and its endpoint URL."""
    from moto.moto_server.threaded_moto_server import MotoRequestHandler

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(host, port, atomic_app(), threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, name="moto", daemon=True).start()
    return server, f"http://{host}:{server.server_port}"
