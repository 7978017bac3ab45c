"""Stream images are read by the table's model straight from DynamoDB JSON: the campaign a
roll-up sees is exactly the one that was written, and exactly what the old three-step decoding
(Powertools → plain values → DynamoDB JSON → model) gave."""

from __future__ import annotations

from bench import stream_decode


def test_a_campaign_record_decodes_to_the_campaign_written_by_either_path():
    records = stream_decode._records(2)
    new, old = stream_decode._new_path(records), stream_decode._old_path(records)
    assert len(new) == 4 and new == old
    assert all(c == stream_decode.campaign() for c in new)  # location, rule, chain, budget, version


def test_the_bench_reports_both_paths_side_by_side():
    r = stream_decode.measure(quick=True)
    assert r["stream_decode_us_per_record"] > 0 and r["stream_decode_ratio"] > 0  # timings: reported, not asserted
    assert r["stream_decode_detail"]["old_us_per_record"] > 0
