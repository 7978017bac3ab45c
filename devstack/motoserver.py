"""Entry point of the moto server subprocess the local stack starts.

``python -m devstack.motoserver --parent-pid PID -H HOST -p PORT``: moto's WSGI app with
``devstack.atomic_moto``'s DynamoDB guarantees (atomic requests and transactions, as in
DynamoDB; nothing else serialised), on a threaded werkzeug server, without the per-request access log (the stream
runners poll several times a second), and gone as soon as the stack that started it is gone.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from typing import Any


def _exit(signum: int, frame: Any) -> None:
    sys.exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.motoserver")
    parser.add_argument("--parent-pid", type=int, default=None)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    # The stack sets PR_SET_PDEATHSIG before exec; if it died before that took effect, this
    # process was already re-parented and must not outlive it.
    if args.parent_pid is not None and os.getppid() != args.parent_pid:
        sys.exit(0)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs from it
    # werkzeug only sets its logger to INFO when it has no level yet, so this sticks.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)

    from devstack.atomic_moto import make_moto_server

    server = make_moto_server(args.host, args.port)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
