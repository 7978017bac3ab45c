"""Money follows what happened: no feedback submitted and nothing paid before a campaign's last
day, and an application made after its campaign began is flagged to the approver."""

from __future__ import annotations

import datetime as dt

from tests.conftest import business_date


def day(offset: int) -> str:
    return (business_date() + dt.timedelta(days=offset)).isoformat()


def test_a_campaign_that_has_not_happened_can_be_neither_reported_nor_paid(api, company, flow, streams):
    # GIVEN a tasting next week, approved today, with no rule requiring feedback
    c = flow.approved(amount=180000, start_date=day(6), end_date=day(7))
    assert c["reimbursement"]["status"] == "unlocked"
    # WHEN the rep writes "actual" figures at once, the draft is kept …
    figures = {"actual_spend": 165000, "actual_sales": 900000, "effect_rating": 5, "reflections": "great"}
    assert api.put(f"/campaigns/{c['id']}/feedback", company.rep, figures).status_code == 200
    # … but submitting it is refused, naming the day from which it is possible
    r = api.post(f"/campaigns/{c['id']}/feedback/submit", company.rep)
    assert r.status_code == 409, r.json
    assert r.json["code"] == "campaign_not_ended" and r.json["ends_on"] == day(7)
    # AND finance cannot pay it either, whatever the rules say
    r = api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {})
    assert r.status_code == 409 and r.json["code"] == "campaign_not_ended" and r.json["ends_on"] == day(7)
    after = flow.campaign(c["id"])
    assert after["feedback"]["revision"] == 0 and after["reimbursement"]["amount"] is None


def test_feedback_may_be_submitted_and_settled_on_the_last_day(api, company, flow, streams):
    c = flow.approved(amount=180000, start_date=day(-1), end_date=day(0))
    fb = flow.submit_feedback(c["id"], actual_spend=150000)
    assert fb["revision"] == 1
    streams.deliver_feedback(c["id"])
    r = api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {})
    assert r.status_code == 201 and r.json["amount"] == 150000


def test_an_application_for_a_campaign_already_begun_warns_the_approver(api, company, flow):
    late = flow.submitted(start_date=day(-2), end_date=day(1), customer={"id": "LATE-1", "name": "Late"})
    timely = flow.submitted(start_date=day(0), end_date=day(1), customer={"id": "TIMELY-1", "name": "On time"})
    warned = api.get(f"/campaigns/{late['id']}", company.manager).json["warnings"]
    assert [w["code"] for w in warned] == ["retroactive_application"]
    assert api.get(f"/campaigns/{timely['id']}", company.manager).json["warnings"] == []
    card = api.get(f"/campaigns/{late['id']}/approval-card", company.manager).json
    assert [w["code"] for w in card["warnings"]] == ["retroactive_application"]
    # it informs, never blocks
    r = api.post(f"/campaigns/{late['id']}/approve", company.manager, {"approved_amount": 100000})
    assert r.status_code == 200 and r.json["status"] == "approved"
