"""The field's use cases against the in-memory storage: check-ins, attested photos, the changes
feed. The moto tests (tests/functional/test_visits.py, test_field_*.py, tests/integration) run
the same rules through the real adapters."""

from __future__ import annotations

import pytest

from chalicelib.dal import repos
from chalicelib.dal.memory import InMemoryStorage
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput
from chalicelib.domain.pages import PageRequest
from chalicelib.logic import campaigns, visits
from tests.unit.test_use_cases import LEADER, REGION, REP, REP2, WEST, approved

XINJIEKOU = {"address": "Xinjiekou", "lat": 32.0415, "lon": 118.7849}


@pytest.fixture
def store():
    storage = InMemoryStorage()
    previous = repos.install(storage)
    yield storage
    repos.install(previous)


def _actions(campaign_id: str) -> list[str]:
    return [e["action"] for e in repos.audit().entries(campaign_id)]


# -- check-ins -----------------------------------------------------------------------------------
def test_a_check_in_and_its_audit_entry_are_written_together(store):
    c = approved(location=XINJIEKOU)
    v = visits.record_visit(REP, c.id, 32.0420, 118.7850, 10.0)
    assert visits.list_visits(REGION, c.id, PageRequest(10)).items == [v]
    assert _actions(c.id)[-1] == "visit_recorded"
    assert repos.campaigns().get(c.id).audit_seq == len(_actions(c.id))


def test_the_far_threshold_is_the_photos_own(store, monkeypatch):
    import dataclasses

    from chalicelib import config

    c = approved(location=XINJIEKOU)
    near = visits.record_visit(REP, c.id, 32.0415, 118.8300, None)  # ~4.2 km east
    assert 4 < near.distance_km < 5 and near.far_from_location is False
    tuned = dataclasses.replace(config.settings(), evidence_thresholds='{"tasting": {"far_km": 3}}')
    monkeypatch.setattr(visits, "settings", lambda: tuned)
    far = visits.record_visit(REP, c.id, 32.0415, 118.8300, None)
    assert far.far_from_location is True


def test_a_check_in_racing_a_cancellation_is_refused_and_records_nothing(store, monkeypatch):
    c = approved()
    real_new_visit = visits.new_visit

    def cancel_first(*args, **kw):
        if repos.campaigns().get(c.id).status == "approved":
            campaigns.cancel_campaign(REP, c.id, "the store closed")  # between the read and the write
        return real_new_visit(*args, **kw)

    monkeypatch.setattr(visits, "new_visit", cancel_first)
    with pytest.raises(Conflict) as err:
        visits.record_visit(REP, c.id, 32.0, 118.0, None)
    assert err.value.code == "invalid_state"
    assert visits.list_visits(REP, c.id, PageRequest(10)).items == []
    assert "visit_recorded" not in _actions(c.id)


def test_only_the_owner_checks_in_and_only_the_campaigns_scope_lists(store):
    c = approved()
    for who in (REP2, REGION, LEADER):
        with pytest.raises(Forbidden):
            visits.record_visit(who, c.id, 32.0, 118.0, None)
    visits.record_visit(REP, c.id, 32.0, 118.0, None)
    with pytest.raises(Forbidden):
        visits.list_visits(WEST, c.id, PageRequest(10))


def test_an_upload_may_name_only_the_callers_own_visit_to_that_campaign(store):
    c, other = approved(), approved()
    mine = visits.record_visit(REP, c.id, 32.0, 118.0, None)
    elsewhere = visits.record_visit(REP, other.id, 32.0, 118.0, None)
    assert visits.visit_for_upload(REP, c, mine.id) == mine
    for who, visit_id in ((REP, elsewhere.id), (REP, "nope"), (REP2, mine.id)):
        with pytest.raises(InvalidInput) as err:
            visits.visit_for_upload(who, c, visit_id)
        assert err.value.errors[0]["field"] == "visit_id" and err.value.errors[0]["code"] == "unknown_visit"


# -- attested photos and the hash of the bytes ---------------------------------------------------
def _exif_now(delta_minutes: float = 5) -> str:
    """An EXIF time (Asia/Shanghai, no zone) `delta_minutes` from now."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    moment = dt.datetime.now(ZoneInfo("Asia/Shanghai")) + dt.timedelta(minutes=delta_minutes)
    return moment.strftime("%Y:%m:%d %H:%M:%S")


def _upload(store, campaign_id, data: bytes, visit_id=None, sha256=None, content_type="image/jpeg"):
    from chalicelib.logic import evidence
    from chalicelib.logic.uploads import UploadEvent, check_upload

    a, form = evidence.request_upload(REP, campaign_id, "shelf.jpg", content_type, len(data), visit_id, sha256)
    stored = store.objects.upload(form, data)
    outcome = check_upload(UploadEvent(stored["bucket"], stored["key"], stored["size"], stored["etag"]))
    return outcome, repos.evidence().get(campaign_id, a.id)


def _photo(seed: int, when: str | None, where: tuple[float, float] | None) -> bytes:
    from tests import corpus

    lat, lon = where if where else (None, None)
    return corpus.jpeg(corpus.scene(seed, (640, 480)), exif=corpus.exif(taken_at=when, lat=lat, lon=lon))


def test_every_checked_attachment_carries_the_sha256_of_its_bytes_and_the_trail_commits_to_it(store):
    import hashlib

    c = approved()
    photo = _photo(1, None, None)
    outcome, a = _upload(store, c.id, photo)
    assert outcome == "ready" and a.sha256 == hashlib.sha256(photo).hexdigest()
    ready = [e for e in repos.audit().entries(c.id) if e["action"] == "attachment_ready"]
    assert ready[-1]["changes"]["sha256"] == [None, a.sha256]
    assert a.attested is False and a.attestation is None


def test_bytes_other_than_the_declared_ones_are_rejected_as_a_hash_mismatch(store):
    import hashlib

    c = approved()
    photo, other = _photo(2, None, None), _photo(3, None, None)
    outcome, a = _upload(store, c.id, other, sha256=hashlib.sha256(photo).hexdigest())
    assert outcome == "rejected" and a.reason_code == "hash_mismatch"
    assert a.reason_params == {
        "declared": hashlib.sha256(photo).hexdigest(),
        "actual": hashlib.sha256(other).hexdigest(),
    }
    outcome, a = _upload(store, c.id, photo, sha256=hashlib.sha256(photo).hexdigest())
    assert outcome == "ready" and a.sha256 == a.declared_sha256


def test_a_photo_taken_during_a_check_in_and_near_it_is_attested(store):
    c = approved(location=XINJIEKOU)
    v = visits.record_visit(REP, c.id, 32.0415, 118.7849, 8.0)
    outcome, a = _upload(store, c.id, _photo(4, _exif_now(5), (32.0418, 118.7851)), visit_id=v.id)
    assert outcome == "ready"
    assert a.attestation == {
        "visit_id": v.id,
        "requested_during_visit": True,
        "taken_during_visit": True,
        "near_visit": True,
    }
    assert a.attested is True
    ready = [e for e in repos.audit().entries(c.id) if e["action"] == "attachment_ready"][-1]
    assert ready["changes"]["attested"] == [None, True] and ready["changes"]["visit_id"] == [None, v.id]


@pytest.mark.parametrize(
    ("when", "where", "failing"),
    [
        (-30, (32.0418, 118.7851), "taken_during_visit"),  # taken before the check-in
        (150, (32.0418, 118.7851), "taken_during_visit"),  # after it ran out
        (5, (32.0600, 118.7851), "near_visit"),  # 2 km away
        (None, (32.0418, 118.7851), "taken_during_visit"),  # no EXIF time
        (5, None, "near_visit"),  # no EXIF position
    ],
)
def test_a_photo_taken_elsewhere_or_at_another_time_is_not_attested(store, when, where, failing):
    c = approved(location=XINJIEKOU)
    v = visits.record_visit(REP, c.id, 32.0415, 118.7849, 8.0)
    outcome, a = _upload(store, c.id, _photo(5, _exif_now(when) if when is not None else None, where), visit_id=v.id)
    assert outcome == "ready" and a.attestation[failing] is False and a.attested is False
    assert all(a.attestation[k] for k in ("requested_during_visit", "taken_during_visit", "near_visit") if k != failing)


def test_an_upload_requested_after_the_check_in_ran_out_is_not_attested(store, monkeypatch):
    import datetime as dt

    from chalicelib.logic import evidence

    c = approved(location=XINJIEKOU)
    v = visits.record_visit(REP, c.id, 32.0415, 118.7849, 8.0)
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2, minutes=1)).isoformat(timespec="milliseconds")
    monkeypatch.setattr(evidence, "now_iso", lambda: later.replace("+00:00", "Z"))
    _, a = _upload(store, c.id, _photo(6, _exif_now(5), (32.0418, 118.7851)), visit_id=v.id)
    assert a.attestation["requested_during_visit"] is False and a.attested is False


def test_an_upload_naming_another_persons_or_campaigns_visit_is_refused_and_records_nothing(store):
    from chalicelib.logic import evidence

    c, other = approved(), approved()
    elsewhere = visits.record_visit(REP, other.id, 32.0, 118.0, None)
    before = len(repos.audit().entries(c.id))
    with pytest.raises(InvalidInput) as err:
        evidence.request_upload(REP, c.id, "a.jpg", "image/jpeg", 1000, elsewhere.id, None)
    assert err.value.errors[0]["field"] == "visit_id"
    assert repos.evidence().list(c.id) == [] and len(repos.audit().entries(c.id)) == before


# -- the changes feed ----------------------------------------------------------------------------
class Stream:
    """Plays the tables' streams for the in-memory storage: delivers the change from the image
    last delivered to the state stored now, as a stream record would carry it."""

    def __init__(self, store) -> None:
        from chalicelib.dal import images

        self.store, self.images, self.seen, self.sequence = store, images, {}, 0

    def _seq(self) -> str:
        self.sequence += 1
        return f"{self.sequence:021d}"

    def campaign(self, campaign_id: str) -> str:
        from chalicelib.logic import changes

        new = self.images.campaign_image(repos.campaigns().get(campaign_id))
        old = self.seen.get(("campaign", campaign_id))
        self.seen[("campaign", campaign_id)] = new
        return changes.campaign_item_changed(old, new)

    def feedback(self, campaign_id: str, draft: bool = False) -> str:
        from chalicelib.logic import changes

        report = repos.feedback().draft(campaign_id) if draft else repos.feedback().latest_submitted(campaign_id)
        new = self.images.feedback_image(report)
        return changes.feedback_item_changed(None, new, self._seq())

    def attachment(self, a, removed: bool = False) -> str:
        from chalicelib.logic import changes

        image = self.images.attachment_image(a)
        return changes.evidence_item_changed(image if removed else None, None if removed else image, self._seq())

    def visit(self, v) -> str:
        from chalicelib.logic import changes

        return changes.evidence_item_changed(None, self.images.visit_image(v), self._seq())


def _feed(who, cursor=None, limit=50):
    from chalicelib.logic import changes

    items, next_cursor = changes.my_changes(who, PageRequest(limit, cursor))
    return [(i.entry.change.entity, i.entry.change.id, i.entry.change.op) for i in items], next_cursor, items


def test_each_reader_sees_exactly_the_changes_of_what_they_may_see(store):
    from tests.unit.test_use_cases import FINANCE, PROVINCE

    stream = Stream(store)
    mine = approved()
    theirs = approved(owner=REP2, approver=WEST)
    for c in (mine, theirs):
        stream.campaign(c.id)
    ids = {who.sub: {i for _, i, _ in _feed(who)[0]} for who in (REP, REP2, PROVINCE, REGION, WEST, LEADER, FINANCE)}
    assert ids == {
        REP.sub: {mine.id},
        REP2.sub: {theirs.id},
        PROVINCE.sub: {mine.id},
        REGION.sub: {mine.id},
        WEST.sub: {theirs.id},
        LEADER.sub: {mine.id, theirs.id},
        FINANCE.sub: {mine.id, theirs.id},
    }
    from tests.unit.test_use_cases import OUTSIDER

    assert _feed(OUTSIDER)[0] == []


def test_a_change_is_recorded_once_however_often_it_is_delivered_and_an_unseen_one_not_at_all(store):
    from chalicelib.dal import images
    from chalicelib.logic import changes

    stream = Stream(store)
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
    stream = Stream(store)
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
    stream = Stream(store)
    c = approved()
    stream.campaign(c.id)
    _, cursor, _ = _feed(REGION)
    campaigns.cancel_campaign(REP, c.id, "the store closed")
    assert stream.campaign(c.id) == "recorded"
    page, cursor, items = _feed(REGION, cursor)
    assert page == [("campaign", c.id, "remove")] and items[0].campaign is None
    assert stream.campaign(c.id) == "unchanged"  # nothing more to say of a removed campaign


def test_feedback_attachments_and_visits_carry_their_state_and_a_deleted_attachment_is_removed(store):
    from chalicelib.logic import evidence, feedback

    stream = Stream(store)
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
    from chalicelib.domain.access import Principal

    stream = Stream(store)
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


def test_a_cursor_older_than_the_retention_is_gone_and_a_younger_one_is_not(store, monkeypatch):
    import datetime as dt

    from chalicelib import clock
    from chalicelib.domain.errors import Gone

    stream = Stream(store)
    c = approved()
    stream.campaign(c.id)
    _, cursor, _ = _feed(REP)
    real = clock.now_iso

    def later(days: float) -> None:
        moment = dt.datetime.fromisoformat(real().replace("Z", "+00:00")) + dt.timedelta(days=days)
        monkeypatch.setattr(clock, "now_iso", lambda: moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"))

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


def test_entries_gone_from_behind_a_cursor_are_410_not_a_silent_gap(store, monkeypatch):
    import time

    from chalicelib.domain.errors import Gone

    stream = Stream(store)
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
    assert store.changes.expire(time.time() + 9 * 24 * 3600) > 0  # and TTL, past the kept days, takes the rest
    assert _feed(REP)[0] == []  # without a cursor: from the oldest kept, which is none
