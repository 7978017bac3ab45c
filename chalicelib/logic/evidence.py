"""Evidence use cases: ask for an upload, list, delete; and check an uploaded object."""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, replace

from chalicelib.clock import now_iso
from chalicelib.config import settings
from chalicelib.dal import repos
from chalicelib.domain import access
from chalicelib.domain import evidence as ev
from chalicelib.domain import filecheck
from chalicelib.domain.access import Principal
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.evidence import Attachment
from chalicelib.domain.ids import new_id
from chalicelib.logic import retry_on_stale
from chalicelib.logic.campaigns import load_visible
from chalicelib.observability import count, logger


@functools.lru_cache(maxsize=1)
def s3():
    import boto3
    from botocore.config import Config

    return boto3.client("s3", region_name=settings().region, config=Config(signature_version="s3v4"))


def _check_changeable(campaign: Campaign) -> None:
    if campaign.reimbursement_status == "reimbursed":
        raise Conflict("evidence is locked once the campaign is reimbursed", code="already_reimbursed")


# -- HTTP use cases -----------------------------------------------------------------------------
def request_upload(principal: Principal, campaign_id: str, filename: str, content_type: str,
                   size_bytes: int) -> tuple[Attachment, dict]:
    """Record a pending attachment and presign the one upload that may fill it."""
    access.require(principal, "attachment.create")
    campaign = load_visible(principal, campaign_id)
    access.require_owner(principal, campaign.owner_id)
    _check_changeable(campaign)
    kind = filecheck.kind_of(content_type)
    if kind is None:
        raise InvalidInput.field("content_type", "must be image/jpeg, image/png, image/heic, image/heif, image/webp, "
                                                 "application/pdf or an Office (docx, xlsx, pptx) document")
    limit = filecheck.max_bytes(content_type)
    if size_bytes > limit:
        raise InvalidInput.field("size_bytes", f"must be at most {limit} bytes ({limit // filecheck.MB} MB) "
                                               f"for a {kind}")
    from chalicelib.dal.evidence import MAX_PER_CAMPAIGN
    if len(repos.evidence().list(campaign_id)) >= MAX_PER_CAMPAIGN:
        raise Conflict(f"a campaign holds at most {MAX_PER_CAMPAIGN} attachments", code="too_many_attachments")
    attachment_id = new_id()
    a = Attachment(id=attachment_id, campaign_id=campaign_id, tenant=principal.tenant,
                   filename=filecheck.sanitise_filename(filename), content_type=content_type,
                   size_bytes=size_bytes, kind=kind, uploaded_by=principal.sub, created_at=now_iso(),
                   object_key=ev.object_key(campaign_id, attachment_id))
    repos.evidence().insert(a)
    return a, presign_upload(a)


def presign_upload(a: Attachment) -> dict:
    """An S3 POST policy for exactly this key, this content type and exactly this many bytes."""
    fields = {"Content-Type": a.content_type, "x-amz-server-side-encryption": "AES256"}
    conditions = [{"Content-Type": a.content_type}, {"x-amz-server-side-encryption": "AES256"},
                  ["content-length-range", a.size_bytes, a.size_bytes]]
    post = s3().generate_presigned_post(Bucket=settings().attachments_bucket, Key=a.object_key, Fields=fields,
                                        Conditions=conditions, ExpiresIn=ev.UPLOAD_TTL_SECONDS)
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=ev.UPLOAD_TTL_SECONDS)
    return {"url": post["url"], "method": "POST", "fields": post["fields"],
            "expires_at": expires.isoformat(timespec="seconds").replace("+00:00", "Z")}


def list_attachments(principal: Principal, campaign_id: str) -> list[Attachment]:
    access.require(principal, "attachment.read")
    load_visible(principal, campaign_id)
    return repos.evidence().list(campaign_id)


def links(a: Attachment) -> dict:
    """Short-lived links, only to objects the checker accepted."""
    if a.status != "ready":
        return {"download_url": None, "thumbnail_url": None}
    from urllib.parse import quote

    bucket = settings().attachments_bucket
    # always a download, never rendered inline; RFC 6266 form so that 陈列照片.jpg survives
    ascii_name = a.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(a.filename, safe='')}"
    download = s3().generate_presigned_url("get_object", ExpiresIn=ev.LINK_TTL_SECONDS, Params={
        "Bucket": bucket, "Key": a.object_key, "ResponseContentType": a.content_type,
        "ResponseContentDisposition": disposition})
    thumb = None
    if a.thumbnail_key:
        thumb = s3().generate_presigned_url("get_object", ExpiresIn=ev.LINK_TTL_SECONDS, Params={
            "Bucket": bucket, "Key": a.thumbnail_key, "ResponseContentType": "image/jpeg"})
    return {"download_url": download, "thumbnail_url": thumb}


def delete_attachment(principal: Principal, campaign_id: str, attachment_id: str) -> None:
    """The owner removes an attachment before reimbursement: the record, its index entries and
    its objects; photos it matched forget it."""
    access.require(principal, "attachment.delete")

    def attempt() -> Attachment:
        campaign = load_visible(principal, campaign_id)
        access.require_owner(principal, campaign.owner_id)
        _check_changeable(campaign)
        a = repos.evidence().get(campaign_id, attachment_id)
        if a is None:
            raise NotFound(f"attachment {attachment_id} does not exist")
        repos.evidence().delete(a)
        return a

    a = retry_on_stale(attempt)
    own_ref = f"{a.campaign_id}/{a.id}"
    for ref in a.duplicate_refs:
        other_campaign, other_id = ref.rsplit("/", 1)
        repos.evidence().remove_duplicate_ref(other_campaign, other_id, own_ref)
    bucket = settings().attachments_bucket
    for key in (a.object_key, a.thumbnail_key, ev.quarantine_key(a.object_key)):
        if key:
            s3().delete_object(Bucket=bucket, Key=key)


def ready_photo_count(campaign_id: str) -> int:
    return sum(1 for a in repos.evidence().list(campaign_id) if a.kind == "photo" and a.status == "ready")


# -- the upload checker ---------------------------------------------------------------------------
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
    ready | rejected | duplicate_event | stale_event | ignored | orphan.

    Idempotent: the decision is written once per (key, ETag) by a conditional transaction;
    every side effect before it (thumbnail, quarantine copy) is safe to repeat.
    """
    from botocore.exceptions import ClientError

    if event.bucket != settings().attachments_bucket:
        return "ignored"
    ids = ev.parse_object_key(event.key)
    if ids is None:
        return "ignored"
    campaign_id, attachment_id = ids
    a = repos.evidence().get(campaign_id, attachment_id)
    if a is None:
        _quarantine(event.key)          # nobody asked for this upload: never serve it
        return "orphan"
    if a.checked_etag == event.etag:
        if a.status == "rejected":
            _quarantine(event.key)      # finish a move an earlier delivery may have cut short
        return "duplicate_event"
    bucket = settings().attachments_bucket
    try:
        head = s3().head_object(Bucket=bucket, Key=event.key, IfMatch=f"\"{event.etag}\"")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "412", "PreconditionFailed"):
            return "stale_event"        # replaced or removed since: a later event decides
        raise
    actual = int(head["ContentLength"])
    try:
        if actual > a.size_bytes:
            raise filecheck.Rejected(f"the upload is {actual} bytes, larger than the declared {a.size_bytes}")
        if actual < a.size_bytes:
            raise filecheck.Rejected(f"the upload is {actual} bytes, smaller than the declared {a.size_bytes} "
                                     "(interrupted?)")
        body = s3().get_object(Bucket=bucket, Key=event.key, IfMatch=f"\"{event.etag}\"")["Body"].read(a.size_bytes + 1)
        if len(body) != a.size_bytes:
            raise filecheck.Rejected("the upload changed while it was being checked")
        found = filecheck.inspect(body, a.content_type)
    except filecheck.Rejected as rejection:
        return _reject(a, event, str(rejection))
    return _accept(a, event, found)


def _reject(a: Attachment, event: UploadEvent, reason: str) -> str:
    from chalicelib.dal.evidence import AlreadyDecided

    decided = replace(a, status="rejected", reason=reason, checked_etag=event.etag, checked_at=now_iso(),
                      thumbnail_key=None, phash=None, phash_crop=None, taken_at=None, gps=None, integrity=None)
    try:
        repos.evidence().record_check(decided, event.etag, retired=a if a.indexed_hashes else None)
    except AlreadyDecided:
        return "duplicate_event"
    _quarantine(event.key)
    logger().warning("upload rejected", extra={"attachment_id": a.id, "reason": reason})
    count("UploadsRejected")
    return "rejected"


def _quarantine(key: str) -> None:
    """Move the object out of the serving prefix (copy, then delete: both safe to repeat)."""
    from botocore.exceptions import ClientError

    bucket = settings().attachments_bucket
    try:
        s3().copy_object(Bucket=bucket, Key=ev.quarantine_key(key), CopySource={"Bucket": bucket, "Key": key},
                         ServerSideEncryption="AES256", MetadataDirective="COPY")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey"):
            raise
        return                          # already moved
    s3().delete_object(Bucket=bucket, Key=key)


def _accept(a: Attachment, event: UploadEvent, found: filecheck.Inspection,
            stats=None) -> str:
    from chalicelib.dal.evidence import AlreadyDecided

    decided = replace(a, status="ready", reason=None, checked_etag=event.etag, checked_at=now_iso(),
                      taken_at=found.taken_at, gps=found.gps, phash=found.phash, phash_crop=found.phash_crop,
                      thumbnail_key=None, integrity=None, duplicate_refs=[])
    matches = []
    if a.kind == "photo":
        if found.thumbnail:
            decided.thumbnail_key = ev.thumbnail_key(a.campaign_id, a.id)
            s3().put_object(Bucket=settings().attachments_bucket, Key=decided.thumbnail_key, Body=found.thumbnail,
                            ContentType="image/jpeg", ServerSideEncryption="AES256")
        campaign = repos.campaigns().get(a.campaign_id)
        t = ev.thresholds_for(campaign.category if campaign else "", settings().evidence_thresholds)
        if decided.indexed_hashes:
            candidates = repos.evidence().candidates(a.tenant, decided.indexed_hashes, stats)
            matches = ev.best_matches(a.id, decided.indexed_hashes, candidates, t.duplicate_distance)
        decided.duplicate_refs = [f"{m.campaign_id}/{m.attachment_id}" for m in matches]
        if campaign is not None:
            decided.integrity = ev.integrity(found.taken_at, found.gps, campaign.start_date, campaign.end_date,
                                             campaign.location, t)
        if not found.analysed:
            decided.integrity = {**(decided.integrity or {}), "analysed": False}
    try:
        repos.evidence().record_check(decided, event.etag, retired=a if a.indexed_hashes else None)
    except AlreadyDecided:
        return "duplicate_event"
    own_ref = f"{a.campaign_id}/{a.id}"
    for m in matches:   # the earlier photo learns of the later one (a set ADD, safe to repeat)
        repos.evidence().add_duplicate_ref(m.campaign_id, m.attachment_id, own_ref)
    count("UploadsReady")
    if matches:
        count("DuplicatePhotos")
    return "ready"

