"""Attested photos over HTTP and S3 (moto): a photo asked for during a check-in, taken then and
there, is attested; the checker hashes every upload's bytes, refuses bytes other than declared,
and the audit trail commits to the hash."""

from __future__ import annotations

import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

import pytest

from tests import corpus as C
from tests.conftest import business_date
from tests.functional.evidence_support import Evidence

STORE = (32.0415, 118.7849)  # the campaign's location (conftest.campaign_body)


@pytest.fixture
def ev(api, lambda_client, company) -> Evidence:
    return Evidence(api, lambda_client, company)


def _exif_in(minutes: float) -> str:
    moment = dt.datetime.now(ZoneInfo("Asia/Shanghai")) + dt.timedelta(minutes=minutes)
    return moment.strftime("%Y:%m:%d %H:%M:%S")


def _photo(seed: int, minutes: float | None = 3, where: tuple[float, float] | None = (32.0417, 118.7851)) -> bytes:
    lat, lon = where if where else (None, None)
    taken = _exif_in(minutes) if minutes is not None else None
    return C.jpeg(C.scene(seed, (640, 480)), exif=C.exif(taken_at=taken, lat=lat, lon=lon))


def _campaign(flow) -> dict:
    today = business_date().isoformat()
    return flow.approved(start_date=today, end_date=today)


def _ask(api, company, campaign_id, data: bytes, **extra):
    body = {"filename": "shelf.jpg", "content_type": "image/jpeg", "size_bytes": len(data), **extra}
    return api.post(f"/campaigns/{campaign_id}/attachments", company.rep, body)


def _send(ev, campaign_id, asked, data: bytes) -> dict:
    assert asked.status_code == 201, asked.json
    attachment_id = asked.json["attachment"]["id"]
    assert ev.post(asked.json["upload"], data).status_code in (200, 201, 204)
    ev.deliver(ev.event_for(f"uploads/{campaign_id}/{attachment_id}"))
    return ev.attachment(campaign_id, attachment_id)


def test_a_photo_taken_during_the_check_in_at_the_store_is_attested(api, company, flow, ev):
    c = _campaign(flow)
    visit = api.post(f"/campaigns/{c['id']}/visits", company.rep, {"lat": STORE[0], "lon": STORE[1]}).json
    photo = _photo(11)
    digest = hashlib.sha256(photo).hexdigest()
    asked = _ask(api, company, c["id"], photo, visit_id=visit["id"], sha256=digest)
    pending = asked.json["attachment"]
    assert pending["attested"] is False and pending["sha256"] is None
    assert pending["attestation"] == {
        "visit_id": visit["id"],
        "requested_during_visit": True,
        "taken_during_visit": None,
        "near_visit": None,
    }
    a = _send(ev, c["id"], asked, photo)
    assert a["status"] == "ready" and a["sha256"] == digest and a["attested"] is True, a
    assert a["attestation"] == {**pending["attestation"], "taken_during_visit": True, "near_visit": True}
    trail = api.get(f"/campaigns/{c['id']}/audit?limit=200", company.finance).json
    assert trail["verified"] is True
    ready = [e for e in trail["items"] if e["action"] == "attachment_ready"][-1]
    assert ready["changes"]["sha256"] == [None, digest] and ready["changes"]["attested"] == [None, True]
    added = [e for e in trail["items"] if e["action"] == "attachment_added"][-1]
    assert added["changes"]["declared_sha256"] == [None, digest] and added["changes"]["visit_id"] == [None, visit["id"]]


def test_a_photo_from_another_place_or_time_is_ready_but_not_attested(api, company, flow, ev):
    c = _campaign(flow)
    visit = api.post(f"/campaigns/{c['id']}/visits", company.rep, {"lat": STORE[0], "lon": STORE[1]}).json
    far = _send(
        ev, c["id"], _ask(api, company, c["id"], p := _photo(12, where=(31.23, 121.47)), visit_id=visit["id"]), p
    )
    assert far["status"] == "ready" and far["attested"] is False and far["attestation"]["near_visit"] is False
    old = _send(ev, c["id"], _ask(api, company, c["id"], p := _photo(13, minutes=-90), visit_id=visit["id"]), p)
    assert old["attested"] is False and old["attestation"]["taken_during_visit"] is False
    plain = _send(ev, c["id"], _ask(api, company, c["id"], p := _photo(14)), p)
    assert plain["attested"] is False and plain["attestation"] is None and plain["sha256"]


def test_bytes_other_than_the_declared_ones_are_rejected_hash_mismatch(api, company, flow, ev):
    c = flow.approved()
    declared, sent = _photo(15), _photo(16)
    a = _send(ev, c["id"], _ask(api, company, c["id"], sent, sha256=hashlib.sha256(declared).hexdigest()), sent)
    assert a["status"] == "rejected" and a["reason_code"] == "hash_mismatch", a
    assert a["reason_params"]["actual"] == hashlib.sha256(sent).hexdigest() and a["download_url"] is None
    rejected = [e for e in api.get(f"/campaigns/{c['id']}/audit", company.leader).json["items"]][-1]
    assert rejected["action"] == "attachment_rejected"


@pytest.mark.parametrize(
    "sha256",
    ["A" * 64, "a" * 63, "a" * 65, "g" * 64, "", 12, "0x" + "a" * 62, " " + "a" * 64],
)
def test_a_sha256_that_is_not_64_lowercase_hex_characters_is_a_400(api, company, flow, sha256):
    c = flow.approved()
    r = _ask(api, company, c["id"], b"x" * 1000, sha256=sha256)
    assert r.status_code == 400 and [e["field"] for e in r.json["errors"]] == ["sha256"], r.json
    assert api.get(f"/campaigns/{c['id']}/attachments", company.rep).json["items"] == []


def test_an_upload_naming_another_campaigns_or_persons_visit_is_a_400_naming_visit_id(api, company, flow):
    mine, other = flow.approved(), flow.approved()
    elsewhere = api.post(f"/campaigns/{other['id']}/visits", company.rep, {"lat": 32.0, "lon": 118.0}).json
    theirs_campaign = flow.approved(token=company.rep2)
    theirs = api.post(f"/campaigns/{theirs_campaign['id']}/visits", company.rep2, {"lat": 32.0, "lon": 118.0}).json
    for visit_id in (elsewhere["id"], theirs["id"], "NO-SUCH-VISIT"):
        r = _ask(api, company, mine["id"], b"x" * 1000, visit_id=visit_id)
        assert r.status_code == 400 and r.json["errors"][0]["field"] == "visit_id", r.json
        assert r.json["errors"][0]["code"] == "unknown_visit"
    r = _ask(api, company, mine["id"], b"x" * 1000, visit_id="../etc")
    assert r.status_code == 400 and r.json["errors"][0] == {
        **r.json["errors"][0],
        "field": "visit_id",
        "code": "not_an_id",
    }
    assert api.get(f"/campaigns/{mine['id']}/attachments", company.rep).json["items"] == []
