"""A webhook receiver on 127.0.0.1, for trying webhooks on the local stack, in tests and in the
benchmarks: it keeps every request it gets (path, headers, body, when) and answers as it is told.

    receiver = Receiver().start()          # receiver.url: http://127.0.0.1:<port>/hook
    receiver.behave(Behaviour.status(503))  # or slow, redirect, huge, close, reset, chaos(…)
    …
    receiver.stop()

`python -m devstack receiver [--port N]` runs one that answers 204 and prints what it gets
(create a webhook on the local stack with its URL: the local stack allows http://127.0.0.1).
"""

from __future__ import annotations

import argparse
import random
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when its body had been read


@dataclass(frozen=True)
class Answer:
    """How to answer one request: `kind` is status, slow, redirect, huge, close or reset."""

    kind: str = "status"
    status: int = 204
    seconds: float = 0.0
    size: int = 0


class Behaviour:
    """Answers, by request: each a function of the request's number (from 0)."""

    @staticmethod
    def status(code: int) -> Callable[[int], Answer]:
        return lambda n: Answer("status", code)

    @staticmethod
    def slow(seconds: float, code: int = 200) -> Callable[[int], Answer]:
        return lambda n: Answer("slow", code, seconds)

    @staticmethod
    def redirect(code: int = 302) -> Callable[[int], Answer]:
        return lambda n: Answer("redirect", code)

    @staticmethod
    def huge(size: int = 4 * 1024 * 1024, code: int = 200) -> Callable[[int], Answer]:
        return lambda n: Answer("huge", code, size=size)

    @staticmethod
    def close() -> Callable[[int], Answer]:
        return lambda n: Answer("close")

    @staticmethod
    def reset() -> Callable[[int], Answer]:
        return lambda n: Answer("reset")

    @staticmethod
    def chaos(
        failure_rate: float, seed: int, timeout_seconds: float, kinds: tuple[str, ...] = ("500", "slow", "reset")
    ) -> Callable[[int], Answer]:
        """Fails `failure_rate` of requests at random, evenly among `kinds`: a 500, an answer
        later than the sender waits, a reset; each after the body was read, so the event *was*
        received (a retry of it is a duplicate the receiver sees)."""
        rng, lock = random.Random(seed), threading.Lock()
        failures = {
            "500": Answer("status", 500),
            "slow": Answer("slow", 200, timeout_seconds + 1),
            "reset": Answer("reset"),
        }

        def answer(n: int) -> Answer:
            with lock:
                roll, kind = rng.random(), rng.choice(kinds)
            return Answer("status", 200) if roll >= failure_rate else failures[kind]

        return answer


class Receiver:
    def __init__(self, port: int = 0, path: str = "/hook") -> None:
        self.path = path
        self.received: list[Received] = []
        self.answered: list[Answer] = []
        self._behaviour: Callable[[int], Answer] = Behaviour.status(204)
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def finish(self) -> None:
                try:
                    super().finish()
                except (OSError, ValueError):
                    pass  # the connection was reset on purpose

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
                pass

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer = receiver._record(self.path, dict(self.headers.items()), body)
                if answer.kind == "reset":  # an RST at once, not a FIN (the server's own close sends one)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                if answer.kind == "close":
                    self.close_connection = True
                    return
                if answer.kind == "slow":
                    time.sleep(answer.seconds)
                payload = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(answer.status)
                if answer.kind == "redirect":
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                if answer.kind == "huge":
                    payload = b"x" * answer.size
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sender read what it wanted and left

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a sender that hangs up (as webhook senders do after 4 KB) is not an error here

        self._server = Server(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.path}"

    def start(self) -> Receiver:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def behave(self, behaviour: Callable[[int], Answer]) -> None:
        with self._lock:
            self._behaviour = behaviour

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        with self._arrived:
            answer = self._behaviour(len(self.received))
            self.received.append(Received(path, headers, body, time.time()))
            self.answered.append(answer)
            self._arrived.notify_all()
        return answer

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """The first `count` requests, once they have come (fewer when the time is up)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count and time.monotonic() < deadline:
                self._arrived.wait(max(0.0, deadline - time.monotonic()))
            return list(self.received)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack receiver")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--path", default="/hook")
    args = parser.parse_args(argv)
    receiver = Receiver(args.port, args.path).start()
    print(f"receiving on {receiver.url} (Ctrl-C to stop)", flush=True)
    seen = 0
    try:
        while True:
            for r in receiver.wait_for(seen + 1, timeout=1.0)[seen:]:
                seen += 1
                print(f"{time.strftime('%H:%M:%S')} {r.headers.get('webhook-id', '')} {r.body[:300]!r}", flush=True)
    except KeyboardInterrupt:
        receiver.stop()
    return 0
