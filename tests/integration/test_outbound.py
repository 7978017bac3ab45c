"""The delivery function's network (chalicelib/dal/outbound.py) against servers on 127.0.0.1 that
misbehave below HTTP: the whole exchange ends at the timeout whatever the server trickles, TLS
handshake included. (tests/functional/test_webhooks.py covers slow, redirecting, huge, closing
and resetting HTTP receivers through the whole delivery.)"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from chalicelib.dal.outbound import Network
from chalicelib.domain.webhooks import Outgoing, Target


@pytest.fixture
def trickling_tls_server() -> Iterator[int]:
    """Accepts, then sends the header of a 16 KB TLS handshake record and its bytes one every
    0.2 s for 15 s: every read the client makes gets something well within its socket timeout."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                try:
                    conn.sendall(b"\x16\x03\x03\x40\x00")
                    deadline = time.monotonic() + 15
                    while time.monotonic() < deadline and not stop.is_set():
                        conn.sendall(b"\x00")
                        time.sleep(0.2)
                except OSError:
                    pass  # the client gave up, as it should

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_a_tls_handshake_trickled_byte_by_byte_ends_at_the_timeout(trickling_tls_server):
    port = trickling_tls_server
    request = Outgoing(Target("https", "hooks.example.com", port, "/"), "127.0.0.1", b"{}", {}, timeout=1.5)
    started = time.monotonic()
    answer = Network().post(request)
    took = time.monotonic() - started
    assert answer.status_code is None
    assert answer.error == "no answer within 1.5 s"
    assert took < 3.0, f"the delivery was held {took:.1f} s by a trickling handshake"


def test_a_connection_made_at_the_last_moment_gets_no_second_timeout_for_its_handshake(
    trickling_tls_server, monkeypatch
):
    """A slow network path: the TCP connection completes just after the timeout (simulated by
    holding the connect back). The handshake that would follow gets no time of its own."""
    import chalicelib.dal.outbound as outbound

    connect = socket.create_connection

    def slow_connect(address, timeout=None, *args, **kw):
        time.sleep(1.7)
        return connect(address, timeout, *args, **kw)

    monkeypatch.setattr(outbound.socket, "create_connection", slow_connect)
    port = trickling_tls_server
    request = Outgoing(Target("https", "hooks.example.com", port, "/"), "127.0.0.1", b"{}", {}, timeout=1.5)
    started = time.monotonic()
    answer = Network().post(request)
    took = time.monotonic() - started
    assert answer.error == "no answer within 1.5 s"
    assert took < 2.6, f"the delivery took {took:.1f} s for a 1.5 s timeout"
