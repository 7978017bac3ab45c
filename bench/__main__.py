"""`python -m bench [--quick] [--only NAME ...] [--out PATH]`

Runs the benchmarks one after the other, prints a table (metric, value, target, ok?) and
merges the results into bench/results.json (keys written by other benchmarks are kept).
`--quick` runs the smoke sizes and writes nothing unless `--out` is given, so it never
overwrites the full run's numbers. Exit code 1 if a benchmark (or a route of one) errored,
else 0: a missed target is reported in the table, not as a failure of the run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench import BENCHMARKS, run, table
from bench._common import RESULTS, publish


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    parser.add_argument("--quick", action="store_true", help="the smoke version (well under a minute)")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), help="run only these benchmarks")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"results file to merge into (default {RESULTS.relative_to(RESULTS.parent.parent)}; none with --quick)",
    )
    args = parser.parse_args(argv)
    results = run(quick=args.quick, only=args.only)
    publish(results, table(results), args.out, args.quick, stale=("errors",))
    route_errors = any(
        (results.get(name) or {}).get("errors") for name in ("read_amplification", "me_approvals_read_amplification")
    )
    return 1 if results.get("errors") or route_errors else 0


if __name__ == "__main__":
    sys.exit(main())
