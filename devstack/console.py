"""The web console on the local stack: the static files of ``console/`` under ``/console/``,
the ``config.json`` the console reads at start, and the local sign-in endpoint.

The API keeps being served by chalice.local; :func:`attach` wraps the request handler of its
HTTP server so that ``/console/…`` and ``POST /local/token`` are answered here and every other
request goes to the Chalice app unchanged. Nothing here is deployed: in production the console
is static files behind CloudFront (infra/template.yaml) and sign-in is Cognito's hosted UI.

The security headers are the production ones (the response headers policy of the template;
tests/infra compares the two), with the local object store added where the browser talks to
it directly (presigned uploads, thumbnails).
"""

from __future__ import annotations

import functools
import hashlib
import json
import mimetypes
import re
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from devstack import REPO_ROOT
from devstack.gateway import GatewayRequestHandler

CONSOLE_DIR: Path = REPO_ROOT / "console"
WORKER = "sw.js"  # the console's service worker (infra.console_shell.WORKER)
PREFIX = "/console/"
LOCAL_TOKEN_PATH = "/local/token"
ROLES = ("rep", "manager", "leader", "finance")
_ID = re.compile(r"^[A-Za-z0-9_.@:-]{1,128}$")
_ORG = re.compile(r"^[A-Za-z0-9_-]{1,32}(/[A-Za-z0-9_-]{1,32}){0,7}$")

#: The Content-Security-Policy of the console, directive by directive. ``{storage}`` stands for
#: the object store's origin (the attachments bucket in production, moto locally) and ``{api}``
#: for the API's origin when it is not the console's own. No 'unsafe-inline', no 'unsafe-eval'.
CSP_DIRECTIVES: dict[str, str] = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob: {storage}",
    "connect-src": "'self' {api} {storage}",
    "font-src": "'self'",
    "manifest-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}

#: The other security headers, as the CloudFront response headers policy sets them (HSTS is
#: only meaningful over HTTPS and so is left out locally).
SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(self), geolocation=(self), microphone=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
}


def content_security_policy(storage: str = "", api: str = "") -> str:
    """The CSP header value with the given origins filled in."""
    parts = []
    for name, value in CSP_DIRECTIVES.items():
        value = " ".join(value.format(storage=storage, api=api).split())
        parts.append(f"{name} {value}")
    return "; ".join(parts)


def local_config() -> dict[str, Any]:
    """What ``/console/config.json`` says locally: same-origin API, local sign-in."""
    return {"auth": "local", "apiBase": "", "localTokenUrl": LOCAL_TOKEN_PATH}


def mint_local_token(body: dict[str, Any]) -> str:
    """A local token for the user, role and org the sign-in page chose (InvalidInput if bad,
    each field with its code as the API's own)."""
    from chalicelib.domain.errors import InvalidInput
    from devstack.tokens import mint_token

    sub, role, org = body.get("sub"), body.get("role"), body.get("org")
    name = body.get("name") or sub
    if not isinstance(sub, str) or not _ID.match(sub):
        raise InvalidInput.field("sub", "bad_format", "letters, digits and _ . @ : - only", pattern=_ID.pattern)
    if role not in ROLES:
        raise InvalidInput.field("role", "not_one_of", f"one of {', '.join(ROLES)}", choices=list(ROLES))
    if not isinstance(org, str) or not _ORG.match(org):
        raise InvalidInput.field("org", "not_an_org", "an org path such as CN/EAST/JS")
    if not isinstance(name, str) or not 0 < len(name) <= 100:
        raise InvalidInput.field("name", "too_long", "1 to 100 characters", max_length=100)
    return mint_token(sub, role, org, name=name)


def _static_file(path: str, console_dir: Path) -> Path | None:
    """The file under console_dir that a /console/… path names, or None (never outside it)."""
    rel = path[len(PREFIX) :] or "index.html"
    if rel.endswith("/"):
        rel += "index.html"
    candidate = (console_dir / rel).resolve()
    root = console_dir.resolve()
    if root not in candidate.parents or not candidate.is_file():
        return None
    return candidate


class ConsoleRequestHandler(GatewayRequestHandler):
    """Answers the console's requests; everything else goes to the API (GatewayRequestHandler)."""

    storage_origin = ""
    console_dir: Path = CONSOLE_DIR

    # -- routing -------------------------------------------------------------------------------
    def _route(self) -> str:
        path: str = urlsplit(self.path).path
        return path

    def do_GET(self) -> None:
        if self._is_console():
            self._serve(head=False)
        else:
            super().do_GET()

    def do_HEAD(self) -> None:
        if self._is_console():
            self._serve(head=True)
        else:
            super().do_HEAD()

    def do_POST(self) -> None:
        if self._route() == LOCAL_TOKEN_PATH:
            self._local_token()
        else:
            super().do_POST()

    def _is_console(self) -> bool:
        path = self._route()
        return path == PREFIX.rstrip("/") or path.startswith(PREFIX)

    # -- responses -----------------------------------------------------------------------------
    def _send(
        self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None, head: bool = False
    ) -> None:
        self.send_response(status)
        headers = {
            "Content-Type": content_type,
            "Content-Length": str(len(body)),
            "Cache-Control": "no-cache",
            "Content-Security-Policy": content_security_policy(self.storage_origin),
            **SECURITY_HEADERS,
            **(extra or {}),
        }
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _serve(self, head: bool) -> None:
        path = self._route()
        if path == PREFIX.rstrip("/"):
            self._send(HTTPStatus.MOVED_PERMANENTLY, b"", "text/plain", {"Location": PREFIX}, head)
            return
        if path == PREFIX + "config.json":
            body = json.dumps(local_config()).encode()
            self._send(HTTPStatus.OK, body, _TYPES[".json"], head=head)
            return
        if path == PREFIX + WORKER:
            # the service worker with the release it precaches written in, by the code that
            # packages it for production (imported here only: a stack runs without infra/)
            from infra.console_shell import service_worker

            self._send_file(service_worker(self.console_dir), _TYPES[".js"], head)
            return
        file = _static_file(path, self.console_dir)
        if file is None:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", head=head)
            return
        ctype = _TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        self._send_file(file.read_bytes(), ctype, head)

    def _send_file(self, data: bytes, ctype: str, head: bool) -> None:
        """A static file with its ETag (revalidated by browsers: Cache-Control no-cache)."""
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._send(HTTPStatus.NOT_MODIFIED, b"", ctype, {"ETag": etag}, head=True)
            return
        self._send(HTTPStatus.OK, data, ctype, {"ETag": etag}, head)

    def _local_token(self) -> None:
        """POST /local/token {sub, role, org, name?} → {token}. JSON only and same-origin only,
        so that no other web page can have a browser mint a token here."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        origin = self.headers.get("Origin")
        host = self.headers.get("Host")
        if origin is not None and urlsplit(origin).netloc != host:
            return self._json(HTTPStatus.FORBIDDEN, {"code": "forbidden", "message": "same origin only"})
        if ctype != "application/json":
            return self._json(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                {"code": "unsupported_media_type", "message": "send application/json"},
            )
        from chalicelib.domain.errors import InvalidInput

        try:
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                raise InvalidInput.field("body", "not_json", "is not valid JSON") from None
            if not isinstance(body, dict):
                raise InvalidInput.field("body", "wrong_type", "a JSON object", expected="object")
            token = mint_local_token(body)
        except InvalidInput as e:
            return self._json(HTTPStatus.BAD_REQUEST, {"code": e.code, "message": e.message, "errors": list(e.errors)})
        self._json(HTTPStatus.OK, {"token": token})

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json", {"Cache-Control": "no-store"})


def attach(server: Any, storage_origin: str = "") -> None:
    """Serve the console from ``server``, the HTTPServer of ``devstack.gateway.make_api_server``.

    ``storage_origin`` is the object store's URL (moto's), which the browser posts uploads to.
    """
    base = server.RequestHandlerClass  # functools.partial(GatewayRequestHandler, …)
    parsed = urlsplit(storage_origin)
    origin = f"{parsed.scheme}://{parsed.netloc}" if parsed.netloc else ""
    handler = type("ConsoleRequestHandler", (ConsoleRequestHandler,), {"storage_origin": origin})
    if isinstance(base, functools.partial):
        server.RequestHandlerClass = functools.partial(handler, *base.args, **base.keywords)
    else:
        server.RequestHandlerClass = handler


def static_server(console_dir: Path, port: int = 0) -> Any:
    """An HTTP server of the console's files alone (no API, no sign-in) from ``console_dir``,
    answering as the stack does: for tests of the service worker, which serve a copy of
    console/ and change it between two visits. ``serve_forever()`` it in a thread."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class StaticConsoleHandler(ConsoleRequestHandler):
        """The console's requests as the stack answers them; no app behind them (a 404)."""

        def __init__(self, request: Any, client_address: Any, server: Any) -> None:
            # the gateway's __init__ wants the Chalice app this server has not got
            BaseHTTPRequestHandler.__init__(self, request, client_address, server)

        def do_GET(self) -> None:
            if self._is_console():
                self._serve(head=False)
            else:
                self.send_error(HTTPStatus.NOT_FOUND)

        def do_HEAD(self) -> None:
            if self._is_console():
                self._serve(head=True)
            else:
                self.send_error(HTTPStatus.NOT_FOUND)

        def do_POST(self) -> None:
            self.send_error(HTTPStatus.NOT_FOUND)

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's signature)
            pass

    StaticConsoleHandler.console_dir = console_dir
    return ThreadingHTTPServer(("127.0.0.1", port), StaticConsoleHandler)


__all__ = [
    "ConsoleRequestHandler",
    "attach",
    "static_server",
    "content_security_policy",
    "CSP_DIRECTIVES",
    "SECURITY_HEADERS",
    "local_config",
    "mint_local_token",
    "CONSOLE_DIR",
    "LOCAL_TOKEN_PATH",
]
