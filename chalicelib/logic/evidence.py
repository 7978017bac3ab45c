"""Evidence use cases: ask for an upload, list, delete. The checker of uploaded objects is
logic/uploads.py (another function, another Lambda)."""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.clock import now_iso
from chalicelib.dal import repos
from chalicelib.dal.objects import quarantine_key, upload_key
from chalicelib.dal.ports import UnitOfWork
from chalicelib.domain import access, filecheck
from chalicelib.domain import visits as visit_rules
from chalicelib.domain.access import Principal
from chalicelib.domain.audit import Actor
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.evidence import Attachment
from chalicelib.domain.ids import new_id
from chalicelib.logic import history, retry_on_stale, retry_on_stale_from, visits
from chalicelib.logic.visibility import load_visible

MAX_PER_CAMPAIGN = 100


def _check_changeable(campaign: Campaign) -> None:
    if campaign.reimbursement_status == "reimbursed":
        raise Conflict("evidence is locked once the campaign is reimbursed", code="already_reimbursed")
    if campaign.status in ("rejected", "cancelled"):
        raise Conflict(f"a {campaign.status} campaign takes no evidence", code="invalid_state")


# -- HTTP use cases -----------------------------------------------------------------------------
def request_upload(
    principal: Principal,
    campaign_id: str,
    filename: str,
    content_type: str,
    size_bytes: int,
    visit_id: str | None = None,
    sha256: str | None = None,
) -> tuple[Attachment, dict[str, Any]]:
    """Record a pending attachment and presign the one upload that may fill it. `visit_id`:
    the caller's check-in it is taken during (what attests it); `sha256`: the bytes it will be
    (the checker refuses others)."""
    access.require(principal, "attachment.create")
    campaign = load_visible(principal, campaign_id)
    access.require_owner(principal, campaign.owner_id)
    _check_changeable(campaign)
    visit = visits.visit_for_upload(principal, campaign, visit_id) if visit_id is not None else None
    kind = filecheck.kind_of(content_type)
    if kind is None:
        raise InvalidInput.field(
            "content_type",
            "unsupported_file_type",
            "must be image/jpeg, image/png, image/heic, image/heif, image/webp, "
            "application/pdf or an Office (docx, xlsx, pptx) document",
            choices=[*filecheck.PHOTO_TYPES, *filecheck.DOCUMENT_TYPES],
        )
    limit = filecheck.max_bytes(content_type)
    if size_bytes > limit:
        raise InvalidInput.field(
            "size_bytes",
            "too_large",
            f"must be at most {limit} bytes ({limit // filecheck.MB} MB) for a {kind}",
            max=limit,
            unit="bytes",
        )
    if len(repos.evidence().list(campaign_id)) >= MAX_PER_CAMPAIGN:
        raise Conflict(
            f"a campaign holds at most {MAX_PER_CAMPAIGN} attachments",
            code="too_many_attachments",
            params={"max": MAX_PER_CAMPAIGN},
        )
    attachment_id, token, now = new_id(), secrets.token_urlsafe(18), now_iso()
    a = Attachment(
        id=attachment_id,
        campaign_id=campaign_id,
        tenant=principal.tenant,
        filename=filecheck.sanitise_filename(filename),
        content_type=content_type,
        size_bytes=size_bytes,
        kind=kind,
        uploaded_by=principal.sub,
        created_at=now,
        object_key=upload_key(campaign_id, attachment_id),
        upload_token=token,
        declared_sha256=sha256,
        visit_id=visit.id if visit else None,
        attestation=visit_rules.requested(visit, now) if visit else None,
    )

    def attempt(current: Campaign) -> None:
        _check_changeable(current)  # a retry's fresh read must still be open to evidence
        with repos.unit_of_work() as uow:
            uow.evidence.insert(a)
            record_evidence(uow, current, history.actor(principal), "attachment_added", a)

    retry_on_stale_from(campaign, lambda: load_visible(principal, campaign_id), attempt)
    return a, repos.objects().presigned_upload(a.object_key, a.content_type, a.size_bytes, token)


def record_evidence(
    uow: UnitOfWork, campaign: Campaign, who: Actor, action: str, a: Attachment, reason: str | None = None
) -> None:
    """An attachment's change in the campaign's audit trail (the campaign's head moves with it)."""
    change = {"attachment_id": [None, a.id], "filename": [None, a.filename], "kind": [None, a.kind]}
    if reason:
        change["reason"] = [None, reason]
    change.update(_evidence_facts(action, a))
    history.save(uow, campaign, who, [(action, change)])


def _evidence_facts(action: str, a: Attachment) -> dict[str, list[Any]]:
    """What the trail commits to about the evidence itself: the check-in an upload names, the
    hash it declared, and, once checked, the hash of the stored bytes and whether it is attested."""
    facts: dict[str, list[Any]] = {}
    if a.visit_id:
        facts["visit_id"] = [None, a.visit_id]
    if action == "attachment_added" and a.declared_sha256:
        facts["declared_sha256"] = [None, a.declared_sha256]
    if action in ("attachment_ready", "attachment_rejected") and a.sha256:
        facts["sha256"] = [None, a.sha256]
    if action == "attachment_ready" and a.visit_id:
        facts["attested"] = [None, a.attested]
    return facts


def list_attachments(principal: Principal, campaign_id: str) -> list[Attachment]:
    access.require(principal, "attachment.read")
    load_visible(principal, campaign_id)
    return repos.evidence().list(campaign_id)


def of_campaign(campaign_id: str) -> list[Attachment]:
    """A campaign's attachments, for a use case that has already checked the caller sees it."""
    return repos.evidence().list(campaign_id)


def links(a: Attachment) -> dict[str, Any]:
    """Short-lived links, only to objects the checker accepted."""
    if a.status != "ready":
        return {"download_url": None, "thumbnail_url": None}
    objects = repos.objects()
    return {
        "download_url": objects.download_url(a.object_key, a.content_type, a.filename),
        "thumbnail_url": objects.download_url(a.thumbnail_key, "image/jpeg") if a.thumbnail_key else None,
    }


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
        with repos.unit_of_work() as uow:
            uow.evidence.delete(a)
            record_evidence(uow, campaign, history.actor(principal), "attachment_deleted", a)
        return a

    a = retry_on_stale(attempt)
    own_ref = f"{a.campaign_id}/{a.id}"
    for ref in a.duplicate_refs:
        other_campaign, other_id = ref.rsplit("/", 1)
        repos.evidence().remove_duplicate_ref(other_campaign, other_id, own_ref)
    for key in (a.object_key, a.thumbnail_key, quarantine_key(a.object_key)):
        if key:
            repos.objects().delete(key)


def ready_photo_count(campaign_id: str) -> int:
    """Photos the evidence checker accepted (pending and rejected ones do not count)."""
    return sum(1 for a in repos.evidence().list(campaign_id) if a.kind == "photo" and a.status == "ready")
