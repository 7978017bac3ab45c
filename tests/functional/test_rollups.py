"""Roll-ups kept by the campaigns stream equal a recompute from the campaigns, exactly once,
under redelivery, replays in any batch split, and failures injected in the middle of a batch."""

from __future__ import annotations

import json
import random

from tools.verify_rollups import recompute, stored, verify


def campaign_records(streams, tenant: str) -> list[dict]:
    def mine(r):
        image = r["dynamodb"].get("NewImage") or r["dynamodb"].get("OldImage") or {}
        return image.get("tenant", {}).get("S") == tenant

    return streams.records("campaigns", mine)


def deliver(streams, records: list[dict]) -> dict:
    return streams.invoke("on_campaign_change", records)


def test_roll_ups_count_approved_campaigns_in_their_start_month(api, company, flow, streams):
    # GIVEN a draft, a rejected and two approved campaigns (one fed back, one settled)
    flow.draft()
    rejected = flow.submitted()
    assert api.post(f"/campaigns/{rejected['id']}/reject", company.manager, {"comment": "no"}).status_code == 200
    a = flow.approved(amount=150000, start_date="2026-10-30", end_date="2026-11-02")
    b = flow.approved(amount=100000, category="display")
    flow.submit_feedback(a["id"], actual_spend=120000, actual_sales=600000)
    # WHEN the campaigns stream is delivered
    assert deliver(streams, campaign_records(streams, company.root)) == {"batchItemFailures": []}
    # THEN the rows equal a recompute, and count only approved campaigns in their start month
    assert verify(company.root) == []
    rows = stored(company.root)
    from chalicelib.domain.rollups import RowKey

    october = rows[RowKey(company.root, "org", company.root, "2026-10", company.root, "tasting")]
    assert october["campaigns"] == 1 and october["approved_amount"] == 150000
    assert october["actual_spend"] == 120000 and october["active"] == 1
    november = rows[RowKey(company.root, "org", company.east, "2026-11", company.east, "display")]
    assert november["campaigns"] == 1 and "actual_spend" not in november
    assert b["id"]


def test_redelivered_and_replayed_records_have_no_second_effect(api, company, flow, streams):
    c = flow.approved()
    flow.submit_feedback(c["id"])
    records = campaign_records(streams, company.root)
    deliver(streams, records)
    once = stored(company.root)
    # WHEN the same records arrive again, whole and in pieces
    deliver(streams, records)
    for r in records:
        deliver(streams, [r])
    # THEN nothing moved
    assert stored(company.root) == once
    assert verify(company.root) == []


def test_roll_ups_equal_a_recompute_after_random_revisions_redeliveries_and_mid_batch_failures(
    api, company, flow, streams, monkeypatch
):
    rng = random.Random(20261123)
    flow.rule(scope="category", category="tasting", due_days=3)
    streams.run_rules(company.root)
    campaigns = []
    for i in range(8):
        c = flow.approved(
            amount=100000 + i,
            category=rng.choice(["tasting", "display"]),
            start_date=rng.choice(["2026-09-05", "2026-10-12", "2026-11-01"]),
            end_date="2026-11-20",
            customer={"id": f"C{i % 3}", "name": f"Customer {i % 3}"},
        )
        campaigns.append(c)
    for _ in range(10):
        c = rng.choice(campaigns)
        flow.submit_feedback(
            c["id"], actual_spend=rng.choice([0, 50000, 90000]), actual_sales=rng.choice([0, 100000, 700000])
        )
    settled = campaigns[0]
    assert api.post(f"/campaigns/{settled['id']}/reimbursement", company.finance, {}).status_code == 201
    records = campaign_records(streams, company.root)

    # a failure injected into the transaction of every third record, once each
    import chalicelib.dal.rollups as dal

    real = dal.RollupRepository.apply
    failed: set[str] = set()

    # every third record fails on its first delivery, chosen by position (the stream's event ids
    # are random: choosing by them made which batches failed differ from run to run)
    victims = {r["eventID"] for i, r in enumerate(records) if i % 3 == 0}

    def flaky(self, event_id, rows, *rest):
        if event_id in victims and event_id not in failed:
            failed.add(event_id)
            raise RuntimeError("injected failure")
        return real(self, event_id, rows, *rest)

    monkeypatch.setattr(dal.RollupRepository, "apply", flaky)
    # WHEN batches of random sizes arrive, failures are retried from the reported record on,
    # and everything is delivered again at the end (a replay from TRIM_HORIZON). A batch whose
    # every record failed fails the invocation (the handler raises), and Lambda delivers the
    # whole batch again. Which records fail is fixed by their position.
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    pending = list(records)
    while pending:
        size = rng.randint(1, 7)
        batch = pending[:size]
        failed_before = set(failed)
        try:
            payload = deliver(streams, batch)
        except BatchProcessingError:
            # only a batch in which every record failed may fail the invocation: each record
            # either had its failure injected now or follows a failed record of the same item
            # (whose later changes wait for it, in order)
            injected = failed - failed_before
            waiting: set[str] = set()
            for r in batch:
                keys = json.dumps(r["dynamodb"]["Keys"], sort_keys=True)
                assert r["eventID"] in injected or keys in waiting
                waiting.add(keys)
            continue  # redelivered from the same record on
        failures = payload["batchItemFailures"]
        if failures:
            first = min(
                i
                for i, r in enumerate(batch)
                if r["dynamodb"]["SequenceNumber"] in {f["itemIdentifier"] for f in failures}
            )
            pending = batch[first:] + pending[size:]
        else:
            pending = pending[size:]
    assert failed, "the test injected no failure"
    for start in range(0, len(records), 5):
        assert deliver(streams, records[start : start + 5]) == {"batchItemFailures": []}
    # THEN every roll-up equals the recompute
    assert verify(company.root) == []
    assert recompute(company.root)
    # AND the ROI standings (a report's best and worst campaigns) are the campaigns' as they are now
    from chalicelib.dal import repos
    from chalicelib.domain.rollups import standings

    expected = set().union(*(standings(repos.campaigns().get(c["id"])) for c in campaigns))
    kept = set()
    for month in ("2026-09", "2026-10", "2026-11"):
        for node in {s.node for s in expected} | {company.root}:
            kept |= set(repos.rollups().standings(company.root, node, month, 100, best=True))
    assert expected and kept == expected


def test_a_campaign_moving_month_and_category_moves_its_contribution(api, company, flow, streams):
    from chalicelib.dal import repos
    from chalicelib.domain.rollups import RowKey

    c = flow.approved(start_date="2026-08-10", end_date="2026-08-12")
    campaign = repos.campaigns().get(c["id"])
    campaign.start_date, campaign.category = "2026-09-01", "roadshow"
    repos.campaigns().save(campaign)
    deliver(streams, campaign_records(streams, company.root))
    rows = stored(company.root)
    assert RowKey(company.root, "org", company.root, "2026-08", company.root, "tasting") not in rows
    assert rows[RowKey(company.root, "org", company.root, "2026-09", company.root, "roadshow")]["campaigns"] == 1
    assert verify(company.root) == []
