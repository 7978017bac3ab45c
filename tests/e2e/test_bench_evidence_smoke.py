"""A short run of `python -m bench.evidence` inside `make test`: the benchmark keeps working and
the duplicate lookup's read count (a count, not a timing) stays small and flat."""

from bench import evidence


def test_bench_evidence_quick_smoke():
    r = evidence.measure(quick=True)
    assert r["duplicate_lookup_items_read"] <= 50
    detail = r["evidence_detail"]["lookup"]
    assert all(v["queries_per_lookup"] == 6 for v in detail.values())  # 2 hashes × 3 bands, whatever the size
    assert r["photo_check_ratio"] > 0 and r["photo_check_peak_mb"] >= 0  # timings: reported, never asserted
