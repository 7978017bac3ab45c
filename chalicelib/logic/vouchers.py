"""Vouchers for the general ledger (凭证): the company's accounts, voucher batches and their
files, and the ERP's voucher number posted back onto the campaigns.

* Settlement queues every settled campaign for the export in its own transaction
  (`queue_settled`, called from logic/settlement.py).
* `create_batch` cuts the company's export queue at `through` in one conditional transaction
  (the batch is then every campaign settled in its range: dal/vouchers.py), reads the range
  once, writing both files line by line as it goes, and marks the batch ready. A creation that
  crashed holds its lease until it runs out; the next creation then finishes it first.
* `post_batch` records the voucher number on the batch; the vouchers stream then writes it on
  every campaign of the batch, each with its `voucher_posted` audit entry
  (`voucher_item_changed`), a page at a time, resumably.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from chalicelib.clock import business_today, now, now_iso
from chalicelib.config import settings
from chalicelib.dal import images, repos
from chalicelib.dal.objects import voucher_prefix
from chalicelib.dal.ports import UnitOfWork
from chalicelib.domain import access
from chalicelib.domain import org as orgs
from chalicelib.domain.access import Principal
from chalicelib.domain.audit import actor_of
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.errors import Conflict, NotFound, StaleWrite
from chalicelib.domain.ids import new_id
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.domain.vouchers import (
    LEASE_SECONDS,
    Accounting,
    ExportItem,
    ExportState,
    VoucherBatch,
    bounds,
    check_postable,
    export_item,
    new_accounting,
)
from chalicelib.lazy import on_first_use
from chalicelib.logic import history, retry_on_stale
from chalicelib.observability import count, logger

# imported on first use (chalicelib.lazy): the file writer (and XlsxWriter) loads in a batch's creation only
if TYPE_CHECKING:
    from chalicelib.reporting import vouchers as files
else:
    files = on_first_use("chalicelib.reporting.vouchers")

#: how long a second creator waits for a batch being made before it is told 409 batch_in_progress
WAIT_FOR_LEASE_SECONDS = 5.0
POLL_SECONDS = 0.2
#: campaigns whose voucher number is written together (then the progress is recorded), and by how many threads
POSTING_PAGE = 100
POSTING_THREADS = 8


# -- the accounts ------------------------------------------------------------------------------------
def get_accounting(principal: Principal) -> Accounting | None:
    access.require(principal, "accounting.read")
    return repos.vouchers().accounting(principal.tenant)


def set_accounting(
    principal: Principal, expense_account: str, payable_account: str, expense_accounts: Mapping[str, str] | None
) -> Accounting:
    """The company's accounts from now on (a batch keeps the accounts it was made with)."""
    access.require(principal, "accounting.set")
    accounting = new_accounting(
        expense_account, payable_account, expense_accounts, settings().categories, principal.person, now_iso()
    )
    repos.vouchers().put_accounting(principal.tenant, accounting)
    return accounting


# -- settlement's part -------------------------------------------------------------------------------
def queue_settled(uow: UnitOfWork, campaign: Campaign) -> ExportItem:
    """Queue a campaign being settled for the general ledger, in the settlement's unit of work:
    the export item carries what its voucher lines need (so a batch reads nothing else), and it
    is refused (StaleWrite: settle again, later) if a batch has meanwhile cut the queue past its
    settled time."""
    item = export_item(campaign, invoice_numbers(campaign))
    uow.vouchers.queue(orgs.tenant_of(campaign.org), item)
    return item


def invoice_numbers(campaign: Campaign) -> list[str]:
    """The numbers of the invoices a campaign settles, for its voucher lines, in claim order:
    read through the invoice ledger's own repository (one consistent batch read of the keys the
    campaign lists; none for a campaign without invoices), never a copy of the ledger."""
    return [invoice.fields.number for invoice in repos.invoices().of_campaign(campaign)]


# -- batches -------------------------------------------------------------------------------------------
def lease_end(at: dt.datetime) -> str:
    return (at + dt.timedelta(seconds=LEASE_SECONDS)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def create_batch(principal: Principal, through: str | None) -> VoucherBatch:
    """A batch of every campaign of the company settled on or before `through` (default today,
    Asia/Shanghai) that is in no batch yet, with its files. Of two finance users creating
    batches at once, one cuts the queue; the other waits for it (briefly), then gets a batch of
    what is left or 409 `nothing_to_export` (`batch_in_progress` if the first is still at it)."""
    access.require(principal, "voucher.create")
    tenant, store = principal.tenant, repos.vouchers()
    accounting = store.accounting(tenant)
    if accounting is None:
        raise Conflict("vouchers need the company's accounts first (PUT /accounting)", code="accounting_not_configured")
    waited_until = time.monotonic() + WAIT_FOR_LEASE_SECONDS
    for _ in range(100):  # each round re-reads the state another creator changed
        state = store.state(tenant)
        at = now()
        moment = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if state.abandoned(moment):
            resume(tenant, state)
            continue
        if state.busy(moment):
            if time.monotonic() > waited_until:
                raise Conflict("another voucher batch is being made; try again in a moment", code="batch_in_progress")
            time.sleep(POLL_SECONDS)
            continue
        day, since, until = bounds(through, business_today(), moment, state.watermark)
        if until <= since or not store.any_exported(tenant, since, until):
            raise Conflict(
                f"every campaign settled on or before {day} is in a voucher batch already",
                code="nothing_to_export",
                params={"through": day},
                through=day,
            )
        batch = VoucherBatch(new_id(), tenant, moment, principal.person, day, since, until, accounting)
        holder = new_id()
        try:
            store.claim(batch, state, holder, lease_end(at))
        except StaleWrite:
            continue  # another creator cut the queue first: read where, and go on from there
        return export(batch, holder)
    raise Conflict("the company's export kept changing; try again", code="conflict")


def resume(tenant: str, state: ExportState) -> VoucherBatch | None:
    """Finish the files of a batch whose creation crashed (its lease ran out), holding the
    export while doing so; None if someone else got to it first."""
    if state.exporting is None:
        return None
    holder = new_id()
    try:
        repos.vouchers().take_over(tenant, state, holder, lease_end(now()))
    except StaleWrite:
        return None
    batch = repos.vouchers().batch(tenant, state.exporting)
    if batch is None:
        raise LookupError(f"the export of {tenant} is held for batch {state.exporting}, which does not exist")
    logger().warning("resuming a voucher batch whose creation stopped", extra={"batch_id": batch.id})
    count("VoucherBatchesResumed")
    return export(batch, holder)


def export(batch: VoucherBatch, holder: str) -> VoucherBatch:
    """Read the batch's range once, writing both files as the items stream in, store the
    files and mark the batch ready (if `holder` still holds the export)."""
    with tempfile.TemporaryDirectory(prefix="huixiang-vouchers-") as directory:
        out = files.VoucherFiles(directory, batch)
        try:
            for item in repos.vouchers().exported(batch.tenant, batch.since, batch.until):
                out.add(item)
        finally:
            out.close()
        if out.debits != out.credits:
            raise AssertionError(f"batch {batch.id} does not balance: {out.debits} ≠ {out.credits}")
        prefix = voucher_prefix(batch.tenant, batch.id)
        artifacts = {"csv": f"{prefix}.csv", "xlsx": f"{prefix}.xlsx"}
        objects = repos.objects()
        objects.upload_artifact(artifacts["csv"], out.csv_path, files.CSV)
        objects.upload_artifact(artifacts["xlsx"], out.xlsx_path, files.XLSX)
    done = batch.ready(out.campaigns, out.debits, artifacts)
    try:
        repos.vouchers().finish(done, holder)
    except StaleWrite as lost:
        # too slow: the lease ran out and another creation finished the same range (same files)
        finished = repos.vouchers().batch(batch.tenant, batch.id)
        if finished is None or finished.export != "ready":
            raise Conflict(
                "the batch is being finished by another request; read it in a moment", code="conflict"
            ) from lost
        return finished
    count("VoucherBatches")
    return done


def _is_ulid(value: str) -> bool:
    return len(value) == 26 and value.isascii() and value.isalnum()


def get_batch(principal: Principal, batch_id: str) -> VoucherBatch:
    access.require(principal, "voucher.read")
    batch = repos.vouchers().batch(principal.tenant, batch_id) if _is_ulid(batch_id) else None
    if batch is None:
        raise NotFound(f"voucher batch {batch_id} does not exist")
    return batch


def list_batches(principal: Principal, page: PageRequest) -> Page[VoucherBatch]:
    """The company's batches, newest first."""
    access.require(principal, "voucher.read")
    return repos.vouchers().batches(principal.tenant, page)


def links(batch: VoucherBatch) -> dict[str, str | None]:
    """Short-lived download links of a batch's files (none until they are ready)."""
    if batch.export != "ready":
        return {"csv_url": None, "xlsx_url": None}
    objects = repos.objects()
    return {
        f"{kind}_url": objects.artifact_url(key, files.filename(batch.id, kind))
        for kind, key in sorted(batch.artifacts.items())
    }


# -- posting the ERP's voucher number ----------------------------------------------------------------
def post_batch(principal: Principal, batch_id: str, voucher_no: str) -> VoucherBatch:
    """Record the voucher number the ERP gave a batch; the campaigns follow (the vouchers
    stream). The same number again changes nothing; another number is 409 `already_posted`."""
    access.require(principal, "voucher.post")

    def attempt() -> VoucherBatch:
        batch = get_batch(principal, batch_id)
        if not check_postable(batch, voucher_no):
            return batch
        repos.vouchers().post(batch.tenant, batch.id, voucher_no, principal.person, now_iso())
        posted = repos.vouchers().batch(batch.tenant, batch.id)
        assert posted is not None  # just written
        return posted

    return retry_on_stale(attempt)


def voucher_item_changed(old_image: Mapping[str, Any] | None, new_image: Mapping[str, Any] | None) -> str | None:
    """The vouchers stream saw an item change (images as the stream carries them). A batch
    that has just been given its voucher number is posted to its campaigns; anything else
    (export items, the export state, a batch's files or progress) changes nothing (None)."""
    new = images.voucher_batch(new_image)
    if new is None or new.voucher_no is None:
        return None
    old = images.voucher_batch(old_image)
    if old is not None and old.voucher_no == new.voucher_no:
        return None  # the posting's own progress
    outcome = post_to_campaigns(new.tenant, new.id)
    logger().info("voucher number posted", extra={"batch_id": new.id, "outcome": outcome})
    return outcome


def post_to_campaigns(tenant: str, batch_id: str) -> str:
    """Write the batch's voucher number on each of its campaigns, a page at a time (its
    campaigns in parallel), recording after each page how far it got: a retry resumes there,
    and a campaign that already carries the number is left as it is (no second audit entry)."""
    batch = repos.vouchers().batch(tenant, batch_id)
    if batch is None or batch.voucher_no is None:
        raise LookupError(f"voucher batch {batch_id} of {tenant} has no voucher number to post")
    if batch.posting == "done":
        return "already_posted"
    posted, page = batch.campaigns_posted, []
    with ThreadPoolExecutor(max_workers=POSTING_THREADS) as pool:
        for item in repos.vouchers().exported(tenant, batch.since, batch.until, after=batch.posting_cursor):
            page.append(item)
            if len(page) == POSTING_PAGE:
                posted += _post_page(pool, page, batch)
                repos.vouchers().record_posting(tenant, batch_id, page[-1].key, posted, done=False)
                page = []
        posted += _post_page(pool, page, batch)
    repos.vouchers().record_posting(tenant, batch_id, None, posted, done=True)
    count("VoucherCampaignsPosted", posted - batch.campaigns_posted)
    return "posted"


def _post_page(pool: ThreadPoolExecutor, page: list[ExportItem], batch: VoucherBatch) -> int:
    """Post a page's campaigns; the first failure (after all of them ran) fails the page."""
    outcomes = [pool.submit(post_campaign, item.campaign_id, batch) for item in page]
    failures = [f.exception() for f in outcomes if f.exception() is not None]
    if failures:
        raise failures[0]  # type: ignore[misc]  # an exception, not None (filtered above)
    return len(page)


def post_campaign(campaign_id: str, batch: VoucherBatch) -> str:
    """The batch's voucher number on one campaign with its `voucher_posted` entry, once."""
    number = batch.voucher_no
    if number is None:
        raise ValueError(f"voucher batch {batch.id} has no voucher number")
    by = batch.posted_by

    def attempt() -> str:
        campaign = repos.campaigns().get(campaign_id)
        if campaign is None:
            raise LookupError(f"voucher batch {batch.id} holds unknown campaign {campaign_id}")
        if campaign.voucher_no == number:
            return "already_posted"
        if campaign.voucher_no is not None:
            raise ValueError(f"campaign {campaign_id} carries voucher {campaign.voucher_no}, not {number}")
        campaign.voucher_no, campaign.updated_at = number, now_iso()
        who = actor_of(by.id, by.name, "finance") if by else history.actor(None)
        with repos.unit_of_work() as uow:
            history.save(
                uow, campaign, who, [("voucher_posted", {"voucher_no": [None, number], "batch_id": [None, batch.id]})]
            )
        return "posted"

    return retry_on_stale(attempt)
