"""Entry point of the moto server subprocess the local stack starts.

``python -m devstack.motoserver --parent-pid PID [moto.server options]``: moto's own server,
minus its per-request access log (the stream runners poll several times a second), and gone
as soon as the stack that started it is gone.
"""
from __future__ import annotations

import logging
import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    parent = None
    if len(args) >= 2 and args[0] == "--parent-pid":
        parent, args = int(args[1]), args[2:]
    # The stack sets PR_SET_PDEATHSIG before exec; if it died before that took effect,
    # this process was already re-parented and must not outlive it.
    if parent is not None and os.getppid() != parent:
        sys.exit(0)
    # werkzeug only sets its logger to INFO when it has no level yet, so this sticks.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from moto.server import main as moto_main

    moto_main(args)


if __name__ == "__main__":
    main()
