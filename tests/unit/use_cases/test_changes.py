"""The changes feed (chalicelib.logic.changes): what each reader's partitions hold, once, in
order, from a cursor of their own, with removes when something leaves their sight and a 410
past the days kept. `Stream` plays the tables' streams for the in-memory storage;
tests/functional/test_changes_feed.py runs the same on the local stack's real streams."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from chalicelib.dal import images, repos
from chalicelib.dal.memory import InMemoryStorage
from chalicelib.domain.access import Principal
from chalicelib.domain.errors import Gone, InvalidInput
from chalicelib.domain.evidence import Attachment
from chalicelib.domain.pages import PageRequest
from chalicelib.domain.visits import Visit
from chalicelib.logic import campaigns, changes, evidence, feedback, visits
from tests.unit.use_cases.builders import (
    FINANCE,
    LEADER,
    OUTSIDER,
    PROVINCE,
    REGION,
    REP,
    REP_WEST,
    REP_ZJ,
    WEST,
    ZJ_MANAGER,
    approved,
)
from tests.unit.use_cases.conftest import Clock

XINJIEKOU = {"address": "Xinjiekou", "lat": 32.0415, "lon": 118.7849}


class Stream:
    """Plays the tables' streams for the in-memory storage: delivers the change from the image
    last delivered to the state stored now, as a stream record would carry it."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], dict[str, Any]] = {}
        self.sequence = 0

    def _seq(self) -> str:
        self.sequence += 1
        return f"{self.sequence:021d}"

    def campaign(self, campaign_id: str) -> str:
        new = images.campaign_image(repos.campaigns().get(campaign_id))
        old = self.seen.get(("campaign", campaign_id))
        self.seen[("campaign", campaign_id)] = new
        return changes.campaign_item_changed(old, new)

    def feedback(self, campaign_id: str, draft: bool = False) -> str:
        report = repos.feedback().draft(campaign_id) if draft else repos.feedback().latest_submitted(campaign_id)
        new = images.feedback_image(report)
        return changes.feedback_item_changed(None, new, self._seq())

    def attachment(self, a: Attachment, removed: bool = False) -> str:
        image = images.attachment_image(a)
        return changes.evidence_item_changed(image if removed else None, None if removed else image, self._seq())

    def visit(self, v: Visit) -> str:
        return changes.evidence_item_changed(None, images.visit_image(v), self._seq())


def _feed(
    who: Principal, cursor: str | None = None, limit: int = 50
) -> tuple[list[tuple[str, str, str]], str, list[changes.FeedItem]]:
    """(entity, id, op) of each change of the caller's next page, its cursor, and the items."""
    items, next_cursor = changes.my_changes(who, PageRequest(limit, cursor))
    return [(i.entry.change.entity, i.entry.change.id, i.entry.change.op) for i in items], next_cursor, items


def test_each_reader_sees_exactly_the_changes_of_what_they_may_see(store):
    stream = Stream()
    mine = approved()
    neighbour = approved(owner=REP_ZJ)
    theirs = approved(owner=REP_WEST, approver=WEST)
    for c in (mine, neighbour, theirs):
        stream.campaign(c.id)
    cast = (REP, REP_ZJ, REP_WEST, PROVINCE, ZJ_MANAGER, REGION, WEST, LEADER, FINANCE)
    ids = {who.sub: {i for _, i, _ in _feed(who)[0]} for who in cast}
    assert ids == {
        REP.sub: {mine.id},
        REP_ZJ.sub: {neighbour.id},
        REP_WEST.sub: {theirs.id},
        PROVINCE.sub: {mine.id},
        ZJ_MANAGER.sub: {neighbour.id},
        REGION.sub: {mine.id, neighbour.id},
        WEST.sub: {theirs.id},
        LEADER.sub: {mine.id, neighbour.id, theirs.id},
        FINANCE.sub: {mine.id, neighbour.id, theirs.id},
    }
    assert _feed(OUTSIDER)[0] == []


def test_a_change_is_recorded_once_however_often_it_is_delivered_and_an_unseen_one_not_at_all(store):
    from chalicelib.logic import changes

    stream = Stream()
    c = approved()
    image = images.campaign_image(repos.campaigns().get(c.id))
    assert changes.campaign_item_changed(None, image) == "recorded"
    assert changes.campaign_item_changed(None, image) == "duplicate"
    # a check-in moves only the campaign's audit head: the campaign shows nothing new
    stream.seen[("campaign", c.id)] = image
    visits.record_visit(REP, c.id, 32.0, 118.0, None)
    assert stream.campaign(c.id) == "unchanged"
    assert [op for *_, op in _feed(REGION)[0]] == ["upsert"]


def test_the_feed_resumes_from_its_cursor_and_an_empty_page_keeps_it_usable(store):
    stream = Stream()
    c = approved(location=XINJIEKOU)
    stream.campaign(c.id)
    first, cursor, _ = _feed(REP)
    assert first == [("campaign", c.id, "upsert")]
    nothing, same, _ = _feed(REP, cursor)
    assert nothing == []
    v = visits.record_visit(REP, c.id, 32.0415, 118.7849, 5.0)
    stream.visit(v)
    assert _feed(REP, cursor)[0] == [("visit", v.id, "upsert")]
    assert _feed(REP, same)[0] == [("visit", v.id, "upsert")]  # the empty page's cursor too
    # pages: one entry at a time, each once, in order
    seen, cursor = [], None
    while True:
        page, cursor, _ = _feed(REP, cursor, limit=1)
        if not page:
            break
        seen += page
    assert seen == [("campaign", c.id, "upsert"), ("visit", v.id, "upsert")]


def test_cancelling_removes_the_campaign_and_what_it_holds_from_every_feed(store):
    stream = Stream()
    c = approved()
    stream.campaign(c.id)
    _, cursor, _ = _feed(REGION)
    campaigns.cancel_campaign(REP, c.id, "the store closed")
    assert stream.campaign(c.id) == "recorded"
    page, cursor, items = _feed(REGION, cursor)
    assert page == [("campaign", c.id, "remove")] and items[0].campaign is None
    assert stream.campaign(c.id) == "unchanged"  # nothing more to say of a removed campaign


def test_feedback_attachments_and_visits_carry_their_state_and_a_deleted_attachment_is_removed(store):

    stream = Stream()
    c = approved(location=XINJIEKOU)
    v = visits.record_visit(REP, c.id, 32.0415, 118.7849, 5.0)
    feedback.save_draft(REP, c.id, {"actual_spend": 100, "actual_sales": 900})
    stream.feedback(c.id, draft=True)
    a, _ = evidence.request_upload(REP, c.id, "shelf.jpg", "image/jpeg", 1000, v.id)
    stream.attachment(repos.evidence().get(c.id, a.id))
    stream.visit(v)
    evidence.delete_attachment(REP, c.id, a.id)
    stream.attachment(a, removed=True)
    page, _, items = _feed(REGION)
    assert page == [
        ("feedback", c.id, "upsert"),
        ("attachment", a.id, "upsert"),
        ("visit", v.id, "upsert"),
        ("attachment", a.id, "remove"),
    ]
    assert items[0].draft.actual_spend == 100 and items[0].submitted is None and items[0].campaign.id == c.id
    assert items[1].attachment.attestation["visit_id"] == v.id and items[2].visit == v


def test_a_cursor_is_the_callers_own(store):

    stream = Stream()
    c = approved()
    stream.campaign(c.id)
    _, cursor, _ = _feed(REGION)
    colleague = Principal("rm-2", "manager", "CN/EAST", name="another manager of the same node")
    other_company = Principal("rm-1", "manager", "US/EAST", name="the same id elsewhere")
    text, _, mac = cursor.rpartition(".")
    forged = text[:-2] + ("AA" if text[-2:] != "AA" else "BB") + "." + mac
    for who, bad in ((colleague, cursor), (other_company, cursor), (REP, cursor), (REGION, forged), (REGION, "x")):
        with pytest.raises(InvalidInput) as err:
            _feed(who, bad)
        assert err.value.errors[0]["field"] == "cursor" and err.value.errors[0]["code"] == "bad_cursor"
    assert _feed(REGION, cursor)[0] == []


def test_a_cursor_older_than_the_retention_is_gone_and_a_younger_one_is_not(store, clock: Clock):
    stream = Stream()
    c = approved()
    stream.campaign(c.id)
    _, cursor, _ = _feed(REP)
    start = clock.at

    def later(days: float) -> None:
        clock.at = start + dt.timedelta(days=days)

    later(6.9)
    assert _feed(REP, cursor)[0] == []  # six days and more: still good
    later(7.1)
    with pytest.raises(Gone) as err:
        _feed(REP, cursor)
    assert err.value.code == "resync_required" and err.value.params == {"retention_days": 7}
    # polling keeps a cursor alive: each empty page's cursor is good for 7 days from then
    later(0)
    _, fresh, _ = _feed(REP, cursor)
    later(6.9)
    _, fresher, _ = _feed(REP, fresh)
    later(13.5)
    assert _feed(REP, fresher)[0] == []


def test_entries_gone_from_behind_a_cursor_are_410_not_a_silent_gap(store: InMemoryStorage, clock: Clock):
    stream = Stream()
    c, d = approved(), approved()
    stream.campaign(c.id)
    _, cursor, _ = _feed(REP)
    stream.campaign(d.id)
    campaigns.cancel_campaign(REP, d.id, "closed")
    stream.campaign(d.id)
    entries = store.tables.feed[f"owner#CN|{REP.sub}"]
    del entries[min(n for n in entries if n > 1)]  # TTL took the entry right after the cursor, early
    with pytest.raises(Gone):
        _feed(REP, cursor)
    assert store.changes.expire(clock.at.timestamp() + 9 * 24 * 3600) > 0  # and TTL, past the kept days, takes the rest
    assert _feed(REP)[0] == []  # without a cursor: from the oldest kept, which is none


def test_an_invoice_change_reaches_the_campaigns_readers_once_and_leaves_with_the_campaign(store):
    """invoice_changed is where feature-invoices records an invoice change: the invoice as its
    route shows it, to the campaign's audiences, once per fact; released or cancelled: a remove."""
    stream = Stream()
    c = approved()
    shown = {"id": "INV-1", "campaign_id": c.id, "amount": 150000, "status": "claimed"}
    fact = f"invoice|CN|044001900111-12345678|claimed|{c.id}"
    assert changes.invoice_changed(c.id, "INV-1", fact, shown) == "recorded"
    assert changes.invoice_changed(c.id, "INV-1", fact, shown) == "duplicate"
    assert changes.invoice_changed(c.id, "INV-1", fact.replace("claimed", "released"), None) == "recorded"
    page, _, items = _feed(REGION)
    assert page == [("invoice", "INV-1", "upsert"), ("invoice", "INV-1", "remove")]
    assert items[0].invoice == shown and items[1].invoice is None
    assert _feed(WEST)[0] == [] and _feed(REP_WEST)[0] == []
    campaigns.cancel_campaign(REP, c.id, "the store closed")
    stream.campaign(c.id)
    assert changes.invoice_changed(c.id, "INV-2", f"invoice|CN|x|claimed|{c.id}", shown) == "recorded"
    assert _feed(REP)[0][-1] == ("invoice", "INV-2", "remove")


def test_invoices_claimed_released_and_settled_reach_the_feed_from_the_campaigns_stream(store):
    """A claim, a release and a settlement each travel with the campaign listing the invoices,
    so the campaigns stream's record of that write feeds the invoice too: once, in order, as
    GET /campaigns/{id}/invoices shows it, to the campaign's readers only."""
    from chalicelib.logic import invoices, settlement

    stream = Stream()
    c = approved()
    stream.campaign(c.id)
    _, cursor, _ = _feed(REGION)
    kept = invoices.claim_invoice(REP, c.id, {"qr": "01,04,3200162130,00000001,100.00,20261102,,4FD5"})
    stream.campaign(c.id)
    dropped = invoices.claim_invoice(REP, c.id, {"qr": "01,04,3200162130,00000002,50.00,20261102,,4FD5"})
    stream.campaign(c.id)
    invoices.delete_invoice(REP, c.id, dropped.id)
    stream.campaign(c.id)
    settlement.settle(FINANCE, c.id, None, None)
    stream.campaign(c.id)
    page, _, items = _feed(REGION, cursor)
    shown = [(e, i, op) for e, i, op in page if e == "invoice"]
    assert shown == [
        ("invoice", kept.id, "upsert"),
        ("invoice", dropped.id, "upsert"),
        ("invoice", dropped.id, "remove"),
        ("invoice", kept.id, "upsert"),
    ]
    invoice_items = [i for i in items if i.entry.change.entity == "invoice"]
    assert invoice_items[0].invoice == invoices.list_invoices(REP, c.id)[0][0].as_dict() | {"status": "claimed"}
    assert invoice_items[-1].invoice is not None and invoice_items[-1].invoice["status"] == "settled"
    # redelivered: nothing twice; and nothing of it in another region's feed
    assert changes.campaign_item_changed(None, images.campaign_image(repos.campaigns().get(c.id))) == "duplicate"
    assert _feed(REGION, cursor)[0] == page
    assert not [e for e in _feed(WEST)[0] if e[0] == "invoice"]
