"""The repositories against DynamoDB (moto): conditions, versions, transactions and indexes."""
from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from chalicelib.dal import repos
from chalicelib.dal.campaigns import StaleWrite, index_keys, q
from chalicelib.dal.feedback import revision_key
from chalicelib.dal.models import CampaignModel, FeedbackModel
from chalicelib.domain.campaign import Campaign, RuleRef
from chalicelib.domain.feedback import FeedbackReport
from chalicelib.domain.ids import new_id


def campaign(org: str, **kw) -> Campaign:
    base = dict(id=new_id(), org=org, owner_id="u-" + org, owner_name="Li", title="t", category="tasting",
                customer_id="K1", customer_name="k", start_date="2026-11-01", end_date="2026-11-03",
                expected_spend=100, expected_sales=500, requested_amount=100,
                created_at="2026-11-01T00:00:00.000Z", updated_at="2026-11-01T00:00:00.000Z")
    base.update(kw)
    return Campaign(**base)


@pytest.fixture
def org() -> str:
    return f"I{uuid.uuid4().hex[:8].upper()}/EAST/JS"


def test_a_campaign_round_trips_through_its_model(org):
    c = campaign(org, location={"address": "x", "lat": 32.5, "lon": 118.25}, rule=RuleRef("R1", "all", 7, 2))
    repos.campaigns().insert(c)
    back = repos.campaigns().get(c.id)
    assert replace(back, version=None) == replace(c, version=None)
    assert back.version == 1


def test_insert_never_overwrites(org):
    c = campaign(org)
    repos.campaigns().insert(c)
    with pytest.raises(Exception):
        repos.campaigns().insert(replace(c, version=None))


def test_a_write_based_on_a_stale_read_is_refused(org):
    c = repos.campaigns().insert(campaign(org))
    a, b = repos.campaigns().get(c.id), repos.campaigns().get(c.id)
    a.title = "first"
    repos.campaigns().save(a)
    b.title = "second"
    with pytest.raises(StaleWrite):
        repos.campaigns().save(b)
    assert repos.campaigns().get(c.id).title == "first"


def test_index_keys_put_a_campaign_in_exactly_the_worklists_it_belongs_to(org):
    c = campaign(org, status="approved", rule=RuleRef("R1", "all", 7))
    keys = index_keys(c)
    tenant = org.split("/")[0]
    assert keys["fbq_l1"] == f"awaiting|{tenant}" and keys["fbq_l3"] == f"awaiting|{org}"
    assert keys["fbq_sk"].startswith("2026-11-10#") and keys["fbd_l1"] is None
    c.feedback_revision, c.feedback_submitted_at = 1, "2026-11-05T00:00:00.000Z"
    keys = index_keys(c)
    assert keys["fbq_l2"] == f"submitted|{tenant}/EAST" and keys["fbd_l2"] == f"{tenant}/EAST"
    assert index_keys(campaign(org))["fbq_owner"] is None     # drafts are in no worklist


def test_the_org_index_selects_whole_subtrees(org):
    tenant = org.split("/")[0]
    inside = repos.campaigns().insert(campaign(f"{tenant}/EAST/JS"))
    repos.campaigns().insert(campaign(f"{tenant}/EASTERN/JS"))
    page = repos.campaigns().query(
        q("by_org", tenant, range_condition=CampaignModel.org_sk.startswith(f"{tenant}/EAST/")), 10, None)
    assert [c.id for c in page.items] == [inside.id]
    assert page.items_read == 1


def test_a_submission_is_all_or_nothing(org):
    c = repos.campaigns().insert(campaign(org, status="approved", approved_amount=100))
    report = FeedbackReport(campaign_id=c.id, author_id="u", author_name="", status="submitted",
                            created_at="x", updated_at="x", revision=1, actual_spend=5, actual_sales=9)
    c.feedback_revision = 1
    repos.feedback().record_submission(c, report, consumed_draft=False)
    # GIVEN someone else already wrote revision 1, WHEN a stale submit tries again
    stale = repos.campaigns().get(c.id)
    stale.version -= 1
    stale.title = "should not stick"
    with pytest.raises(StaleWrite):
        repos.feedback().record_submission(stale, replace(report, actual_spend=999), consumed_draft=False)
    # THEN neither the revision nor the campaign changed
    assert FeedbackModel.get(c.id, revision_key(1)).actual_spend == 5
    assert repos.campaigns().get(c.id).title == "t"
