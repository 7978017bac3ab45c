"""Evidence over HTTP and S3: presigned uploads, the checker's verdicts, flags, duplicates across
a company, redelivered events, delete, and min_photos on submit."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
import requests

from chalicelib.config import settings
from devstack.uploads import s3_event, s3_record
from tests import corpus as C
from tests.functional.evidence_support import Evidence

WHEN = "2026:11:02 10:30:00"  # inside the campaign (2026-11-01 … 2026-11-03)
XINJIEKOU = (32.0415, 118.7849)  # the campaign's location


@pytest.fixture
def ev(api, lambda_client, company) -> Evidence:
    return Evidence(api, lambda_client, company)


@pytest.fixture(scope="module")
def scene():
    return C.scene(42, (960, 720))


def _s3():
    return boto3.client("s3")


def _exists(key: str) -> bool:
    return _s3().list_objects_v2(Bucket=settings().attachments_bucket, Prefix=key)["KeyCount"] > 0


# -- asking for an upload ------------------------------------------------------------------------
def test_upload_is_presigned_for_one_key_type_and_exact_size(ev, flow):
    c = flow.approved()
    r = ev.ask(c["id"], 123_456, filename="../../etc/陈列\x07照片.jpg")
    assert r.status_code == 201, r.json
    attachment, upload = r.json["attachment"], r.json["upload"]
    assert attachment["status"] == "pending_upload" and attachment["kind"] == "photo"
    assert attachment["filename"] == "陈列照片.jpg"
    assert upload["method"] == "POST"
    key = upload["fields"]["key"]
    assert key == f"uploads/{c['id']}/{attachment['id']}"  # no client name in the key
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 123_456, 123_456] in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert {"key": key} in conditions
    import datetime as dt

    expires = dt.datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert expires - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=15)


@pytest.mark.parametrize(
    "content_type,size,field",
    [
        ("image/gif", 1000, "content_type"),
        ("text/html", 1000, "content_type"),
        ("image/jpeg", 15 * 1024 * 1024 + 1, "size_bytes"),
        ("application/pdf", 25 * 1024 * 1024 + 1, "size_bytes"),
        ("image/jpeg", 0, "size_bytes"),
    ],
)
def test_types_and_sizes_outside_the_contract_are_400(ev, flow, content_type, size, field):
    c = flow.approved()
    r = ev.ask(c["id"], size, content_type=content_type)
    assert r.status_code == 400 and r.json["errors"][0]["field"] == field, r.json


def test_a_20_mb_pdf_is_fine_but_a_20_mb_photo_is_not(ev, flow):
    c = flow.approved()
    assert ev.ask(c["id"], 20 * 1024 * 1024, content_type="application/pdf", filename="r.pdf").status_code == 201
    assert ev.ask(c["id"], 20 * 1024 * 1024).status_code == 400


# -- the checker ---------------------------------------------------------------------------------
def test_photo_becomes_ready_with_exif_flags_thumbnail_and_links(ev, flow, scene):
    c = flow.approved()
    a = ev.upload(c["id"], C.jpeg(scene, exif=C.exif(WHEN, *XINJIEKOU)))
    assert a["status"] == "ready"
    assert a["taken_at"] == "2026-11-02T10:30:00"
    assert a["gps"] == {"lat": pytest.approx(32.0415, abs=1e-5), "lon": pytest.approx(118.7849, abs=1e-5)}
    assert a["integrity"] == {
        "outside_campaign_window": False,
        "distance_km": pytest.approx(0, abs=0.01),
        "far_from_location": False,
        "missing_exif": False,
        "duplicate_of": [],
    }
    thumb = requests.get(a["thumbnail_url"], timeout=10)
    assert thumb.status_code == 200 and thumb.content[:3] == b"\xff\xd8\xff"
    assert requests.get(a["download_url"], timeout=10).status_code == 200


def test_download_is_an_attachment_with_the_sanitised_name(ev, flow, scene):
    c = flow.approved()
    a = ev.upload(c["id"], C.jpeg(scene), filename="../陈列 照片.jpg")
    r = requests.get(a["download_url"], timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/jpeg"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E9%99%88%E5%88%97%20%E7%85%A7%E7%89%87.jpg" in disposition


def test_flags_for_a_photo_taken_late_and_far_away(ev, flow, scene):
    c = flow.approved()
    shanghai = (31.2304, 121.4737)  # ~270 km from Xinjiekou, Nanjing
    a = ev.upload(c["id"], C.jpeg(scene, exif=C.exif("2026:11:05 09:00:00", *shanghai)))
    flags = a["integrity"]
    assert flags["outside_campaign_window"] is True and flags["far_from_location"] is True
    assert 260 < flags["distance_km"] < 280


def test_a_campaign_located_by_address_alone_has_no_distance_to_guess(ev, flow, scene):
    c = flow.approved(location={"address": "Xinjiekou, Nanjing"})
    assert c["location"] == {"address": "Xinjiekou, Nanjing", "lat": None, "lon": None}
    a = ev.upload(c["id"], C.jpeg(scene, exif=C.exif(WHEN, *XINJIEKOU)))
    assert a["status"] == "ready" and a["gps"] is not None
    assert a["integrity"]["distance_km"] is None and a["integrity"]["far_from_location"] is None


def test_a_day_either_side_of_the_campaign_is_inside_the_window(ev, flow, scene):
    c = flow.approved()
    a = ev.upload(c["id"], C.jpeg(scene, exif=C.exif("2026:10:31 18:00:00", *XINJIEKOU)))
    assert a["integrity"]["outside_campaign_window"] is False


def test_photo_without_exif_is_flagged_not_blocked(ev, flow, scene):
    c = flow.approved()
    a = ev.upload(c["id"], C.png(scene), content_type="image/png", filename="x.png")
    assert a["status"] == "ready" and a["integrity"]["missing_exif"] is True
    assert a["integrity"]["outside_campaign_window"] is None and a["integrity"]["distance_km"] is None


def test_duplicates_are_found_across_campaigns_and_reps_of_the_company_only(ev, flow, company, scene):
    first = flow.approved()
    other_rep = flow.approved(token=company.rep2)
    original = ev.upload(first["id"], C.jpeg(scene, exif=C.exif(WHEN, *XINJIEKOU)))
    copy = ev.upload(other_rep["id"], C.cropped(scene, 0.05), token=company.rep2)
    assert copy["integrity"]["duplicate_of"] == [original["id"]]
    # the earlier photo learns of the later one
    assert ev.attachment(first["id"], original["id"])["integrity"]["duplicate_of"] == [copy["id"]]
    # a different photo of the same shop is no duplicate
    similar = ev.upload(first["id"], C.jpeg(C.scene(42, (960, 720), shift=1)))
    assert similar["integrity"]["duplicate_of"] == []


def test_another_company_never_sees_our_photos_as_duplicates(ev, api, lambda_client, flow, scene):
    from tests.conftest import Company, Flow

    mine = ev.upload(flow.approved()["id"], C.jpeg(scene))
    other_co = Company()
    theirs_campaign = Flow(api, other_co).approved()
    theirs = Evidence(api, lambda_client, other_co).upload(theirs_campaign["id"], C.jpeg(scene))
    assert theirs["integrity"]["duplicate_of"] == [] and mine["status"] == "ready"


@pytest.mark.parametrize(
    "name,make,declared,reason,code,params",
    [
        ("polyglot", lambda s: C.polyglot_jpeg_zip(s), "image/jpeg", "polyglot", "polyglot", {"carries": "zip"}),
        ("truncated", lambda s: C.truncated_jpeg(s), "image/jpeg", "truncated", "corrupt", {"detected": "jpeg"}),
        (
            "png bomb",
            lambda s: C.png_bomb(),
            "image/png",
            "decompression bomb",
            "too_many_pixels",
            {"max_megapixels": 40},
        ),
        (
            "zip bomb",
            lambda s: C.docx_bomb(300),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "zip bomb",
            "zip_bomb",
            None,
        ),
        (
            "liar",
            lambda s: C.pdf(),
            "image/jpeg",
            "is a PDF, not the declared image/jpeg",
            "not_the_declared_type",
            {"detected": "pdf", "declared": "image/jpeg"},
        ),
    ],
)
def test_hostile_files_are_rejected_quarantined_and_never_served(
    ev, flow, scene, name, make, declared, reason, code, params
):
    c = flow.approved()
    a = ev.upload(c["id"], make(scene), content_type=declared)
    assert a["status"] == "rejected" and reason in a["reason"], a
    assert a["reason_code"] == code, a  # what a client translates, with what the reason is made of
    if params is not None:
        assert a["reason_params"] == params, a
    assert a["download_url"] is None and a["thumbnail_url"] is None
    key = f"uploads/{c['id']}/{a['id']}"
    assert not _exists(key) and _exists(f"quarantine/{c['id']}/{a['id']}")


def test_upload_larger_than_declared_is_rejected(ev, flow, scene):
    """S3 enforces the policy's exact size; should a bigger object land anyway (a direct PUT with
    leaked credentials, a policy bug), the checker refuses it."""
    c = flow.approved()
    data = C.jpeg(scene)
    r = ev.ask(c["id"], len(data) - 100)
    fields = r.json["upload"]["fields"]
    key = fields["key"]
    _s3().put_object(
        Bucket=settings().attachments_bucket,
        Key=key,
        Body=data,
        Metadata={"upload-token": fields["x-amz-meta-upload-token"]},
    )
    ev.deliver(ev.event_for(key))
    a = ev.attachment(c["id"], r.json["attachment"]["id"])
    assert a["status"] == "rejected" and "larger than the declared" in a["reason"]
    assert a["reason_code"] == "larger_than_declared"
    assert a["reason_params"] == {"size": len(data), "declared": len(data) - 100, "unit": "bytes"}
    assert not _exists(key)


def test_an_upload_form_re_aimed_at_another_reps_attachment_never_fills_it(ev, flow, company, scene):
    """Real S3 refuses a POST whose key differs from the signed policy's; the local store does
    not check policies. Either way the checker refuses an object that was not posted with the
    attachment's own form: the victim's attachment stays pending, and their own upload works."""
    mine = flow.approved()
    theirs = flow.approved(token=company.rep2)
    genuine = C.jpeg(C.scene(7, (640, 480)))
    attacker_form = ev.ask(mine["id"], C.jpeg(scene)).json["upload"]
    victim = ev.ask(theirs["id"], genuine, token=company.rep2).json
    victim_key = victim["upload"]["fields"]["key"]
    hijacked = {**attacker_form, "fields": {**attacker_form["fields"], "key": victim_key}}
    assert Evidence.post(hijacked, C.jpeg(scene)).status_code in (200, 201, 204)
    assert ev.deliver(ev.event_for(victim_key))["outcomes"][0]["outcome"] == "foreign_upload"
    assert ev.attachment(theirs["id"], victim["attachment"]["id"])["status"] == "pending_upload"
    assert not _exists(victim_key) and _exists(f"quarantine/{theirs['id']}/{victim['attachment']['id']}")
    assert Evidence.post(victim["upload"], genuine).status_code in (200, 201, 204)
    assert ev.deliver(ev.event_for(victim_key))["outcomes"][0]["outcome"] == "ready"
    assert ev.attachment(theirs["id"], victim["attachment"]["id"])["status"] == "ready"


def test_redelivered_event_has_one_effect(ev, flow, company, scene):
    first_campaign, second_campaign = flow.approved(), flow.approved()
    original = ev.upload(first_campaign["id"], C.jpeg(scene))
    r = ev.ask(second_campaign["id"], C.reencoded(scene))
    key = r.json["upload"]["fields"]["key"]
    Evidence.post(r.json["upload"], C.reencoded(scene))
    event = ev.event_for(key)
    outcomes = [ev.deliver(event)["outcomes"][0]["outcome"] for _ in range(3)]
    assert outcomes == ["ready", "duplicate_event", "duplicate_event"]
    # and the same record twice in one batch
    assert [o["outcome"] for o in ev.deliver(s3_event(*event["Records"], *event["Records"]))["outcomes"]] == [
        "duplicate_event",
        "duplicate_event",
    ]
    copy = ev.attachment(second_campaign["id"], r.json["attachment"]["id"])
    assert copy["integrity"]["duplicate_of"] == [original["id"]]
    assert ev.attachment(first_campaign["id"], original["id"])["integrity"]["duplicate_of"] == [copy["id"]]


def test_redelivered_rejection_is_a_no_op(ev, flow, scene):
    c = flow.approved()
    r = ev.ask(c["id"], C.truncated_jpeg(scene))
    key = r.json["upload"]["fields"]["key"]
    Evidence.post(r.json["upload"], C.truncated_jpeg(scene))
    event = ev.event_for(key)
    assert ev.deliver(event)["outcomes"][0]["outcome"] == "rejected"
    assert ev.deliver(event)["outcomes"][0]["outcome"] == "duplicate_event"
    assert _exists(f"quarantine/{c['id']}/{r.json['attachment']['id']}")


def test_event_for_an_object_nobody_asked_for_is_quarantined(ev, flow):
    c = flow.approved()
    key = f"uploads/{c['id']}/01ZZZZZZZZZZZZZZZZZZZZZZZZ"
    _s3().put_object(Bucket=settings().attachments_bucket, Key=key, Body=b"x")
    h = ev.head(key)
    payload = ev.deliver(s3_event(s3_record(settings().attachments_bucket, key, 1, h["ETag"])))
    assert payload["outcomes"][0]["outcome"] == "orphan" and not _exists(key)


# -- presigned POST, end to end ----------------------------------------------------------------
def test_the_presigned_post_stores_the_object_under_the_server_key(ev, flow, scene):
    c = flow.approved()
    data = C.jpeg(scene)
    r = ev.ask(c["id"], data)
    assert Evidence.post(r.json["upload"], data).status_code in (200, 204)
    head = ev.head(r.json["upload"]["fields"]["key"])
    assert head["ContentLength"] == len(data) and head["ContentType"] == "image/jpeg"


# -- listing, deleting, scope ------------------------------------------------------------------
def test_list_is_scoped_like_the_campaign(ev, api, flow, company, scene):
    c = flow.approved()
    ev.upload(c["id"], C.jpeg(scene))
    assert api.get(f"/campaigns/{c['id']}/attachments", company.manager).status_code == 200
    assert api.get(f"/campaigns/{c['id']}/attachments", company.rep2).status_code == 403
    assert api.get(f"/campaigns/{c['id']}/attachments", company.west_manager).status_code == 403


def test_delete_removes_the_photo_its_objects_and_its_index_entries(ev, api, flow, company, scene):
    first, second = flow.approved(), flow.approved()
    original = ev.upload(first["id"], C.jpeg(scene))
    copy = ev.upload(second["id"], C.reencoded(scene))
    assert copy["integrity"]["duplicate_of"] == [original["id"]]
    r = api.delete(f"/campaigns/{first['id']}/attachments/{original['id']}", company.rep)
    assert r.status_code == 204
    assert api.get(f"/campaigns/{first['id']}/attachments", company.rep).json["items"] == []
    assert not _exists(f"uploads/{first['id']}/{original['id']}")
    assert not _exists(f"thumbnails/{first['id']}/{original['id']}")
    # the copy forgets it, and a new upload matches only the copy
    assert ev.attachment(second["id"], copy["id"])["integrity"]["duplicate_of"] == []
    again = ev.upload(first["id"], C.jpeg(scene))
    assert again["integrity"]["duplicate_of"] == [copy["id"]]
    assert api.delete(f"/campaigns/{first['id']}/attachments/{original['id']}", company.rep).status_code == 404


def test_no_uploads_or_deletes_after_reimbursement(ev, api, flow, company, streams, scene):
    c = flow.approved()
    a = ev.upload(c["id"], C.jpeg(scene))
    flow.submit_feedback(c["id"])
    streams.deliver_feedback(c["id"])
    assert api.post(f"/campaigns/{c['id']}/reimbursement", company.finance, {}).status_code == 201
    r = api.delete(f"/campaigns/{c['id']}/attachments/{a['id']}", company.rep)
    assert r.status_code == 409 and r.json["code"] == "already_reimbursed"
    assert ev.ask(c["id"], 1000).status_code == 409


# -- feedback -----------------------------------------------------------------------------------
def test_min_photos_counts_ready_photos_only_and_feedback_lists_attachments(ev, api, flow, company, scene):
    flow.rule(scope="category", category="display", due_days=7, min_photos=2)
    c = flow.approved(category="display")
    ev.upload(c["id"], C.jpeg(scene))
    ev.upload(c["id"], C.truncated_jpeg(C.scene(7)))  # rejected: does not count
    ev.ask(c["id"], 5000)  # never uploaded: does not count
    values = {"actual_spend": 150000, "actual_sales": 900000}
    r = api.post(f"/campaigns/{c['id']}/feedback/submit", company.rep, values)
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "attachments"
    assert "1 so far" in r.json["errors"][0]["message"]
    ev.upload(c["id"], C.jpeg(C.scene(8)))
    r = api.post(f"/campaigns/{c['id']}/feedback/submit", company.rep, values)
    assert r.status_code == 200, r.json
    statuses = sorted(a["status"] for a in r.json["attachments"])
    assert statuses == ["pending_upload", "ready", "ready", "rejected"]
