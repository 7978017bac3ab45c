"""``python -m devstack <command>``: the local stack's command line.

Each command is a ``(name, add_arguments, handler)`` entry in COMMANDS, so more (e.g.
``invoke <function>``) can be added without touching the others.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

Handler = Callable[[argparse.Namespace], int]


def _add_run(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--port",
        type=int,
        default=None,
        help="HTTP port of the API (default 8000; the PORT environment variable overrides it)",
    )
    p.add_argument(
        "--fresh",
        action="store_true",
        help="start empty: the data saved by the last run is set aside in var/state.previous (make run FRESH=1)",
    )
    p.add_argument(
        "--verbose",
        action="store_true",
        help="show the app's JSON logs and metrics on the terminal too (make run VERBOSE=1)",
    )


def _run(args: argparse.Namespace) -> int:
    from devstack.stack import run

    return run(port=args.port, fresh=args.fresh, verbose=args.verbose)


def _add_token(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sub", required=True, help="user id (the `sub` claim)")
    p.add_argument("--role", required=True, help="custom:role, e.g. rep, manager, leader, finance")
    p.add_argument("--org", required=True, help="custom:org, an org path such as CN/EAST/SH")
    p.add_argument("--name", default=None, help="display name (default: the sub)")
    p.add_argument("--email", default=None, help="email (default: <sub>@example.com)")
    p.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")


def _token(args: argparse.Namespace) -> int:
    from devstack.tokens import mint_token

    print(mint_token(args.sub, args.role, args.org, name=args.name, email=args.email, ttl=args.ttl))
    return 0


def _add_invoke(p: argparse.ArgumentParser) -> None:
    p.add_argument("function", help="a scheduled function, e.g. compile_scheduled_reports or send_overdue_reminders")


def _invoke(args: argparse.Namespace) -> int:
    from devstack.scheduler import invoke_now

    return invoke_now(args.function)


def _add_receiver(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--path", default="/hook", help="the path it prints in its URL")


def _receiver(args: argparse.Namespace) -> int:
    from devstack.receiver import main

    return main(["--port", str(args.port), "--path", args.path])


COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None], Handler]] = [
    ("run", "start moto, the stream runners and the API on http://127.0.0.1:PORT", _add_run, _run),
    ("token", "print a signed local bearer token (JWT)", _add_token, _token),
    ("invoke", "run a scheduled function of the running local stack now", _add_invoke, _invoke),
    ("receiver", "a webhook receiver on 127.0.0.1 that prints what it gets", _add_receiver, _receiver),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devstack", description="Local development stack of huixiang.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_text, add_arguments, handler in COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_arguments(p)
        p.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
