"""Check-ins and attested photos (chalicelib.logic.visits, and logic.evidence / logic.uploads
where an upload names a check-in): recorded and flagged, never refused; the owner's own;
the sha256 of every checked object and the attestation of a photo asked for during a visit.
tests/functional/test_visits.py and test_attested_photos.py run the same through the routes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

import pytest

from chalicelib import config
from chalicelib.dal import repos
from chalicelib.dal.memory import InMemoryStorage
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput
from chalicelib.domain.evidence import Attachment
from chalicelib.domain.pages import PageRequest
from chalicelib.logic import campaigns, evidence, visits
from chalicelib.logic.uploads import UploadEvent, check_upload
from tests import corpus
from tests.unit.use_cases.builders import LEADER, REGION, REP, REP_WEST, WEST, approved, trail_actions
from tests.unit.use_cases.conftest import Clock

XINJIEKOU = {"address": "Xinjiekou", "lat": 32.0415, "lon": 118.7849}


# -- check-ins -----------------------------------------------------------------------------------
def test_a_check_in_and_its_audit_entry_are_written_together(store):
    c = approved(location=XINJIEKOU)
    v = visits.record_visit(REP, c.id, 32.0420, 118.7850, 10.0)
    assert visits.list_visits(REGION, c.id, PageRequest(10)).items == [v]
    assert trail_actions(c.id)[-1] == "visit_recorded"
    assert repos.campaigns().get(c.id).audit_seq == len(trail_actions(c.id))


def test_the_far_threshold_is_the_photos_own(store, monkeypatch):
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
    assert "visit_recorded" not in trail_actions(c.id)


def test_only_the_owner_checks_in_and_only_the_campaigns_scope_lists(store):
    c = approved()
    for who in (REP_WEST, REGION, LEADER):
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
    for who, visit_id in ((REP, elsewhere.id), (REP, "nope"), (REP_WEST, mine.id)):
        with pytest.raises(InvalidInput) as err:
            visits.visit_for_upload(who, c, visit_id)
        assert err.value.errors[0]["field"] == "visit_id" and err.value.errors[0]["code"] == "unknown_visit"


# -- attested photos and the hash of the bytes ---------------------------------------------------
def _exif_at(clock: Clock, delta_minutes: float = 5) -> str:
    """An EXIF time (Asia/Shanghai, no zone) `delta_minutes` from the service's clock."""
    moment = clock.at.astimezone(dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(minutes=delta_minutes)
    return moment.strftime("%Y:%m:%d %H:%M:%S")


def _upload(
    store: InMemoryStorage,
    campaign_id: str,
    data: bytes,
    visit_id: str | None = None,
    sha256: str | None = None,
    content_type: str = "image/jpeg",
) -> tuple[str, Attachment]:
    """The owner asks for an upload (naming a check-in or declaring a hash), posts `data`, and
    the checker runs: its outcome and the attachment as stored."""
    a, form = evidence.request_upload(REP, campaign_id, "shelf.jpg", content_type, len(data), visit_id, sha256)
    stored = store.objects.upload(form, data)
    outcome = check_upload(UploadEvent(stored["bucket"], stored["key"], stored["size"], stored["etag"]))
    found = repos.evidence().get(campaign_id, a.id)
    assert found is not None
    return outcome, found


def _photo(seed: int, when: str | None, where: tuple[float, float] | None) -> bytes:
    lat, lon = where if where else (None, None)
    return corpus.jpeg(corpus.scene(seed, (640, 480)), exif=corpus.exif(taken_at=when, lat=lat, lon=lon))


def test_every_checked_attachment_carries_the_sha256_of_its_bytes_and_the_trail_commits_to_it(store):
    c = approved()
    photo = _photo(1, None, None)
    outcome, a = _upload(store, c.id, photo)
    assert outcome == "ready" and a.sha256 == hashlib.sha256(photo).hexdigest()
    ready = [e for e in repos.audit().entries(c.id) if e["action"] == "attachment_ready"]
    assert ready[-1]["changes"]["sha256"] == [None, a.sha256]
    assert a.attested is False and a.attestation is None


def test_bytes_other_than_the_declared_ones_are_rejected_as_a_hash_mismatch(store):
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


def test_a_photo_taken_during_a_check_in_and_near_it_is_attested(store, clock):
    c = approved(location=XINJIEKOU)
    v = visits.record_visit(REP, c.id, 32.0415, 118.7849, 8.0)
    outcome, a = _upload(store, c.id, _photo(4, _exif_at(clock, 5), (32.0418, 118.7851)), visit_id=v.id)
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
def test_a_photo_taken_elsewhere_or_at_another_time_is_not_attested(store, clock, when, where, failing):
    c = approved(location=XINJIEKOU)
    v = visits.record_visit(REP, c.id, 32.0415, 118.7849, 8.0)
    outcome, a = _upload(
        store, c.id, _photo(5, _exif_at(clock, when) if when is not None else None, where), visit_id=v.id
    )
    assert outcome == "ready" and a.attestation[failing] is False and a.attested is False
    assert all(a.attestation[k] for k in ("requested_during_visit", "taken_during_visit", "near_visit") if k != failing)


def test_an_upload_requested_after_the_check_in_ran_out_is_not_attested(store, clock):
    c = approved(location=XINJIEKOU)
    v = visits.record_visit(REP, c.id, 32.0415, 118.7849, 8.0)
    taken = _exif_at(clock, 5)  # during the check-in, but asked for after its two hours
    clock.advance(hours=2, minutes=1)
    _, a = _upload(store, c.id, _photo(6, taken, (32.0418, 118.7851)), visit_id=v.id)
    assert a.attestation is not None and a.attestation["taken_during_visit"] is True
    assert a.attestation["requested_during_visit"] is False and a.attested is False


def test_an_upload_naming_another_persons_or_campaigns_visit_is_refused_and_records_nothing(store):
    c, other = approved(), approved()
    elsewhere = visits.record_visit(REP, other.id, 32.0, 118.0, None)
    before = len(repos.audit().entries(c.id))
    with pytest.raises(InvalidInput) as err:
        evidence.request_upload(REP, c.id, "a.jpg", "image/jpeg", 1000, elsewhere.id, None)
    assert err.value.errors[0]["field"] == "visit_id"
    assert repos.evidence().list(c.id) == [] and len(repos.audit().entries(c.id)) == before
