"""A short run of `python -m bench.offline_sync` inside `make test`, on the browser tests' stack:
the benchmark keeps working, and what it counts on the server is exactly once."""

from __future__ import annotations

from bench import offline_sync


def test_bench_offline_sync_quick_smoke(stack, browser):
    result = offline_sync.run(stack.url, campaigns=1, photos=2, browser=browser)
    assert (result["submitted_revisions"], result["ready_photos"], result["duplicates"]) == (1, 2, 0)
    assert 0 < result["sending_seconds"] <= result["seconds"]
    assert "exactly once" in offline_sync.table({"offline_sync": result})
