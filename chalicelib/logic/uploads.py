"""The upload checker: an uploaded object is what it claims (or it is quarantined), photos get
their metadata, thumbnail and integrity flags, and the verdict is recorded once per version."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chalicelib.clock import now_iso
from chalicelib.config import settings
from chalicelib.dal import repos
from chalicelib.dal.errors import AlreadyDecided, ObjectMissing
from chalicelib.dal.objects import attachment_of, thumbnail_key
from chalicelib.domain import evidence as ev
from chalicelib.domain import filecheck, visits
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.evidence import Attachment
from chalicelib.logic import history, retry_on_stale_from
from chalicelib.logic.evidence import record_evidence
from chalicelib.observability import count, logger


@dataclass(frozen=True)
class UploadEvent:
    """The parts of one S3 event record the checker uses."""

    bucket: str
    key: str
    size: int
    etag: str
    sequencer: str = ""


def check_upload(event: UploadEvent) -> str:
    """Decide on one uploaded object version. Returns the outcome (for logs and tests):
    ready | rejected | duplicate_event | stale_event | ignored | orphan | foreign_upload.

    Idempotent: the decision is written once per (key, ETag) by a conditional transaction;
    every side effect before it (thumbnail, quarantine copy) is safe to repeat.
    """
    objects = repos.objects()
    if event.bucket != objects.bucket:
        return "ignored"
    ids = attachment_of(event.key)
    if ids is None:
        return "ignored"
    campaign_id, attachment_id = ids
    a = repos.evidence().get(campaign_id, attachment_id)
    if a is None:
        objects.quarantine(event.key)  # nobody asked for this upload: never serve it
        return "orphan"
    if a.checked_etag == event.etag:
        if a.status == "rejected":
            objects.quarantine(event.key)  # finish a move an earlier delivery may have cut short
        return "duplicate_event"
    try:
        stored = objects.head(event.key, event.etag)
    except ObjectMissing:
        return "stale_event"  # replaced or removed since: a later event decides
    if a.upload_token is not None and stored.upload_token != a.upload_token:
        # Another attachment's upload form re-aimed at this key: S3 refuses it by the signed
        # policy; wherever it got through, it never fills this attachment. The owner may still upload.
        objects.quarantine(event.key)
        logger().warning("upload without this attachment's form refused", extra={"attachment_id": a.id})
        count("UploadsForeign")
        return "foreign_upload"
    try:
        if stored.size != a.size_bytes:
            larger = stored.size > a.size_bytes
            raise filecheck.Rejected(
                "larger_than_declared" if larger else "smaller_than_declared",
                f"the upload is {stored.size} bytes, {'larger' if larger else 'smaller'} than the declared "
                f"{a.size_bytes}{'' if larger else ' (interrupted?)'}",
                size=stored.size,
                declared=a.size_bytes,
                unit="bytes",
            )
        try:
            body = objects.read(event.key, event.etag, a.size_bytes + 1)
        except ObjectMissing:
            return "stale_event"
        if len(body) != a.size_bytes:
            raise filecheck.Rejected("changed_while_checked", "the upload changed while it was being checked")
        digest = filecheck.sha256_of(body)
        a = replace(a, sha256=digest)  # every verdict on these bytes carries their hash
        filecheck.check_declared_hash(a.declared_sha256, digest)
        found = filecheck.inspect(body, a.content_type)
    except filecheck.Rejected as rejection:
        return _reject(a, event, rejection)
    return _accept(a, event, found)


def _reject(a: Attachment, event: UploadEvent, rejection: filecheck.Rejected) -> str:
    reason = str(rejection)
    decided = replace(
        a,
        status="rejected",
        reason=reason,
        reason_code=rejection.code,
        reason_params=rejection.params or None,
        checked_etag=event.etag,
        checked_at=now_iso(),
        thumbnail_key=None,
        phash=None,
        phash_crop=None,
        taken_at=None,
        gps=None,
        integrity=None,
        invoice_qr=None,
    )
    try:
        _record(decided, event, a, "attachment_rejected", reason)
    except AlreadyDecided:
        return "duplicate_event"
    repos.objects().quarantine(event.key)
    logger().warning("upload rejected", extra={"attachment_id": a.id, "reason": reason, "code": rejection.code})
    count("UploadsRejected")
    return "rejected"


def _accept(a: Attachment, event: UploadEvent, found: filecheck.Inspection) -> str:
    decided = replace(
        a,
        status="ready",
        reason=None,
        reason_code=None,
        reason_params=None,
        checked_etag=event.etag,
        checked_at=now_iso(),
        taken_at=found.taken_at,
        gps=found.gps,
        phash=found.phash,
        phash_crop=found.phash_crop,
        thumbnail_key=None,
        integrity=None,
        duplicate_refs=[],
        invoice_qr=found.invoice_qr,
    )
    matches, campaign = [], None
    if a.kind == "photo":
        if found.thumbnail:
            decided.thumbnail_key = thumbnail_key(a.campaign_id, a.id)
            repos.objects().put(decided.thumbnail_key, found.thumbnail, "image/jpeg")
        campaign = repos.campaigns().get(a.campaign_id)
        t = ev.thresholds_for(campaign.category if campaign else "", settings().evidence_thresholds)
        if decided.indexed_hashes:
            candidates = repos.evidence().candidates(a.tenant, decided.indexed_hashes)
            matches = ev.best_matches(a.id, decided.indexed_hashes, candidates, t.duplicate_distance)
        decided.duplicate_refs = [f"{m.campaign_id}/{m.attachment_id}" for m in matches]
        if campaign is not None:
            decided.integrity = ev.integrity(
                found.taken_at, found.gps, campaign.start_date, campaign.end_date, campaign.location, t
            )
        if not found.analysed:
            decided.integrity = {**(decided.integrity or {}), "analysed": False}
    decided.attestation = _attestation(a, found)
    try:
        _record(decided, event, a, "attachment_ready", read=campaign)
    except AlreadyDecided:
        return "duplicate_event"
    own_ref = f"{a.campaign_id}/{a.id}"
    for m in matches:  # the earlier photo learns of the later one (a set ADD, safe to repeat)
        repos.evidence().add_duplicate_ref(m.campaign_id, m.attachment_id, own_ref)
    count("UploadsReady")
    if matches:
        count("DuplicatePhotos")
    return "ready"


def _attestation(a: Attachment, found: filecheck.Inspection) -> dict[str, Any] | None:
    """What the photo tells of the check-in its upload named: taken during it, near it (the
    request's own part was decided when the upload was asked for)."""
    if a.visit_id is None or a.attestation is None:
        return None
    visit = repos.visits().get(a.campaign_id, a.visit_id)
    if visit is None:  # visits are never deleted: a record naming a missing one is a bug
        raise LookupError(f"attachment {a.id} names visit {a.visit_id}, which campaign {a.campaign_id} lacks")
    return visits.checked(visit, a.attestation, found.taken_at, found.gps)


def _record(
    decided: Attachment,
    event: UploadEvent,
    was: Attachment,
    action: str,
    reason: str | None = None,
    read: Campaign | None = None,
) -> None:
    """The verdict, its index entries and the campaign's audit entry, in one unit of work (a
    campaign changed meanwhile is re-read; a verdict already recorded raises AlreadyDecided).
    `read`: the campaign as the check read it, used by the first attempt instead of a read."""

    def fetch() -> Campaign | None:
        return repos.campaigns().get(decided.campaign_id)

    def attempt(campaign: Campaign | None) -> None:
        with repos.unit_of_work() as uow:
            uow.evidence.record_check(decided, event.etag, retired=was if was.indexed_hashes else None)
            if campaign is not None:
                record_evidence(uow, campaign, history.actor(None), action, decided, reason)

    retry_on_stale_from(read if read is not None else fetch(), fetch, attempt)
