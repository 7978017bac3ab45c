"""Entry point of the moto server subprocess the local stack starts.

``python -m devstack.motoserver --parent-pid PID -H HOST -p PORT [--state-dir DIR [--fresh]]``:
moto's WSGI app with ``devstack.atomic_moto``'s DynamoDB guarantees (atomic requests and
transactions, as in DynamoDB; nothing else serialised), on a threaded werkzeug server, without
the per-request access log (the stream runners poll several times a second), and gone as soon
as the stack that started it is gone. With ``--state-dir`` it starts from the state saved there
and keeps saving it (``devstack.persist``); ``--fresh`` sets the saved state aside first.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType


def _exit(signum: int, frame: FrameType | None) -> None:
    # The first stop signal ends serving; the final save that follows must not be cut short
    # by a second one (the stack's own SIGTERM after PR_SET_PDEATHSIG's, say).
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, signal.SIG_IGN)
    sys.exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.motoserver")
    parser.add_argument("--parent-pid", type=int, default=None)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, default=None, help="restore from and save to this directory")
    parser.add_argument("--fresh", action="store_true", help="set the saved state aside and start empty")
    parser.add_argument("--snapshot-seconds", type=float, default=None, help="save at most this often")
    args = parser.parse_args(argv)
    # The stack sets PR_SET_PDEATHSIG before exec; if it died before that took effect, this
    # process was already re-parented and must not outlive it.
    if args.parent_pid is not None and os.getppid() != args.parent_pid:
        sys.exit(0)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs from it
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("devstack").setLevel(logging.INFO)  # what was restored, each save
    # werkzeug only sets its logger to INFO when it has no level yet, so this sticks.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)

    from devstack import persist
    from devstack.atomic_moto import STATE, install_dynamodb_fixes, make_moto_server

    install_dynamodb_fixes()
    with contextlib.ExitStack() as on_exit:
        if args.state_dir is not None:
            interval = args.snapshot_seconds or persist.DEFAULT_INTERVAL_SECONDS
            try:
                snapshots = on_exit.enter_context(
                    persist.persisted(args.state_dir, STATE, fresh=args.fresh, interval=interval)
                )
            except persist.StateError as e:
                print(f"devstack.motoserver: {e}", file=sys.stderr, flush=True)
                sys.exit(e.exit_code)
            snapshots.start()
        server = make_moto_server(args.host, args.port)
        try:
            server.serve_forever()
        finally:
            server.server_close()


if __name__ == "__main__":
    main()
