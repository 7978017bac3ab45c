"""A short run of `make bench` inside `make test`: the benchmarks keep working, and the
read-amplification target (a count, not a timing) holds on a small seed. The local-stack
benchmarks run against the e2e modules' shared stack instead of starting their own."""

import bench
from bench import invoices, money, stream_unlock
from bench import local_stack as local_stack_bench
from bench import webhooks as webhooks_bench


def test_bench_quick_smoke():
    r = bench.run(quick=True, only=["cold_start", "read_amplification"])
    assert "errors" not in r, r.get("errors")
    amplification = r["read_amplification"]
    assert not amplification["errors"] and not amplification["unmeasured"]
    assert amplification["worst"] <= 2, amplification["routes"]
    assert r["cold_start_ratio"] > 0 and r["cold_start_first_request_ratio"] > 0  # reported, never asserted


def test_stream_unlock_bench_smoke(local_stack):
    result = stream_unlock.run_scenario(local_stack.http.base, 3)
    assert len(result["samples"]) == 3 and not result["failures"]


def test_local_stack_bench_smoke(local_stack):
    r = local_stack_bench.measure(quick=True, url=local_stack.http.base)
    sweep = r["local_stack_detail"]["sweep"]
    assert sweep["rule_sweep_covered"] == sweep["rule_sweep_shown"] == sweep["rule_sweep_campaigns"]
    assert r["local_stack_detail"]["unlock"]["unlocked"] == r["local_stack_detail"]["unlock"]["campaigns"]
    outcomes = r["local_stack_detail"]["connections"]["concurrent_outcomes"]
    assert set(outcomes) <= {"200", "reset", "refused"}  # every connection got an answer or a count
    assert r["local_get_ms_p50"] > 0  # timings are reported by `make bench`, never asserted


def test_money_bench_smoke(local_stack):
    """10 approvals racing for room for 3: exactly 3 approved, the rest refused for the budget,
    the budget and its ledger agree; a 50-entry trail verifies; /me/approvals reads ≤ 2 per item."""
    sizes = {
        **money.SIZES[True],
        "approval_pairs": 2,
        "race": 10,
        "race_room": 3,
        "audit_reads": 2,
        "wru_approvals": 1,
        "campaigns": 300,
    }
    r = money.measure(url=local_stack.http.base, sizes=sizes)
    race = r["budget_race_10"]
    assert (race["approved"], race["refused_budget_exceeded"], race["other_answers"]) == (3, 7, {}), race
    assert race["campaigns_by_status"] == {"approved": 3, "submitted": 7}
    assert race["final_available"] == race["expected_available"] and race["ledger_replay_difference"] == 0
    audit = r["money_detail"]["audit"]
    assert audit["entries"] == 50 and audit["verified"] and audit["verified_offline"]
    assert r["approval_wru_with_budget"] > r["approval_wru_without_budget"] > 0  # counted, not timed
    inbox = r["me_approvals_read_amplification"]
    assert not inbox["errors"] and not inbox["unmeasured"] and inbox["worst"] <= 2, inbox
    assert r["approval_with_budget_ms"] > 0 and r["audit_verify_ms_50"] > 0  # timings: reported, never asserted
    assert "budget_race_10: approved / room" in bench.table(r)


def test_webhook_bench_smoke(local_stack):
    """Every event to a receiver failing 30 % of attempts is delivered, none after a success twice."""
    url = local_stack.http.base
    r = webhooks_bench.measure(url=url, chaos_url=url, sizes={"latency": 3, "chaos": 20})
    chaos = r["webhook_chaos"]
    assert (chaos["events"], chaos["delivered"], chaos["lost"]) == (20, 20, 0), r["webhook_detail"]["chaos"]
    assert r["webhook_detail"]["chaos"]["duplicates_after_success"] == 0
    assert r["webhook_detail"]["chaos"]["delivery_log"] == {"delivered": 20}
    assert r["webhook_detail"]["latency"]["measured"] == 3 and r["webhook_delivery_ms_p99"] > 0  # reported only


def test_invoice_bench_smoke(local_stack):
    """24 claims of 4 invoices across 6 campaigns, 8 at a time, on the local stack: exactly one
    claim per invoice, every other answer 409 invoice_already_claimed, and each claimed invoice
    listed by exactly the campaign that won it, whose total is what it lists; a claim's write
    units counted. The QR corpus and the checker's overhead run in `make bench` only."""
    r = invoices.measure(url=local_stack.http.base, sizes=invoices.SIZES[True], qr=False)
    race = r["invoice_race"]
    assert (race["claimed"], race["refused"], race["errors"], race["consistent"]) == (4, 20, 0, True), race
    assert r["invoice_claim_wru"] > 0 and r["invoice_claim_ms_p50"] > 0  # counted and timed: reported, never asserted
    assert "invoice_race: claimed / refused / errors" in invoices.table(r)


def test_the_recorded_results_name_no_path_of_the_machine_that_made_them():
    import json

    from bench._common import RESULTS
    from tests.machine_paths import machine_paths

    text = RESULTS.read_text()
    json.loads(text)
    # API paths (/campaigns?...) are fine; a file system path of the machine is not
    found = machine_paths(text)
    assert not found, f"bench/results.json records paths of the machine: {found}"


def test_changes_bench_smoke(local_stack):
    """A few check-ins reach the rep's and the manager's feeds on the local stack; a small
    manager's feed pages once, in order, reading about one item per item returned; a change
    costs write units (counted, never a timing)."""
    from bench import changes

    lag = changes.measure_lag(local_stack.http.base, 3)
    assert lag["seen_in_both"] == 3 and not lag["not_seen_within_s"]["visits"], lag
    assert lag["changes_lag_ms_p99"] is not None and lag["changes_lag_ms_p99"] > 0  # reported, never asserted
    counts = changes.measure_counts(300, 2, timeout=600)
    reads = counts["reads"]
    assert reads["items_returned"] == 300 and reads["in_order_once"], reads
    assert counts["changes_read_amplification"] <= changes.TARGETS["changes_read_amplification"], reads
    assert counts["writes"]["changes"] == 3 and counts["changes_wru_per_change"] > 0, counts["writes"]


def test_invoice_qr_bench_smoke():
    """The QR corpus the benchmark makes is read by the checker (two photos and a PDF), nothing
    is read from photos without a code, and the overhead is measured, of inspect and of the
    whole checker."""
    found = invoices.measure_qr(photos=2, pdfs=1, plain=2)
    assert found["invoice_qr_found_rate"] == 1.0 and found["invoice_qr_false_reads"] == 0, found
    assert invoices.measure_overhead(1)["invoice_qr_overhead_ratio"] > 0  # timed: reported, never asserted
    # the whole checker's run: it raises unless the checker finds the photo ready
    assert invoices.measure_checker_overhead(1)["invoice_qr_checker_overhead_ratio"] > 0
