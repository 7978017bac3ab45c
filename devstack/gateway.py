"""The local API server: chalice.local's gateway, with the answers API Gateway gives (as
infra/template.yaml configures them) where no route serves a request, and a listen backlog
that takes a burst of connections.

chalice.local alone answers an unknown path with a 403 whose message repeats the whole
Authorization header (API Gateway's IncompleteSignatureException text), and a method the
HTTP server has no ``do_<METHOD>`` for (TRACE, anything made up) with an HTML 501. Here:

* no route has the path → 404 ``{"code": "not_found", "message": ...}``;
* a route has the path but not the method, whatever the method → 405
  ``{"code": "method_not_allowed", "message": ...}`` with an ``Allow`` header;
* everything else goes to chalice.local unchanged (and to the app's own error mapping).

No header of the request is ever repeated in an answer. In production API Gateway answers both
cases with its MISSING_AUTHENTICATION_TOKEN gateway response, which the template turns into the
same 404 body (it cannot tell an unknown method from an unknown path; see docs/local-stack.md).
"""

from __future__ import annotations

import json
import logging
import time
from http import HTTPStatus
from typing import Any

from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    LocalChalice,
    LocalDevServer,
    RouteMatcher,
    ThreadedHTTPServer,
)

from devstack.logs import ACCESS_LOGGER, log_file

_access = logging.getLogger(ACCESS_LOGGER)

#: Connections the kernel queues before the server accepts them (socketserver's default is 5:
#: a burst of more simultaneous clients than that is at the mercy of the accept loop).
LISTEN_BACKLOG = 128


class BackloggedHTTPServer(ThreadedHTTPServer):
    """chalice.local's threaded server (a thread per connection) with a real listen backlog."""

    request_queue_size = LISTEN_BACKLOG


class GatewayRequestHandler(ChaliceRequestHandler):
    """Routes what the app serves to chalice.local; answers the rest as API Gateway would."""

    # The handler writes the headers and the body in two sends; with Nagle's algorithm the body
    # waits for the client's delayed ACK of the headers (40 ms on Linux) on a kept-alive
    # connection. API Gateway has no such pause.
    disable_nagle_algorithm = True

    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
        self._app = app_object
        # chalice.local builds its gateway (and its own matcher) per connection too
        self._routes = RouteMatcher(list(app_object.routes))
        super().__init__(request, client_address, server, app_object, config)

    def parse_request(self) -> bool:
        self._started = time.perf_counter()  # the request line is read: the clock starts
        parsed: bool = super().parse_request()
        return parsed

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per request: method, path, status and the time to the response."""
        started = getattr(self, "_started", None)
        elapsed = f"{(time.perf_counter() - started) * 1000:.0f} ms" if started is not None else "- ms"
        status = int(code) if isinstance(code, HTTPStatus) else code
        where = ""
        if isinstance(status, int) and status >= 500 and log_file() is not None:
            where = f"  (the app's log: {log_file()})"
        _access.info("%s %s %s %s%s", self.command or "-", self.path, status, elapsed, where)

    def log_message(self, format: str, *args: Any) -> None:
        """The HTTP server's own complaints (a malformed request line, a timeout)."""
        _access.warning(format, *args)

    def __getattr__(self, name: str) -> Any:
        # BaseHTTPRequestHandler dispatches to do_<METHOD> and answers an HTML 501 when there is
        # none; every method goes through one handler here, so TRACE or BREW get the JSON answer.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _dispatch(self) -> None:
        try:
            route = self._routes.match_route(self.path).route
        except ValueError:
            return self._answer(404, "not_found", "no route serves this path")
        methods = self._app.routes[route]
        if self.command in methods or (self.command == "OPTIONS" and any(entry.cors for entry in methods.values())):
            return self._generic_handle()
        allowed = ", ".join(sorted(methods))
        return self._answer(
            405,
            "method_not_allowed",
            f"this path does not accept {self.command}; it accepts {allowed}",
            {"Allow": allowed},
        )

    def _answer(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:  # read what the client sent, so the connection stays usable
            self.rfile.read(length)
        body = json.dumps({"code": code, "message": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    # the base class binds these to chalice.local's handler directly
    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _dispatch


def make_api_server(app: Any, config: Any, host: str, port: int) -> LocalDevServer:
    """chalice.local's server for ``app`` (as ``chalice.local.create_local_server`` makes it),
    with GatewayRequestHandler and the larger backlog."""
    # What create_local_server does first: give the app a thread-local `current_request`, so
    # the server's threads do not see each other's requests.
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=GatewayRequestHandler, server_cls=BackloggedHTTPServer)
