"""Smoke run of the evaluation benchmarks (tiny sizes): the harness works and its checks hold.
The numbers that count come from `python -m bench.evaluation` (full sizes), never from here."""

from __future__ import annotations


def test_the_evaluation_benchmarks_run_and_roll_ups_stay_exact():
    from bench.evaluation import measure, rows

    results = measure("smoke", timeout=600)
    assert "evaluation_errors" not in results, results.get("evaluation_errors")
    assert results["rollup_exact"] is True
    assert results["rollup_exact_detail"]["injected_failures"] > 0
    detail = results["summary_detail"]
    # a summary reads roll-up rows only: 12 months x 4 categories at most, however many campaigns
    assert detail["items_read"]["10k"] <= detail["items_read"]["200k"] <= 48
    assert detail["approved_campaigns_in_result"]["200k"] > detail["approved_campaigns_in_result"]["10k"]
    assert results["report_detail"]["outcome"] == "ready"
    assert {r[0] for r in rows(results)} >= {"summary_scaling_ratio", "report_compile_s", "rollup_exact"}
