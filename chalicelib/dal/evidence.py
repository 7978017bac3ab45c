"""Evidence repository: attachments and the banded duplicate index (one table, two item kinds).

Every access is a key: an attachment by (campaign, id), a campaign's attachments by one Query,
index candidates by one Query per band. The checker's result, the index entries it adds and
those it retires are one transaction, conditional on the object version not being decided yet:
that is what makes a redelivered S3 event a no-op.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.dal.models import EvidenceModel as E, _host
from chalicelib.domain.evidence import Attachment, Candidate, band_keys

MAX_PER_CAMPAIGN = 100
_VARIANTS = ("full", "crop")


class AlreadyDecided(Exception):
    """The checker already recorded a decision on this object version (or the attachment is gone)."""


@functools.lru_cache(maxsize=1)
def _connection() -> Connection:
    """One connection (one botocore client) per process: creating a client costs more than the
    whole photo check, so transactions must not make their own each time."""
    s = settings()
    return Connection(region=s.region, host=_host())


def _pk(campaign_id: str) -> str:
    return f"c#{campaign_id}"


def _sk(attachment_id: str) -> str:
    return f"a#{attachment_id}"


def _from_model(m: E) -> Attachment:
    return Attachment(
        id=m.attachment_id, campaign_id=m.campaign_id, tenant=m.tenant, filename=m.filename,
        content_type=m.content_type, size_bytes=int(m.size_bytes), kind=m.kind, uploaded_by=m.uploaded_by,
        created_at=m.created_at, status=m.status, reason=m.reason, object_key=m.object_key,
        thumbnail_key=m.thumbnail_key, checked_etag=m.checked_etag, checked_at=m.checked_at, taken_at=m.taken_at,
        gps=json.loads(m.gps_json) if m.gps_json else None,
        integrity=json.loads(m.integrity_json) if m.integrity_json else None,
        phash=m.phash, phash_crop=m.phash_crop,
        duplicate_refs=sorted(m.dup_refs or ()),
    )


def _to_model(a: Attachment) -> E:
    return E(_pk(a.campaign_id), _sk(a.id), campaign_id=a.campaign_id, attachment_id=a.id, tenant=a.tenant,
             filename=a.filename, content_type=a.content_type, size_bytes=a.size_bytes, kind=a.kind,
             uploaded_by=a.uploaded_by, created_at=a.created_at, status=a.status, reason=a.reason,
             object_key=a.object_key, thumbnail_key=a.thumbnail_key, checked_etag=a.checked_etag,
             checked_at=a.checked_at, taken_at=a.taken_at, gps_json=json.dumps(a.gps) if a.gps else None,
             integrity_json=json.dumps(a.integrity) if a.integrity is not None else None,
             phash=a.phash, phash_crop=a.phash_crop, dup_refs=set(a.duplicate_refs) or None)


def _index_entries(a: Attachment) -> list[E]:
    entries = []
    for variant, h in zip(_VARIANTS, (a.phash, a.phash_crop)):
        if not h:
            continue
        for key in band_keys(a.tenant, h):
            entries.append(E(f"h#{key}", f"{a.id}#{variant}", attachment_id=a.id, campaign_id=a.campaign_id,
                             phash=h))
    return entries


@dataclass
class LookupStats:
    queries: int = 0
    items_read: int = 0


class EvidenceRepository:
    def get(self, campaign_id: str, attachment_id: str) -> Attachment | None:
        try:
            return _from_model(E.get(_pk(campaign_id), _sk(attachment_id), consistent_read=True))
        except DoesNotExist:
            return None

    def list(self, campaign_id: str) -> list[Attachment]:
        """A campaign's attachments, oldest first (ids are ULIDs); at most MAX_PER_CAMPAIGN exist."""
        return [_from_model(m) for m in E.query(_pk(campaign_id), E.sk.startswith("a#"), consistent_read=True)]

    def insert(self, a: Attachment) -> Attachment:
        _to_model(a).save(condition=E.pk.does_not_exist())
        return a

    def record_check(self, a: Attachment, etag: str, retired: Attachment | None = None) -> None:
        """Write the checker's decision about object version `etag`, with its index entries, once.

        `retired`: the attachment as it was, whose index entries (from an earlier version of the
        object) are removed in the same transaction. Raises AlreadyDecided when this version was
        decided already or the attachment was deleted meanwhile.
        """
        condition = E.pk.exists() & (E.checked_etag.does_not_exist() | (E.checked_etag != etag))
        new_entries = _index_entries(a) if a.status == "ready" else []
        new_keys = {(m.pk, m.sk) for m in new_entries}
        old_entries = _index_entries(retired) if retired is not None else []
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.save(_to_model(a), condition=condition)
                for m in new_entries:
                    tx.save(m)
                for m in old_entries:
                    if (m.pk, m.sk) not in new_keys:
                        tx.delete(m)
        except TransactWriteError as exc:
            reasons = [r.code for r in (exc.cancellation_reasons or []) if r is not None]
            if "ConditionalCheckFailed" in reasons or exc.cause_response_code == "TransactionCanceledException":
                raise AlreadyDecided(a.id) from None
            raise

    def delete(self, a: Attachment) -> None:
        """Delete the attachment and its index entries together, if nobody changed it since read."""
        condition = (E.checked_etag == a.checked_etag) if a.checked_etag else E.checked_etag.does_not_exist()
        try:
            with TransactWrite(connection=_connection()) as tx:
                tx.delete(E(_pk(a.campaign_id), _sk(a.id)), condition=E.pk.exists() & condition)
                for m in _index_entries(a):
                    tx.delete(m)
        except TransactWriteError as exc:
            if exc.cause_response_code == "TransactionCanceledException":
                from chalicelib.dal.campaigns import StaleWrite
                raise StaleWrite(a.id) from None
            raise

    def add_duplicate_ref(self, campaign_id: str, attachment_id: str, ref: str) -> None:
        """Tell an earlier photo that a later one matches it (a set ADD: idempotent)."""
        try:
            E(_pk(campaign_id), _sk(attachment_id)).update(actions=[E.dup_refs.add({ref})],
                                                           condition=E.pk.exists())
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise

    def remove_duplicate_ref(self, campaign_id: str, attachment_id: str, ref: str) -> None:
        try:
            E(_pk(campaign_id), _sk(attachment_id)).update(actions=[E.dup_refs.delete({ref})],
                                                           condition=E.pk.exists())
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise

    def candidates(self, tenant: str, hashes: list[str], stats: LookupStats | None = None) -> list[Candidate]:
        """Every indexed hash sharing a 16-bit band with one of `hashes`: one Query per band key.

        The cost is the number of bands (× hashes) plus the entries in those buckets, whatever
        the size of the index."""
        keys = sorted({key for h in hashes for key in band_keys(tenant, h)})
        out: dict[tuple[str, str], Candidate] = {}
        for key in keys:
            result = E.query(f"h#{key}", consistent_read=False)
            for m in result:
                out[(m.attachment_id, m.phash)] = Candidate(m.attachment_id, m.campaign_id, m.phash)
            if stats is not None:
                stats.queries += 1
                stats.items_read += result.total_count
        return list(out.values())


__all__ = ["EvidenceRepository", "AlreadyDecided", "LookupStats", "MAX_PER_CAMPAIGN"]
