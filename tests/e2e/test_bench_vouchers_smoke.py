"""A short run of `python -m bench.vouchers` inside `make test`: the benchmark keeps working, a
batch reads about one item per campaign (a count, not a timing), and racing creators leave
every campaign in exactly one balanced batch."""

from bench import vouchers


def test_bench_vouchers_quick_smoke():
    r = vouchers.measure(quick=True)
    assert r["voucher_batch_items_read_per_campaign"] <= 1.2
    race = r["vouchers_detail"]["race"]
    assert r["voucher_race_ok"] is True and race["in_two_batches"] == 0 and race["left_out"] == 0, race
    assert r["vouchers_detail"]["batch"]["campaigns"] == vouchers.SIZES[True]["campaigns"]
    assert r["voucher_batch_10k_s"] > 0 and r["voucher_batch_10k_peak_mb"] >= 0  # timings: reported, never asserted
