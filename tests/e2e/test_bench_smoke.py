"""A short run of `make bench` inside `make test`: the benchmarks keep working, and the
read-amplification target (a count, not a timing) holds on a small seed."""
import bench


def test_bench_quick_smoke():
    r = bench.run(quick=True)
    assert "errors" not in r, r.get("errors")
    amplification = r["read_amplification"]
    assert not amplification["errors"] and not amplification["unmeasured"]
    assert amplification["worst"] <= 2, amplification["routes"]
    detail = r["stream_unlock_detail"]
    assert detail["unlocked"] == detail["campaigns"] > 0
    assert r["cold_start_ratio"] > 0 and r["cold_start_first_request_ratio"] > 0   # reported, never asserted
