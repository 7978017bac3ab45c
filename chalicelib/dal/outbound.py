"""The network, for webhook deliveries (ports.Outbound): resolving a host, and one POST to an
address that was resolved and checked before (domain/webhooks.py: check_addresses).

The connection goes to that address and nowhere else: the host name serves TLS (SNI and the
certificate check) and the Host header only, so a name that resolves to a public address for
the check and to a private one a moment later (DNS rebinding) reaches nothing. Redirects are
never followed (http.client follows none). The whole exchange, connecting included, ends at
the timeout: a watchdog shuts the socket down then, so a receiver trickling bytes cannot hold
a delivery function. Of the answer only its status line, headers and the first
RESPONSE_BYTES of its body are read; a 4 MB answer costs 4 KB.

Failures are answers too (`Answer.error`): refused, reset, timed out, TLS, not HTTP. Nothing
here raises for what a receiver does.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time

from chalicelib.domain.webhooks import Answer, Outgoing, Target

USER_AGENT = "Huixiang-Webhooks/1"


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to one checked address, speaking to its host by name."""

    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._target, self._address = target, address
        self._aborted = threading.Event()

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self._target.port), self.timeout)
        if self._aborted.is_set():  # the watchdog fired while connecting
            self.abort()
        if self._target.scheme == "https":  # the TCP socket is already set: the watchdog can end a slow handshake
            context = ssl.create_default_context()
            self.sock = context.wrap_socket(self.sock, server_hostname=self._target.host)

    def abort(self) -> None:
        """Stop whatever is in progress (from the watchdog's thread)."""
        self._aborted.set()
        sock = self.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def aborted(self) -> bool:
        return self._aborted.is_set()


def _describe(exc: BaseException, timeout: float, aborted: bool) -> str:
    if aborted or isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.RemoteDisconnected):  # a ConnectionResetError too: asked first
        return "the connection closed without an answer"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "connection reset"
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return f"TLS: {getattr(exc, 'reason', None) or exc}"[:200]
    if isinstance(exc, http.client.HTTPException):
        return f"not an HTTP answer ({type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}"[:200]


class Network:
    def resolve(self, host: str, port: int) -> list[str]:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as exc:
            raise LookupError(f"{host} does not resolve: {exc}") from None
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    def post(self, request: Outgoing) -> Answer:
        started = time.monotonic()
        conn = _PinnedConnection(request.target, request.address, request.timeout)
        watchdog = threading.Timer(request.timeout, conn.abort)
        watchdog.daemon = True
        watchdog.start()
        try:
            conn.putrequest("POST", request.target.path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", request.target.host_header)
            conn.putheader("User-Agent", USER_AGENT)
            conn.putheader("Content-Length", str(len(request.body)))
            for name, value in request.headers.items():
                conn.putheader(name, value)
            conn.endheaders(request.body)
            response = conn.getresponse()
            head = response.read(request.max_response_bytes)
            status = response.status
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return Answer(None, _describe(exc, request.timeout, conn.aborted), _ms(started))
        finally:
            watchdog.cancel()
            conn.close()
        return Answer(status, _error_of(status, head), _ms(started), head)


def _error_of(status: int, head: bytes) -> str | None:
    """What a receiver's non-2xx answer says, briefly (None for a 2xx)."""
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed"
    text = head[:200].decode("utf-8", "replace")
    text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return f"HTTP {status}" + (f": {text}" if text else "")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
