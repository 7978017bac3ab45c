"""Events out on the local stack as a user runs it (`python -m devstack run`): its stream runners,
its SQS runner and the delivery function, to a receiver on 127.0.0.1 that verifies every event
with the standardwebhooks package, as a customer's receiver would."""

from __future__ import annotations

import datetime as dt

from standardwebhooks.webhooks import Webhook as Verifier

from devstack.receiver import Behaviour, Receiver
from tests.e2e.conftest import wait_for

LOOP = ["campaign.submitted", "campaign.approved", "feedback.submitted", "settlement.unlocked", "campaign.reimbursed"]


def _application(title: str) -> dict:
    today = dt.date.today()  # a campaign that has ended: feedback and settlement wait for its last day
    return {
        "title": title,
        "category": "tasting",
        "customer": {"id": "SUGUO-XJK", "name": "Suguo Xinjiekou"},
        "start_date": (today - dt.timedelta(days=4)).isoformat(),
        "end_date": (today - dt.timedelta(days=3)).isoformat(),
        "plan": {"expected_spend": 300000, "expected_sales": 1000000},
        "requested_amount": 300000,
    }


def test_the_loops_events_arrive_signed_at_a_local_receiver(http, org):
    receiver = Receiver().start()
    try:
        status, hook = http("POST", "/webhooks", org.finance, {"url": receiver.url, "events": LOOP})
        assert status == 201 and hook["secret"].startswith("whsec_"), hook
        assert http("POST", "/feedback-rules", org.leader, {"scope": "all"})[0] == 201
        status, c = http("POST", "/campaigns", org.rep, _application("Weekend tasting heard by the ERP"))
        assert status == 201, c
        assert http("POST", f"/campaigns/{c['id']}/submit", org.rep)[0] == 200
        assert http("POST", f"/campaigns/{c['id']}/approve", org.manager, {"approved_amount": 280000})[0] == 200
        figures = {"actual_spend": 250000, "actual_sales": 900000, "effect_rating": 4, "reflections": "busy"}
        assert http("POST", f"/campaigns/{c['id']}/feedback/submit", org.rep, figures)[0] == 200
        wait_for(lambda: http("GET", f"/campaigns/{c['id']}", org.finance)[1]["reimbursement"]["status"] == "unlocked")
        assert http("POST", f"/campaigns/{c['id']}/reimbursement", org.finance, {})[0] == 201
        got = receiver.wait_for(len(LOOP), timeout=30)
        verifier = Verifier(hook["secret"])
        events = [verifier.verify(r.body, r.headers) for r in got]  # signature and time, as a receiver checks
        assert sorted(e["type"] for e in events) == sorted(LOOP)
        assert {e["data"]["id"] for e in events} == {c["id"]}
        assert len({r.headers["webhook-id"] for r in got}) == len(LOOP)
        by_type = {e["type"]: e["data"] for e in events}
        assert by_type["campaign.approved"]["approved_amount"] == 280000
        assert by_type["campaign.reimbursed"]["reimbursement"]["amount"] == 250000
        status, log = http("GET", f"/webhooks/{hook['id']}/deliveries?status=delivered", org.leader)
        assert status == 200 and len(log["items"]) == len(LOOP)
    finally:
        receiver.stop()


def test_a_receiver_that_was_down_gets_the_event_with_the_same_id_once_it_is_back(http, org):
    receiver = Receiver().start()
    try:
        receiver.behave(lambda n: Behaviour.status(503)(n) if n < 2 else Behaviour.status(204)(n))
        status, hook = http("POST", "/webhooks", org.leader, {"url": receiver.url, "events": ["campaign.submitted"]})
        assert status == 201, hook
        status, c = http("POST", "/campaigns", org.rep, _application("Heard on the third try"))
        assert http("POST", f"/campaigns/{c['id']}/submit", org.rep)[0] == 200
        got = receiver.wait_for(3, timeout=30)  # the local stack retries after 1 s, then 2 s
        assert len(got) == 3 and len({r.headers["webhook-id"] for r in got}) == 1
        assert Verifier(hook["secret"]).verify(got[-1].body, got[-1].headers)["data"]["id"] == c["id"]
        (d,) = wait_for(
            lambda: [
                d
                for d in http("GET", f"/webhooks/{hook['id']}/deliveries", org.leader)[1]["items"]
                if d["status"] == "delivered"
            ]
        )
        assert d["attempts"] == 3 and [a["status_code"] for a in d["attempt_log"]] == [503, 503, 204]
    finally:
        receiver.stop()
