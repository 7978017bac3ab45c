"""Huixiang benchmarks (`make bench` = `python -m bench`).

Four benchmarks, each in its own module and each runnable alone:

* bench.cold_start          `cold_start_first_request_ratio`: a fresh process serving its first
                            authenticated GET /campaigns/{id} ÷ a bare Chalice + boto3 GetItem
                            (target ≤ 1.2, bar 1.5); `cold_start_ratio`: `import app` alone
* bench.read_amplification  `read_amplification`: DynamoDB items read ÷ items returned for every
                            list and search route on a seeded company (target ≤ 2 per route)
* bench.stream_unlock       `stream_unlock_ms_p50` / `_p99`: feedback submit → settlement
                            "unlocked" through the local stack's stream runners
* bench.money               money control: an approval's ms and write units with a budget ÷
                            without, `budget_race_100` (racing approvals on one budget),
                            `audit_verify_ms_50`, `me_approvals_read_amplification` (target ≤ 2)

`run(quick)` runs them all and returns one dict; `python -m bench` prints the table and merges
the dict into bench/results.json. `run(quick=True)` is the smoke version (500 campaigns,
5 cold-start pairs, 5 unlocks, 20 racing approvals) that a test can call; it writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypedDict

__all__ = ["run", "table", "checks", "SIZES", "BENCHMARKS"]


class Size(TypedDict):
    """How much a run does (`bench_run.sizes` in the results)."""

    cold_start_pairs: int
    campaigns: int  # seeded for read_amplification
    unlocks: int
    quick: bool  # bench.money picks its own sizes by it


#: Sizes of the full and the quick run.
SIZES: dict[bool, Size] = {
    False: {"cold_start_pairs": 15, "campaigns": 20000, "unlocks": 40, "quick": False},
    True: {"cold_start_pairs": 5, "campaigns": 500, "unlocks": 5, "quick": True},
}


def _cold_start(size: Size) -> dict[str, Any]:
    from bench import cold_start

    return cold_start.measure(size["cold_start_pairs"])


def _read_amplification(size: Size) -> dict[str, Any]:
    from bench import read_amplification

    return read_amplification.measure(size["campaigns"])


def _stream_unlock(size: Size) -> dict[str, Any]:
    from bench import stream_unlock

    return stream_unlock.measure(size["unlocks"])


def _money(size: Size) -> dict[str, Any]:
    from bench import money

    return money.measure(quick=size["quick"])  # its sizes are its own (bench.money.SIZES)


#: name -> runner; run one after the other (they time things, so never in parallel).
BENCHMARKS: dict[str, Callable[[Size], dict[str, Any]]] = {
    "cold_start": _cold_start,
    "read_amplification": _read_amplification,
    "stream_unlock": _stream_unlock,
    "money": _money,
}


def run(quick: bool = False, only: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmarks (all, or those named in `only`) and return their results.

    A benchmark that fails does not stop the others: its error is recorded under
    `errors.<name>` and its metrics are missing.
    """
    size = SIZES[bool(quick)]
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    timings: dict[str, float] = {}
    for name, bench in BENCHMARKS.items():
        if only and name not in only:
            continue
        started = time.perf_counter()
        try:
            results.update(bench(size))
        except Exception as exc:  # reported; the next benchmark still runs
            errors[name] = f"{type(exc).__name__}: {exc}"
        timings[name] = round(time.perf_counter() - started, 1)
    results["bench_run"] = {
        "quick": bool(quick),
        "sizes": size,
        "seconds": timings,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if errors:
        results["errors"] = errors
    return results


# -- the table --------------------------------------------------------------------------------


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    else:
        text = str(value)
    return text + unit


def checks(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows (metric, value, target, ok?) for the results present."""
    rows: list[tuple[str, str, str, str]] = []

    def verdict(value: float | None, limit: float) -> str:
        if value is None:
            return "FAIL"
        return "ok" if value <= limit else "FAIL"

    if "cold_start_first_request_ratio" in results:
        r = results["cold_start_first_request_ratio"]
        rows.append(
            (
                "cold_start_first_request_ratio",
                _fmt(r),
                "≤ 1.2 (bar 1.5)",
                "ok" if r <= 1.2 else ("bar" if r <= 1.5 else "FAIL"),
            )
        )
        rows.append(
            (
                "  first GET /campaigns/{id}, median",
                _fmt(results.get("cold_start_first_request_ms_median"), " ms"),
                "",
                "",
            )
        )
        rows.append(
            (
                "  baseline (Chalice + boto3 GetItem), median",
                _fmt(results.get("cold_start_first_request_baseline_ms_median"), " ms"),
                "",
                "",
            )
        )
    if "cold_start_ratio" in results:
        r = results["cold_start_ratio"]
        rows.append(("cold_start_ratio (import app)", _fmt(r), "≤ 1.5", verdict(r, 1.5)))
        rows.append(("  import app, median", _fmt(results.get("cold_start_app_ms_median"), " ms"), "", ""))
        rows.append(("  baseline, median", _fmt(results.get("cold_start_baseline_ms_median"), " ms"), "", ""))
    ra = results.get("read_amplification")
    if ra:
        worst = ra.get("worst")
        rows.append(
            ("read_amplification.worst", _fmt(worst), "≤ 2", "FAIL" if ra.get("unmeasured") else verdict(worst, 2.0))
        )
        route_errors = ra.get("errors") or {}
        for name, ratio in ra.get("routes", {}).items():
            value = "error" if name in route_errors else _fmt(ratio)
            rows.append((f"  {name}", value, "≤ 2", verdict(ratio, 2.0)))
        detail = results.get("read_amplification_detail") or {}
        repeated = {
            n: r["repeated_across_pages"]
            for n, r in (detail.get("routes") or {}).items()
            if r.get("repeated_across_pages")
        }
        if repeated:
            rows.append(("  items repeated on page 2", str(sum(repeated.values())), "0", "FAIL"))
        secondary = detail.get("secondary_filters") or {}
        for name, r in secondary.items():
            rows.append((f"  (info) {name}", _fmt(r.get("ratio")), "(info)", ""))
    if "stream_unlock_ms_p50" in results:
        detail = results.get("stream_unlock_detail") or {}
        rows.append(("stream_unlock_ms_p50", _fmt(results["stream_unlock_ms_p50"], " ms"), "—", ""))
        rows.append(("stream_unlock_ms_p99", _fmt(results["stream_unlock_ms_p99"], " ms"), "—", ""))
        timed_out = detail.get("timed_out") or []
        rows.append(
            (
                "  unlocked / campaigns",
                f"{detail.get('unlocked')}/{detail.get('campaigns')}",
                "all",
                "ok" if not timed_out else "FAIL",
            )
        )
    rows += _money_checks(results)
    for name in results.get("errors") or {}:
        rows.append((name, "error", "", "FAIL"))
    return rows


def _money_checks(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """bench.money's rows: figures without a target are shown as (info)."""
    rows: list[tuple[str, str, str, str]] = []
    if "approval_with_budget_ms" in results:
        rows.append(("approval_with_budget_ms (median)", _fmt(results["approval_with_budget_ms"], " ms"), "(info)", ""))
        rows.append(("  approval_without_budget_ms", _fmt(results.get("approval_without_budget_ms"), " ms"), "", ""))
        rows.append(("  ratio", _fmt(results.get("approval_budget_ms_ratio")), "(info)", ""))
    if "approval_wru_with_budget" in results:
        rows.append(("approval_wru_with_budget", _fmt(results["approval_wru_with_budget"]), "(info)", ""))
        rows.append(("  approval_wru_without_budget", _fmt(results.get("approval_wru_without_budget")), "", ""))
        rows.append(("  ratio", _fmt(results.get("approval_wru_ratio")), "(info)", ""))
    for name in sorted(k for k in results if k.startswith("budget_race_")):
        race = results[name]
        rows.append(
            (
                f"{name}: approved / room",
                f"{race['approved']}/{race['room_for']}",
                "= room",
                "ok" if race["approved"] == race["room_for"] else "FAIL",
            )
        )
        rows.append(
            (
                "  final available",
                _fmt(race["final_available"]),
                f"= {race['expected_available']}",
                "ok" if race["final_available"] == race["expected_available"] else "FAIL",
            )
        )
        rows.append(
            (
                "  ledger replay difference",
                _fmt(race["ledger_replay_difference"]),
                "0",
                "ok" if race["ledger_replay_difference"] == 0 else "FAIL",
            )
        )
        others = sum((race.get("other_answers") or {}).values())
        rows.append(
            ("  answers other than 200 / 409 budget_exceeded", str(others), "0", "ok" if not others else "FAIL")
        )
        rows.append(("  wall time", _fmt(race["wall_ms"], " ms"), "(info)", ""))
    if "audit_verify_ms_50" in results:
        audit = (results.get("money_detail") or {}).get("audit") or {}
        verified = audit.get("verified") and audit.get("verified_offline")
        rows.append(
            (
                "audit_verify_ms_50 (median)",
                _fmt(results["audit_verify_ms_50"], " ms"),
                "(info)",
                "" if verified is None else ("ok" if verified else "FAIL"),
            )
        )
    inbox = results.get("me_approvals_read_amplification")
    if inbox:
        worst, errors, info_errors = inbox.get("worst"), inbox.get("errors") or {}, inbox.get("info_errors") or {}
        rows.append(
            (
                f"me_approvals_read_amplification.worst ({inbox.get('campaigns')} campaigns)",
                _fmt(worst),
                "≤ 2",
                "FAIL" if inbox.get("unmeasured") or errors or worst is None or worst > 2 else "ok",
            )
        )
        for name, ratio in (inbox.get("routes") or {}).items():
            shown = _fmt(ratio) + (" (then an error)" if name in errors else "")
            rows.append((f"  {name}", shown, "≤ 2", "FAIL" if name in errors or ratio is None or ratio > 2 else "ok"))
        for name, ratio in (inbox.get("info") or {}).items():
            rows.append(
                (f"  (info) {name}", _fmt(ratio) + (" (then an error)" if name in info_errors else ""), "(info)", "")
            )
    return rows


def table(results: dict[str, Any]) -> str:
    rows = [("metric", "value", "target", "ok?")] + checks(results)
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(cell.ljust(widths[i]) if i != 1 else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    errors = dict(results.get("errors") or {})
    for bench, kind in (
        ("read_amplification", "errors"),
        ("me_approvals_read_amplification", "errors"),
        ("me_approvals_read_amplification", "info_errors"),
    ):
        errors.update({f"{bench} {k}": v for k, v in ((results.get(bench) or {}).get(kind) or {}).items()})
    if errors:
        lines.append("")
        lines.extend(f"error in {name}: {message}" for name, message in errors.items())
    return "\n".join(lines)
