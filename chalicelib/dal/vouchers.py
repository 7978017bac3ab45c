"""Vouchers for the general ledger (DynamoDB, the vouchers table).

| item | pk | sk | holds |
|---|---|---|---|
| accounts | `accounting#<T>` | `accounting` | the company's accounts (`data`) |
| export state | `state#<T>` | `state` | `watermark`; while a batch is made: `exporting`, `holder`, `lease_until` |
| export item | `export#<T>` | `<settled_at>#<campaign id>` | what a settled campaign's voucher lines need (`data`) |
| batch | `batch#<T>` | `<batch id>` (a ULID) | its range and accounts (`data`), files, voucher number, posting |

How a settled campaign lands in exactly one batch, ever, without a write per campaign:

* a settlement puts its campaign's export item (if absent) in the settlement's own transaction,
  with a ConditionCheck that the company's watermark is not past its settled time;
* a batch moves the watermark from what it read (`since`) to `until` and holds the export (a
  lease: `exporting`, `holder`, `lease_until`), conditional on nobody having moved or held it,
  in one transaction with the batch item: the batch is then every export item in
  `[since, until)`, read with one Query; ranges of two batches never overlap;
* DynamoDB serialises the two transactions on the state item: a settlement that commits first
  is in the batch's Query, one that commits after finds the watermark past its settled time and
  is retried with a later one (so it goes to the next batch), never lost below the watermark.

A batch creation that crashed keeps the lease until `lease_until`; the next creation after
that takes it over (conditional on the lease it read) and finishes the batch's files first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition

from chalicelib.dal.models import VoucherModel as V
from chalicelib.dal.paging import (
    BAD_CURSOR,
    decode_cursor,
    encode_cursor,
    fingerprint,
    from_dynamo_key,
    to_dynamo_key,
)
from chalicelib.dal.writes import Immediately, Writes, all_or_nothing
from chalicelib.domain.audit import Person
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.domain.vouchers import Accounting, ExportItem, ExportState, VoucherBatch

ACCOUNTING, STATE = "accounting", "state"
#: export items read per Query page (about 400 bytes each: a page stays well under 1 MB)
EXPORT_PAGE = 500


def _accounting_pk(tenant: str) -> str:
    return f"accounting#{tenant}"


def _state_pk(tenant: str) -> str:
    return f"state#{tenant}"


def export_pk(tenant: str) -> str:
    return f"export#{tenant}"


def _batch_pk(tenant: str) -> str:
    return f"batch#{tenant}"


def _person(raw: str | None) -> Person | None:
    return Person.from_dict(json.loads(raw)) if raw else None


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def batch_from_model(m: V) -> VoucherBatch:
    d = json.loads(m.data)
    return VoucherBatch(
        id=d["id"],
        tenant=m.tenant,
        created_at=d["created_at"],
        by=Person.from_dict(d["by"]),
        through=d["through"],
        since=d["since"],
        until=d["until"],
        accounting=Accounting.from_dict(d["accounting"]),
        export=m.export or "running",
        campaigns=int(m.campaigns) if m.campaigns is not None else None,
        total=int(m.total) if m.total is not None else None,
        artifacts=json.loads(m.artifacts) if m.artifacts else {},
        voucher_no=m.voucher_no,
        posted_at=m.posted_at,
        posted_by=_person(m.posted_by),
        campaigns_posted=int(m.campaigns_posted or 0),
        posting=m.posting,
        posting_cursor=m.posting_cursor,
    )


def batch_from_image(image: Mapping[str, Any]) -> VoucherBatch | None:
    """The batch a vouchers-table stream image holds (DynamoDB JSON); None for other items."""
    if (image.get("kind") or {}).get("S") != "batch":
        return None
    return batch_from_model(V.from_raw_data(dict(image)))


def _batch_item(b: VoucherBatch) -> V:
    data = {
        "id": b.id,
        "created_at": b.created_at,
        "by": b.by.as_dict(),
        "through": b.through,
        "since": b.since,
        "until": b.until,
        "accounting": b.accounting.as_dict(),
    }
    return V(_batch_pk(b.tenant), b.id, kind="batch", tenant=b.tenant, data=_dump(data), export=b.export)


def _range(since: str, until: str) -> Condition:
    """Export keys `<settled_at>#<id>` settled in [since, until): the instants are ISO texts of
    one length, so a key sorts after `since` exactly when settled at or after it, and before
    `until` exactly when settled before it (neither bound is ever a key itself)."""
    return V.sk.between(since, until) if since else V.sk < until


class VoucherRepository:
    def __init__(self, writes: Writes | None = None) -> None:
        self._writes = writes or Immediately()

    # -- the accounts -----------------------------------------------------------------------------
    def accounting(self, tenant: str) -> Accounting | None:
        try:
            m = V.get(_accounting_pk(tenant), ACCOUNTING, consistent_read=True)
        except DoesNotExist:
            return None
        return Accounting.from_dict(json.loads(m.data))

    def put_accounting(self, tenant: str, accounting: Accounting) -> None:
        item = V(_accounting_pk(tenant), ACCOUNTING, kind="accounting", tenant=tenant, data=_dump(accounting.as_dict()))
        self._writes.put(item)

    # -- the export queue -------------------------------------------------------------------------
    def queue(self, tenant: str, item: ExportItem) -> None:
        """A settled campaign's export item, put if absent, while the company's watermark is not
        past its settled time (StaleWrite otherwise: settle again, at a later time)."""
        with all_or_nothing(self._writes) as writes:
            writes.check(V(_state_pk(tenant), STATE), V.watermark.does_not_exist() | (V.watermark <= item.settled_at))
            writes.put(
                V(export_pk(tenant), item.key, kind="export", tenant=tenant, data=_dump(item.as_dict())),
                V.pk.does_not_exist(),
            )

    def exported(self, tenant: str, since: str, until: str, after: str | None = None) -> Iterator[ExportItem]:
        """The export items settled in [since, until), in settled order (after the key `after`),
        read page by page as they are consumed (strongly consistent)."""
        start = {"pk": {"S": export_pk(tenant)}, "sk": {"S": after}} if after else None
        for m in V.query(
            export_pk(tenant),
            _range(since, until),
            consistent_read=True,
            page_size=EXPORT_PAGE,
            last_evaluated_key=start,
        ):
            yield ExportItem.from_dict(json.loads(m.data))

    def any_exported(self, tenant: str, since: str, until: str) -> bool:
        found = V.query(export_pk(tenant), _range(since, until), consistent_read=True, limit=1)
        return next(iter(found), None) is not None

    # -- the export state and batches ---------------------------------------------------------------
    def state(self, tenant: str) -> ExportState:
        try:
            m = V.get(_state_pk(tenant), STATE, consistent_read=True)
        except DoesNotExist:
            return ExportState()
        return ExportState(m.watermark or "", m.exporting, m.holder, m.lease_until)

    def claim(self, batch: VoucherBatch, read: ExportState, holder: str, lease_until: str) -> None:
        """Cut the company's export queue at `batch.until` for this batch and hold it, if nobody
        moved the watermark or held the export since `read` (StaleWrite otherwise)."""
        state = V(_state_pk(batch.tenant), STATE)
        unmoved = V.watermark.does_not_exist() if not read.watermark else V.watermark == read.watermark
        with all_or_nothing(self._writes) as writes:
            writes.update(
                state,
                [
                    V.kind.set("state"),
                    V.tenant.set(batch.tenant),
                    V.watermark.set(batch.until),
                    V.exporting.set(batch.id),
                    V.holder.set(holder),
                    V.lease_until.set(lease_until),
                ],
                unmoved & V.exporting.does_not_exist(),
            )
            writes.put(_batch_item(batch), V.pk.does_not_exist())

    def take_over(self, tenant: str, read: ExportState, holder: str, lease_until: str) -> None:
        """Hold the export of a batch whose creator's lease ran out, if the lease is still the one
        read (StaleWrite otherwise: someone else took it over, or it was finished)."""
        self._writes.update(
            V(_state_pk(tenant), STATE),
            [V.holder.set(holder), V.lease_until.set(lease_until)],
            (V.exporting == read.exporting) & (V.holder == read.holder) & (V.lease_until == read.lease_until),
        )

    def finish(self, batch: VoucherBatch, holder: str) -> None:
        """Record the batch's files, campaigns and total and release the export, if `holder`
        still holds it (StaleWrite otherwise)."""
        if batch.campaigns is None or batch.total is None:
            raise ValueError(f"batch {batch.id} is not counted yet")
        with all_or_nothing(self._writes) as writes:
            writes.update(
                V(_state_pk(batch.tenant), STATE),
                [V.exporting.remove(), V.holder.remove(), V.lease_until.remove()],
                (V.exporting == batch.id) & (V.holder == holder),
            )
            writes.update(
                V(_batch_pk(batch.tenant), batch.id),
                [
                    V.export.set("ready"),
                    V.campaigns.set(batch.campaigns),
                    V.total.set(batch.total),
                    V.artifacts.set(_dump(batch.artifacts)),
                ],
                V.pk.exists(),
            )

    def batch(self, tenant: str, batch_id: str) -> VoucherBatch | None:
        try:
            return batch_from_model(V.get(_batch_pk(tenant), batch_id, consistent_read=True))
        except DoesNotExist:
            return None

    def batches(self, tenant: str, page: PageRequest) -> Page[VoucherBatch]:
        """A company's batches, newest first."""
        fp = fingerprint("voucher-batches", tenant)
        start = decode_cursor(page.cursor, {"pk", "sk"}, fp)
        if start is not None and start["pk"] != _batch_pk(tenant):
            raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)  # a cursor forged to read elsewhere
        result = V.query(
            _batch_pk(tenant),
            consistent_read=True,
            scan_index_forward=False,
            limit=page.limit,
            page_size=page.limit,
            last_evaluated_key=to_dynamo_key(start),
        )
        items = [batch_from_model(m) for m in result]
        return Page(items=items, next_cursor=encode_cursor(from_dynamo_key(result.last_evaluated_key), fp))

    def post(self, tenant: str, batch_id: str, voucher_no: str, by: Person, at: str) -> None:
        """The ERP's voucher number on a batch whose files are ready and which has none yet
        (StaleWrite otherwise: read it again and decide)."""
        self._writes.update(
            V(_batch_pk(tenant), batch_id),
            [
                V.voucher_no.set(voucher_no),
                V.posted_at.set(at),
                V.posted_by.set(_dump(by.as_dict())),
                V.posting.set("running"),
                V.campaigns_posted.set(0),
            ],
            V.pk.exists() & V.voucher_no.does_not_exist() & (V.export == "ready"),
        )

    def record_posting(self, tenant: str, batch_id: str, cursor: str | None, posted: int, done: bool) -> None:
        """How far posting a batch's number to its campaigns got (the posting function's own
        progress: it alone writes it, one stream record at a time)."""
        actions = [V.campaigns_posted.set(posted), V.posting.set("done" if done else "running")]
        actions.append(V.posting_cursor.set(cursor) if cursor else V.posting_cursor.remove())
        self._writes.update(V(_batch_pk(tenant), batch_id), actions, V.voucher_no.exists())
