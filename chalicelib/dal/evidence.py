"""Evidence repository (DynamoDB): attachments and the banded duplicate index, one table.

| item | pk | sk |
|---|---|---|
| attachment | `c#<campaign id>` | `a#<attachment id>` (a campaign's list is one Query) |
| duplicate-index entry | `h#<tenant>\\|<band>\\|<band value>` | `<attachment id>#<full or crop>` |

The 64-bit photo hash is cut into 3 bands of 21, 21 and 22 bits (pigeonhole index): two hashes
within Hamming distance 2 share at least one band exactly, and wide bands keep every bucket
nearly empty (2 hashes × N photos ÷ 2^21 values: 0.1 entries per bucket at 100,000 photos), so
a lookup reads about as much at 10,000 photos as at 1,000,000.

The checker's verdict, the index entries it adds and those it retires are one unit of work,
conditional on that object version not being decided yet: a redelivered S3 event is a no-op.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.dal.errors import AlreadyDecided
from chalicelib.dal.models import EvidenceModel as E
from chalicelib.dal.models import model_from_image
from chalicelib.dal.writes import Immediately, Writes, all_or_nothing
from chalicelib.domain.evidence import Attachment, Candidate

BAND_WIDTHS = (21, 21, 22)
_VARIANTS = ("full", "crop")


class _Gone(Exception):
    pass


def band_keys(tenant: str, phash: str) -> list[str]:
    """The index partition keys of a hash: `tenant|band|value`."""
    value = int(phash, 16)
    out, shift = [], 64
    for band, width in enumerate(BAND_WIDTHS):
        shift -= width
        out.append(f"{tenant}|{band}|{(value >> shift) & ((1 << width) - 1):06x}")
    return out


def _pk(campaign_id: str) -> str:
    return f"c#{campaign_id}"


def _sk(attachment_id: str) -> str:
    return f"a#{attachment_id}"


def _from_model(m: E) -> Attachment:
    return Attachment(
        id=m.attachment_id,
        campaign_id=m.campaign_id,
        tenant=m.tenant,
        filename=m.filename,
        content_type=m.content_type,
        size_bytes=int(m.size_bytes),
        kind=m.kind,
        uploaded_by=m.uploaded_by,
        created_at=m.created_at,
        status=m.status,
        reason=m.reason,
        reason_code=m.reason_code,
        reason_params=json.loads(m.reason_params_json) if m.reason_params_json else None,
        object_key=m.object_key,
        upload_token=m.upload_token,
        thumbnail_key=m.thumbnail_key,
        checked_etag=m.checked_etag,
        checked_at=m.checked_at,
        taken_at=m.taken_at,
        gps=json.loads(m.gps_json) if m.gps_json else None,
        integrity=json.loads(m.integrity_json) if m.integrity_json else None,
        phash=m.phash,
        phash_crop=m.phash_crop,
        duplicate_refs=sorted(m.dup_refs or ()),
        sha256=m.sha256,
        declared_sha256=m.declared_sha256,
        visit_id=m.visit_id,
        attestation=json.loads(m.attestation_json) if m.attestation_json else None,
        invoice_qr=m.invoice_qr,
    )


def attachment_from_image(image: Mapping[str, Any]) -> Attachment:
    """An attachment from an evidence-table stream image (DynamoDB JSON)."""
    return _from_model(model_from_image(E, image))


def attachment_image(a: Attachment) -> dict[str, Any]:
    """An attachment as the evidence table's stream carries it (DynamoDB JSON)."""
    return _to_model(a).serialize()


def _to_model(a: Attachment) -> E:
    return E(
        _pk(a.campaign_id),
        _sk(a.id),
        campaign_id=a.campaign_id,
        attachment_id=a.id,
        tenant=a.tenant,
        filename=a.filename,
        content_type=a.content_type,
        size_bytes=a.size_bytes,
        kind=a.kind,
        uploaded_by=a.uploaded_by,
        created_at=a.created_at,
        status=a.status,
        reason=a.reason,
        reason_code=a.reason_code,
        reason_params_json=json.dumps(a.reason_params) if a.reason_params else None,
        object_key=a.object_key,
        upload_token=a.upload_token,
        thumbnail_key=a.thumbnail_key,
        checked_etag=a.checked_etag,
        checked_at=a.checked_at,
        taken_at=a.taken_at,
        gps_json=json.dumps(a.gps) if a.gps else None,
        integrity_json=json.dumps(a.integrity) if a.integrity is not None else None,
        phash=a.phash,
        phash_crop=a.phash_crop,
        dup_refs=set(a.duplicate_refs) or None,
        sha256=a.sha256,
        declared_sha256=a.declared_sha256,
        visit_id=a.visit_id,
        attestation_json=json.dumps(a.attestation) if a.attestation is not None else None,
        invoice_qr=a.invoice_qr,
    )


def _index_entries(a: Attachment) -> list[E]:
    entries = []
    for variant, h in zip(_VARIANTS, (a.phash, a.phash_crop), strict=True):
        if not h:
            continue
        for key in band_keys(a.tenant, h):
            entries.append(E(f"h#{key}", f"{a.id}#{variant}", attachment_id=a.id, campaign_id=a.campaign_id, phash=h))
    return entries


class EvidenceRepository:
    def __init__(self, writes: Writes | None = None) -> None:
        self._writes = writes or Immediately()

    def get(self, campaign_id: str, attachment_id: str) -> Attachment | None:
        try:
            return _from_model(E.get(_pk(campaign_id), _sk(attachment_id), consistent_read=True))
        except DoesNotExist:
            return None

    def list(self, campaign_id: str) -> builtins.list[Attachment]:
        """A campaign's attachments, oldest first (ids are ULIDs); at most MAX_PER_CAMPAIGN exist."""
        return [_from_model(m) for m in E.query(_pk(campaign_id), E.sk.startswith("a#"), consistent_read=True)]

    def insert(self, a: Attachment) -> Attachment:
        self._writes.put(_to_model(a), E.pk.does_not_exist())
        return a

    def record_check(self, a: Attachment, etag: str, retired: Attachment | None = None) -> None:
        """Write the checker's decision about object version `etag`, with its index entries, once.

        `retired`: the attachment as it was, whose index entries (from an earlier version of the
        object) are removed in the same write. Raises AlreadyDecided when this version was
        decided already or the attachment was deleted meanwhile.
        """
        condition = E.pk.exists() & (E.checked_etag.does_not_exist() | (E.checked_etag != etag))
        with all_or_nothing(self._writes) as writes:
            writes.put(_to_model(a), condition, conflict=lambda: AlreadyDecided(a.id))
            new_entries = _index_entries(a) if a.status == "ready" else []
            for m in new_entries:
                writes.put(m)
            new_keys = {(m.pk, m.sk) for m in new_entries}
            for m in _index_entries(retired) if retired is not None else []:
                if (m.pk, m.sk) not in new_keys:
                    writes.delete(m)

    def delete(self, a: Attachment) -> None:
        """Delete the attachment and its index entries together, if nobody changed it since read."""
        condition = (E.checked_etag == a.checked_etag) if a.checked_etag else E.checked_etag.does_not_exist()
        with all_or_nothing(self._writes) as writes:
            writes.delete(E(_pk(a.campaign_id), _sk(a.id)), E.pk.exists() & condition)
            for m in _index_entries(a):
                writes.delete(m)

    def add_duplicate_ref(self, campaign_id: str, attachment_id: str, ref: str) -> None:
        """Tell an earlier photo that a later one matches it (a set ADD: idempotent)."""
        try:
            self._writes.update(
                E(_pk(campaign_id), _sk(attachment_id)), [E.dup_refs.add({ref})], E.pk.exists(), conflict=_Gone
            )
        except _Gone:
            pass  # deleted meanwhile: nothing to tell

    def remove_duplicate_ref(self, campaign_id: str, attachment_id: str, ref: str) -> None:
        try:
            self._writes.update(
                E(_pk(campaign_id), _sk(attachment_id)), [E.dup_refs.delete({ref})], E.pk.exists(), conflict=_Gone
            )
        except _Gone:
            pass

    def candidates(self, tenant: str, hashes: builtins.list[str]) -> builtins.list[Candidate]:
        """Every indexed hash sharing a band with one of `hashes`: one Query per band key. The
        cost is the number of bands (× hashes) plus the entries in those buckets, whatever the
        size of the index."""
        band = sorted({key for h in hashes for key in band_keys(tenant, h)})
        out: dict[tuple[str, str], Candidate] = {}
        for key in band:
            for m in E.query(f"h#{key}", consistent_read=False):
                out[(m.attachment_id, m.phash)] = Candidate(m.attachment_id, m.campaign_id, m.phash)
        return list(out.values())


__all__ = ["EvidenceRepository", "attachment_from_image", "attachment_image", "band_keys"]
