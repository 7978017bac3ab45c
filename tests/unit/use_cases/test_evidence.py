"""Evidence: asking for an upload, the checker's verdict on what arrives, duplicates, links and
deleting (chalicelib.logic.evidence, logic.uploads)."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.dal import repos
from chalicelib.dal.objects import quarantine_key
from chalicelib.logic import campaigns, evidence, settlement
from chalicelib.logic.uploads import UploadEvent, check_upload
from tests import corpus
from tests.unit.use_cases.builders import (
    FINANCE,
    LEADER,
    PROVINCE,
    REP,
    REP_WEST,
    WEST,
    approved,
    photo,
    photo_bytes,
    refused,
    reimbursed,
    rejected,
    submitted,
    trail_actions,
    upload,
)

JPEG = "image/jpeg"


def stored(campaign_id: str, attachment_id: str):
    found = repos.evidence().get(campaign_id, attachment_id)
    assert found is not None
    return found


# -- asking for an upload ------------------------------------------------------------------------
def test_the_owner_gets_a_pending_attachment_and_a_form_for_exactly_its_key():
    # WHEN a rep asks to upload "../../陈列 照片.jpg" THEN a pending photo with a safe name, a form for
    # its key alone, and an entry in the trail
    c = submitted()  # evidence may come before approval
    a, form = evidence.request_upload(REP, c.id, "../../陈列 照片.jpg", JPEG, 120_000)
    assert (a.status, a.kind, a.filename) == ("pending_upload", "photo", "陈列 照片.jpg")  # no path
    assert form["fields"]["key"] == a.object_key and a.object_key.startswith(f"uploads/{c.id}/")
    assert trail_actions(c.id)[-1] == "attachment_added"
    assert [x.id for x in evidence.list_attachments(LEADER, c.id)] == [a.id]


def test_an_upload_names_a_type_or_size_it_does_not_take():
    # WHEN a rep asks for an executable, or a photo over 15 MB THEN the field is named; a 20 MB PDF is fine
    c = approved()
    r = refused(evidence.request_upload, REP, c.id, "run.exe", "application/x-msdownload", 10)
    assert r.answer == (400, "validation_error") and r.codes == [("content_type", "unsupported_file_type")]
    assert refused(evidence.request_upload, REP, c.id, "big.jpg", JPEG, 15 * 1024 * 1024 + 1).codes == [
        ("size_bytes", "too_large")
    ]
    assert evidence.request_upload(REP, c.id, "plan.pdf", "application/pdf", 20 * 1024 * 1024)[0].kind == "document"


def test_only_the_owner_adds_evidence_and_not_to_a_closed_or_paid_campaign():
    # GIVEN the rep's campaign: their manager and finance may not add to it; nobody to a closed or paid one
    c = approved()
    for who in (PROVINCE, FINANCE):
        assert refused(evidence.request_upload, who, c.id, "x.jpg", JPEG, 10).status == 403
    for closed in (rejected(), campaigns.cancel_campaign(REP, approved().id, "off")):
        assert refused(evidence.request_upload, REP, closed.id, "x.jpg", JPEG, 10).answer == (409, "invalid_state")
    assert refused(evidence.request_upload, REP, reimbursed().id, "x.jpg", JPEG, 10).answer == (
        409,
        "already_reimbursed",
    )


def test_a_campaign_holds_at_most_a_hundred_attachments(monkeypatch):
    # GIVEN a campaign at its limit (two here, a hundred in production) WHEN one more is asked for THEN 409
    monkeypatch.setattr(evidence, "MAX_PER_CAMPAIGN", 2)
    c = approved()
    for _ in range(2):
        evidence.request_upload(REP, c.id, "x.jpg", JPEG, 10)
    assert refused(evidence.request_upload, REP, c.id, "x.jpg", JPEG, 10).answer == (409, "too_many_attachments")


def test_an_upload_requested_as_the_campaign_is_cancelled_is_refused_and_records_nothing(store, monkeypatch):
    # GIVEN the rep withdraws the campaign while an upload is being recorded
    c = approved()
    real_list = store.evidence.list

    def counted_while_the_rep_cancels(campaign_id):
        campaigns.cancel_campaign(REP, campaign_id, "the store closed")  # between the read and the write
        return real_list(campaign_id)

    monkeypatch.setattr(store.evidence, "list", counted_while_the_rep_cancels)
    assert refused(evidence.request_upload, REP, c.id, "shelf.jpg", JPEG, 100_000).answer == (409, "invalid_state")
    assert real_list(c.id) == []
    assert "attachment_added" not in trail_actions(c.id)


# -- the checker's verdict ---------------------------------------------------------------------------
def test_a_real_photo_is_ready_with_a_thumbnail_and_integrity_flags(store):
    # GIVEN a photo taken in Shanghai on 20 October WHEN it arrives for a Nanjing campaign of 1-3 November
    # THEN it is ready, with a thumbnail, flagged as outside the window and far from the place
    c = approved()
    taken = corpus.jpeg(corpus.scene(5, (640, 480)), exif=corpus.exif("2026:10:20 10:30:00", 31.2304, 121.4737))
    a, event = upload(c.id, taken)
    assert check_upload(event) == "ready"
    ready = stored(c.id, a.id)
    assert ready.thumbnail_key and store.objects.exists(ready.thumbnail_key)
    assert ready.integrity["outside_campaign_window"] is True  # taken 20 October, for 1-3 November
    assert ready.integrity["far_from_location"] is True and 250 < ready.integrity["distance_km"] < 300  # Shanghai
    assert trail_actions(c.id)[-1] == "attachment_ready" and evidence.ready_photo_count(c.id) == 1


def test_a_campaign_with_an_address_alone_says_it_cannot_tell_how_far_a_photo_was_taken():
    # GIVEN a campaign whose place is an address without coordinates, and a photo with GPS
    c = approved(location={"address": "Xinjiekou, Nanjing"})
    taken = corpus.jpeg(corpus.scene(6, (640, 480)), exif=corpus.exif("2026:11:02 10:30:00", 31.2304, 121.4737))
    a, event = upload(c.id, taken)
    assert check_upload(event) == "ready"
    # THEN the distance is unknown (null), not guessed; the day is inside the window
    flags = stored(c.id, a.id).integrity
    assert (flags["distance_km"], flags["far_from_location"], flags["outside_campaign_window"]) == (None, None, False)


def test_an_upload_that_is_not_what_it_claims_is_rejected_with_a_reason_and_never_served(store):
    # WHEN a PDF arrives as a JPEG THEN it is rejected with a reason, moved out of reach, and does not count
    c = approved()
    a, event = upload(c.id, b"%PDF-1.4 not really a photo" + b"\0" * 100)
    assert check_upload(event) == "rejected"
    rejected_one = stored(c.id, a.id)
    assert rejected_one.status == "rejected" and rejected_one.reason
    assert not store.objects.exists(a.object_key) and store.objects.exists(quarantine_key(a.object_key))
    assert trail_actions(c.id)[-1] == "attachment_rejected" and evidence.ready_photo_count(c.id) == 0


def test_an_upload_of_another_size_than_declared_is_rejected():
    # WHEN fewer bytes arrive than were declared THEN the upload is rejected as cut short
    c = approved()
    data = photo_bytes()
    a, form = evidence.request_upload(REP, c.id, "shelf.jpg", JPEG, len(data) + 10)
    s = repos.objects().upload(form, data)
    assert check_upload(UploadEvent(s["bucket"], s["key"], s["size"], s["etag"])) == "rejected"
    assert "smaller than the declared" in stored(c.id, a.id).reason


def test_the_checker_decides_each_object_version_once_and_refuses_a_re_aimed_form(store):
    # WHEN the same S3 event arrives twice THEN the photo is decided once
    mine, theirs = approved(), approved(owner=REP_WEST, approver=WEST)
    a, event = upload(mine.id, photo_bytes())
    assert [check_upload(event) for _ in range(2)] == ["ready", "duplicate_event"]
    assert trail_actions(mine.id).count("attachment_ready") == 1
    # WHEN a rep re-aims their own form at another rep's pending attachment THEN it never fills it
    b, _ = evidence.request_upload(REP_WEST, theirs.id, "shelf.jpg", JPEG, len(photo_bytes()))
    _, form = evidence.request_upload(REP, mine.id, "shelf.jpg", JPEG, len(photo_bytes()))
    hijacked = store.objects.upload({"fields": {**form["fields"], "key": b.object_key}}, photo_bytes())
    assert check_upload(UploadEvent(hijacked["bucket"], hijacked["key"], hijacked["size"], hijacked["etag"])) == (
        "foreign_upload"
    )
    assert stored(theirs.id, b.id).status == "pending_upload"
    assert store.objects.exists(quarantine_key(b.object_key)) and not store.objects.exists(b.object_key)


def test_events_the_checker_has_no_business_with_are_ignored_or_quarantined(store):
    # GIVEN events of another bucket, another prefix, an older version of the object, and an
    # object nobody asked for THEN nothing is decided, and the unasked-for object is moved out of reach
    c = approved()
    a, event = upload(c.id, photo_bytes())
    assert check_upload(replace(event, bucket="someone-elses")) == "ignored"
    assert check_upload(replace(event, key="reports/CN/x.html")) == "ignored"
    assert check_upload(replace(event, etag="an-older-version")) == "stale_event"
    orphan = f"uploads/{c.id}/01ORPHANATTACHMENT0000000000"
    store.objects.put(orphan, b"nobody asked", JPEG)
    assert check_upload(UploadEvent(store.objects.bucket, orphan, 12, "e")) == "orphan"
    assert store.objects.exists(quarantine_key(orphan)) and not store.objects.exists(orphan)
    assert stored(c.id, a.id).status == "pending_upload"


def test_a_copy_of_an_earlier_photo_is_flagged_on_both(store):
    # GIVEN a photo in one campaign WHEN another rep uploads the same picture THEN each names the other
    first_campaign, second_campaign = approved(), approved(owner=REP_WEST, approver=WEST)
    original = photo(first_campaign.id, seed=7)
    copy = photo(second_campaign.id, seed=7, owner=REP_WEST)
    assert copy.duplicate_of == [original.id]
    assert stored(first_campaign.id, original.id).duplicate_of == [copy.id]
    assert photo(first_campaign.id, seed=8).duplicate_of == []  # another scene


def test_a_photo_check_reads_its_campaign_once_and_re_reads_it_only_after_losing_a_race(store, monkeypatch):
    # GIVEN the campaign reads counted: a quiet check reads it once; a check during which the campaign
    # changes reads it once more, and records the photo once
    from chalicelib.dal.memory import MemoryCampaigns, MemoryEvidence

    reads: list[str] = []
    real_get = MemoryCampaigns.get
    monkeypatch.setattr(MemoryCampaigns, "get", lambda self, cid: reads.append(cid) or real_get(self, cid))

    def uploaded(campaign, seed):
        _, event = upload(campaign.id, photo_bytes(seed))
        reads.clear()
        return event

    quiet = approved()
    assert check_upload(uploaded(quiet, 3)) == "ready"
    assert reads.count(quiet.id) == 1  # the check and its audit entry share the read

    busy = approved()
    event = uploaded(busy, 4)
    real_candidates = MemoryEvidence.candidates

    def meanwhile(self, tenant, hashes):  # the campaign changes during the check
        c = real_get(store.campaigns, busy.id)
        c.title = "renamed"
        store.campaigns.save(c)
        return real_candidates(self, tenant, hashes)

    monkeypatch.setattr(MemoryEvidence, "candidates", meanwhile)
    assert check_upload(event) == "ready"
    assert reads.count(busy.id) == 2  # the stale write re-read it once
    assert trail_actions(busy.id).count("attachment_ready") == 1


# -- links and deleting ------------------------------------------------------------------------------
def test_only_a_ready_attachment_has_links():
    # GIVEN a checked photo and a pending upload THEN only the photo has download and thumbnail links
    c = approved()
    ready = photo(c.id)
    pending, _ = evidence.request_upload(REP, c.id, "later.jpg", JPEG, 10)
    links = {a.id: evidence.links(a) for a in evidence.of_campaign(c.id)}
    assert links[ready.id]["download_url"] and links[ready.id]["thumbnail_url"]
    assert links[pending.id] == {"download_url": None, "thumbnail_url": None}


def test_the_owner_deletes_an_attachment_with_its_objects_and_a_matched_photo_forgets_it(store):
    # GIVEN a photo and its copy in another campaign WHEN the copy is deleted
    # THEN its record, object and thumbnail go, the original forgets it, and the trail says so
    first_campaign, second_campaign = approved(), approved()
    original = photo(first_campaign.id, seed=9)
    copy = photo(second_campaign.id, seed=9)
    evidence.delete_attachment(REP, second_campaign.id, copy.id)
    assert repos.evidence().get(second_campaign.id, copy.id) is None
    assert not store.objects.exists(copy.object_key) and not store.objects.exists(copy.thumbnail_key)
    assert stored(first_campaign.id, original.id).duplicate_of == []
    assert trail_actions(second_campaign.id)[-1] == "attachment_deleted"
    assert refused(evidence.delete_attachment, REP, second_campaign.id, copy.id).answer == (404, "not_found")


def test_evidence_is_deleted_by_its_owner_before_reimbursement_only():
    # GIVEN a photo: the rep's manager may not delete it, and nobody once the campaign is paid
    c = approved()
    a = photo(c.id)
    assert refused(evidence.delete_attachment, PROVINCE, c.id, a.id).answer == (403, "forbidden")
    settlement.settle(FINANCE, c.id, None, None)
    assert refused(evidence.delete_attachment, REP, c.id, a.id).answer == (409, "already_reimbursed")
    assert stored(c.id, a.id).status == "ready"
