"""GET /me/changes over HTTP, fed by the stream functions with real stream records read back
from moto (the campaigns, feedback and evidence streams): every change a caller may see, once,
in order per entity, nothing of another rep's or another region's, redelivered records recorded
once, removes for cancelled campaigns, cursors bound to their caller, 410 past the retention."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import corpus as C
from tests.functional.evidence_support import Evidence

STORE = {"lat": 32.0415, "lon": 118.7849}


class Feed:
    """Delivers a company's stream records (as their event source mappings would, each once
    unless asked to redeliver) and reads callers' feeds page by page."""

    def __init__(self, api, streams, company) -> None:
        self.api, self.streams, self.co = api, streams, company

    def _mine(self, r) -> bool:
        d = r["dynamodb"]
        image = d.get("NewImage") or d.get("OldImage") or {}
        tenant = (image.get("tenant") or image.get("org") or {}).get("S", "")
        return tenant.split("/")[0] == self.co.root or image.get("campaign_id", {}).get("S") in self.campaigns

    campaigns: set[str] = set()

    def deliver(self, again: bool = False) -> None:
        ids = {c["id"] for c in self.api.get("/campaigns?limit=200", self.co.leader).json["items"]}
        self.campaigns = ids
        for kind, function in (
            ("campaigns", "on_campaign_change"),
            ("feedback", "on_feedback_change"),
            ("evidence", "on_evidence_change"),
        ):
            records = [
                r for r in self.streams.records(kind, self._mine) if again or r["eventID"] not in self.streams.delivered
            ]
            if records:
                assert self.streams.invoke(function, records) == {"batchItemFailures": []}

    def read(self, token, cursor=None, limit=200) -> tuple[list[dict], str]:
        items = []
        while True:
            query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            r = self.api.get(f"/me/changes{query}", token)
            assert r.status_code == 200, r.json
            items += r.json["items"]
            assert r.json["next_cursor"]
            if not r.json["items"]:
                return items, r.json["next_cursor"]
            cursor = r.json["next_cursor"]


@pytest.fixture
def feed(api, streams, company) -> Feed:
    return Feed(api, streams, company)


def _ids(items, entity="campaign"):
    return {i["id"] for i in items if i["entity"] == entity}


def test_every_change_reaches_exactly_the_feeds_of_those_who_may_see_it(api, company, flow, feed):
    mine, peer, west = (
        flow.approved(),
        flow.approved(token=company.rep2),
        flow.approved(token=company.rep_west, approver=company.west_manager),
    )
    feed.deliver()
    seen = {
        who: _ids(feed.read(getattr(company, who))[0])
        for who in ("rep", "rep2", "rep_west", "province_manager", "manager", "west_manager", "leader", "finance")
    }
    assert seen == {
        "rep": {mine["id"]},
        "rep2": {peer["id"]},
        "rep_west": {west["id"]},
        "province_manager": {mine["id"]},  # CN/EAST/JS: the rep's province, not ZJ's
        "manager": {mine["id"], peer["id"]},  # the region
        "west_manager": {west["id"]},  # never another region
        "leader": {mine["id"], peer["id"], west["id"]},
        "finance": {mine["id"], peer["id"], west["id"]},
    }


def test_a_campaigns_changes_arrive_once_in_order_as_its_route_shows_them(api, company, flow, feed):
    c = flow.approved()
    feed.deliver()
    items, cursor = feed.read(company.rep)
    statuses = [i["data"]["status"] for i in items if i["entity"] == "campaign"]
    assert statuses == ["draft", "submitted", "approved"]
    assert all(i["op"] == "upsert" and i["campaign_id"] == c["id"] for i in items)
    shown = api.get(f"/campaigns/{c['id']}", company.rep).json
    assert items[-1]["data"] == {k: v for k, v in shown.items() if k != "warnings"}
    seqs = [i["seq"] for i in items]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    ats = [i["at"] for i in items]
    assert ats == sorted(ats)
    # the same records delivered again (a retried batch): nothing new, the cursor still good
    feed.deliver(again=True)
    assert feed.read(company.rep, cursor)[0] == []
    assert [i["seq"] for i in feed.read(company.rep)[0]] == seqs


def test_check_ins_photos_and_feedback_reach_the_feed_with_fresh_links(api, lambda_client, company, flow, feed):
    c = flow.approved(start_date="2026-11-01", end_date="2026-11-03")
    feed.deliver()
    _, cursor = feed.read(company.manager)
    visit = api.post(f"/campaigns/{c['id']}/visits", company.rep, STORE).json
    photo = Evidence(api, lambda_client, company).upload(c["id"], C.jpeg(C.scene(31, (640, 480))))
    flow.submit_feedback(c["id"])
    feed.deliver()
    items, _ = feed.read(company.manager, cursor)
    kinds = [(i["entity"], i["op"]) for i in items]
    assert ("visit", "upsert") in kinds and ("attachment", "upsert") in kinds and ("feedback", "upsert") in kinds
    assert next(i for i in items if i["entity"] == "visit")["data"] == visit
    last_photo = [i for i in items if i["entity"] == "attachment"][-1]["data"]
    assert last_photo["status"] == "ready" and last_photo["sha256"] == photo["sha256"]
    assert last_photo["download_url"] and last_photo["download_url"].startswith("http")
    fed = [i for i in items if i["entity"] == "feedback"][-1]["data"]
    assert fed["campaign_id"] == c["id"] and fed["submitted"]["revision"] == 1 and fed["draft"] is None
    assert [i["data"]["status"] for i in items if i["entity"] == "attachment"] == ["pending_upload", "ready"]
    # what the campaign shows moved (feedback submitted); its audit head alone never makes an entry
    shown = [i["data"] for i in items if i["entity"] == "campaign"]
    assert shown and shown[-1]["feedback"]["revision"] == 1
    assert all(i["entity"] != "campaign" or i["data"]["feedback"]["revision"] == 1 for i in items[-1:])
    # nothing of it in another region's feed
    assert not [i for i in feed.read(company.west_manager)[0] if i["campaign_id"] == c["id"]]


def test_a_cancelled_campaign_and_what_it_holds_leave_every_feed_as_removes(api, company, flow, feed):
    c = flow.approved()
    api.post(f"/campaigns/{c['id']}/visits", company.rep, STORE)
    feed.deliver()
    _, cursor = feed.read(company.leader)
    assert api.post(f"/campaigns/{c['id']}/cancel", company.rep, {"reason": "closed"}).status_code == 200
    feed.deliver()
    items, _ = feed.read(company.leader, cursor)
    assert [(i["entity"], i["id"], i["op"], i["data"]) for i in items] == [("campaign", c["id"], "remove", None)]
    assert [i["op"] for i in feed.read(company.rep, cursor=None)[0]][-1] == "remove"


def test_a_deleted_attachment_is_removed(api, company, flow, feed):
    c = flow.approved()
    asked = api.post(
        f"/campaigns/{c['id']}/attachments",
        company.rep,
        {"filename": "a.jpg", "content_type": "image/jpeg", "size_bytes": 1000},
    ).json["attachment"]
    assert api.delete(f"/campaigns/{c['id']}/attachments/{asked['id']}", company.rep).status_code == 204
    feed.deliver()
    items = [i for i in feed.read(company.rep)[0] if i["entity"] == "attachment"]
    assert [(i["id"], i["op"]) for i in items] == [(asked["id"], "upsert"), (asked["id"], "remove")]
    assert items[-1]["data"] is None


def test_cursors_are_bound_to_their_caller_and_tampering_shows(api, company, flow, feed):
    from tests.conftest import Company, mint

    flow.approved()
    feed.deliver()
    _, cursor = feed.read(company.manager)
    colleague = mint("rm2-" + company.root, "manager", company.east, name="Same node, another person")
    other = Company()
    text, _, mac = cursor.rpartition(".")
    for who, bad in (
        (colleague, cursor),
        (other.manager, cursor),
        (company.rep, cursor),
        (company.manager, text + "." + mac[::-1]),
        (company.manager, "eyJzIjo5OTk5LCJ0IjowfQ." + mac),
        (company.manager, "not a cursor"),
        (company.manager, "x" * 600),
    ):
        r = api.get(f"/me/changes?cursor={bad}", who)
        assert r.status_code == 400 and r.json["errors"][0]["field"] == "cursor", (bad, r.json)
        assert r.json["errors"][0]["code"] == "bad_cursor"
    assert api.get(f"/me/changes?cursor={cursor}", company.manager).status_code == 200


@pytest.mark.parametrize(("limit", "code"), [("0", "too_small"), ("201", "too_large"), ("ten", "wrong_type")])
def test_limits_out_of_range_are_400s_naming_the_limit(api, company, limit, code):
    r = api.get(f"/me/changes?limit={limit}", company.rep)
    assert r.status_code == 400 and r.json["errors"][0] == {**r.json["errors"][0], "field": "limit", "code": code}


def test_a_cursor_past_the_retention_is_410_resync_required(api, company, flow, feed, monkeypatch):
    from chalicelib import clock

    flow.approved()
    feed.deliver()
    _, cursor = feed.read(company.rep)
    real = clock.now_iso
    later = dt.datetime.fromisoformat(real().replace("Z", "+00:00")) + dt.timedelta(days=7, hours=1)
    monkeypatch.setattr(clock, "now_iso", lambda: later.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
    r = api.get(f"/me/changes?cursor={cursor}", company.rep)
    assert r.status_code == 410 and r.json["code"] == "resync_required" and r.json["params"] == {"retention_days": 7}
    # starting again without a cursor works
    assert api.get("/me/changes", company.rep).status_code == 200


def test_a_company_with_nothing_yet_answers_an_empty_page_and_a_cursor(api, company):
    r = api.get("/me/changes", company.finance)
    assert r.status_code == 200 and r.json["items"] == [] and r.json["next_cursor"]
    again = api.get(f"/me/changes?cursor={r.json['next_cursor']}", company.finance)
    assert again.status_code == 200 and again.json["items"] == []
