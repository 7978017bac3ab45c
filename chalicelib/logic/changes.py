"""The changes feed (GET /me/changes): written by the stream functions, one business fact at a
time, to every audience that may see it; read one partition a page.

Writing (called per stream record, beside the other work of the same stream function):

* `campaign_item_changed` (campaigns stream): the campaign as this version shows it; `remove`
  once it is cancelled; nothing for a change nobody can see (its audit head moving alone);
* `feedback_item_changed` (feedback stream): the campaign's feedback, submitted and draft, as
  they are when the record is handled;
* `evidence_item_changed` (evidence stream): an attachment as the record shows it, `remove`
  once deleted; a visit;
* invoices, from the campaigns stream too (a claim, a release and a settlement each travel in
  one transaction with the campaign listing the invoices): claimed and settled as upserts,
  released as removes; `invoice_changed` records one from elsewhere.

Every change of a cancelled campaign's evidence or feedback is a `remove`: the campaign has left
its readers' sight with everything it holds. Facts make each change once per partition however
often a record is delivered (domain/changes.py); a record whose campaign is unknown fails, to be
retried or parked, never dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from chalicelib import clock
from chalicelib.dal import images, repos
from chalicelib.dal.paging import open_position, sign_position
from chalicelib.domain import access
from chalicelib.domain.access import Principal
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.changes import (
    RETENTION_DAYS,
    RETENTION_SECONDS,
    Change,
    FeedEntry,
    audience_of,
    audiences,
    cursor_binding,
)
from chalicelib.domain.errors import Gone
from chalicelib.domain.evidence import Attachment
from chalicelib.domain.feedback import FeedbackReport
from chalicelib.domain.pages import PageRequest
from chalicelib.domain.visits import Visit

Image = Mapping[str, Any]


# -- writing -----------------------------------------------------------------------------------------
def record(campaign: Campaign, change: Change) -> int:
    """Write the change to every audience of its campaign; how many recorded it now (0: every
    partition had its fact already, a redelivery)."""
    return sum(1 for a in audiences(campaign.org, campaign.owner_id) if repos.changes().record(a, change))


def _outcome(recorded: int) -> str:
    return "recorded" if recorded else "duplicate"


def _alike(old: Campaign, new: Campaign) -> bool:
    """Nothing a reader sees changed: only the audit chain's head (and so the version) moved,
    as when evidence or a check-in is recorded in the campaign's trail."""

    def seen(c: Campaign) -> Campaign:
        return replace(c, audit_seq=0, audit_head=None, version=None)

    return seen(old) == seen(new)


def campaign_item_changed(old_image: Image | None, new_image: Image | None) -> str:
    """A campaigns-stream record. Fact: the campaign's version (every write moves it). The
    invoices it claimed, released or settled in that write are changes of their own."""
    old, new = images.campaign(old_image), images.campaign(new_image)
    current = new or old
    if current is None:
        return "ignored"
    if new is not None:
        _invoices_changed(old, new)
    fact = f"campaign|{current.id}|v{current.version}"
    if new is None or new.status == "cancelled":
        if old is not None and old.status == "cancelled":
            return "unchanged"  # removed already
        return _outcome(record(current, Change("campaign", current.id, current.id, "remove", fact + "|gone")))
    if old is not None and _alike(old, new):
        return "unchanged"
    assert new_image is not None  # new is read from it
    return _outcome(record(new, Change("campaign", new.id, new.id, "upsert", fact, {"campaign": dict(new_image)})))


def _campaign_of(campaign_id: str, what: str) -> Campaign:
    campaign = repos.campaigns().get(campaign_id)
    if campaign is None:
        raise LookupError(f"{what} names unknown campaign {campaign_id}")
    return campaign


def feedback_item_changed(old_image: Image | None, new_image: Image | None, sequence: str) -> str:
    """A feedback-stream record: the campaign's feedback as it stands now (what
    GET /campaigns/{id}/feedback shows). Fact: a revision's number (revisions are inserted
    once), else the record's sequence number (a draft has no version of its own)."""
    report = images.feedback_report(new_image or old_image)
    if report is None:
        return "ignored"
    campaign = _campaign_of(report.campaign_id, "feedback")
    submitted_now = new_image is not None and old_image is None and report.status == "submitted"
    which = f"rev#{report.revision}" if submitted_now else f"draft|{sequence}"
    fact = f"feedback|{campaign.id}|{which}"
    if campaign.status == "cancelled":
        return _outcome(record(campaign, Change("feedback", campaign.id, campaign.id, "remove", fact)))
    state: dict[str, Image] = {"campaign": images.campaign_image(campaign)}
    latest, draft = repos.feedback().latest_submitted(campaign.id), repos.feedback().draft(campaign.id)
    if latest is not None:
        state["submitted"] = images.feedback_image(latest)
    if draft is not None:
        state["draft"] = images.feedback_image(draft)
    return _outcome(record(campaign, Change("feedback", campaign.id, campaign.id, "upsert", fact, state)))


def evidence_item_changed(old_image: Image | None, new_image: Image | None, sequence: str) -> str:
    """An evidence-stream record: an attachment (as the record shows it; `remove` once deleted;
    fact: the record's sequence number) or a visit (inserted once; fact: its id). The table's
    duplicate-index entries are nobody's business."""
    image = new_image or old_image
    kind = images.evidence_kind(image) if image is not None else None
    if image is None or kind is None:
        return "ignored"
    if kind == "visit":
        v = images.visit(image)
        campaign = _campaign_of(v.campaign_id, f"visit {v.id}")
        op = "remove" if new_image is None or campaign.status == "cancelled" else "upsert"
        state = {"visit": dict(image)} if op == "upsert" else {}
        return _outcome(record(campaign, Change("visit", v.id, v.campaign_id, op, f"visit|{v.id}|{op}", state)))
    a = images.attachment(image)
    campaign = _campaign_of(a.campaign_id, f"attachment {a.id}")
    op = "remove" if new_image is None or campaign.status == "cancelled" else "upsert"
    state = {"attachment": dict(image)} if op == "upsert" else {}
    fact = f"attachment|{a.campaign_id}/{a.id}|{sequence}"
    return _outcome(record(campaign, Change("attachment", a.id, a.campaign_id, op, fact, state)))


def invoice_changed(campaign_id: str, invoice_id: str, fact: str, shown: Mapping[str, Any] | None) -> str:
    """Where an invoice change is recorded: an invoice claimed, released or settled (`shown`: the
    invoice as its route shows it; None when it left the campaign). Facts are the invoices'
    own (e.g. `invoice|<campaign id>|<invoice id>|claimed`)."""
    return _record_invoice(_campaign_of(campaign_id, f"invoice {invoice_id}"), invoice_id, fact, shown)


def _record_invoice(campaign: Campaign, invoice_id: str, fact: str, shown: Mapping[str, Any] | None) -> str:
    op = "remove" if shown is None or campaign.status == "cancelled" else "upsert"
    state = {"invoice": dict(shown)} if op == "upsert" and shown is not None else {}
    return _outcome(record(campaign, Change("invoice", invoice_id, campaign.id, op, fact, state)))


def _invoices_changed(old: Campaign | None, new: Campaign) -> None:
    """The invoices one campaign write claimed (upsert), released (remove: deleted, or the
    campaign cancelled) or settled (upsert, `status: settled`): a claim travels in one
    transaction with the campaign listing it, so the campaigns stream carries every invoice
    change. The invoice is shown as GET /campaigns/{id}/invoices shows it, read from the ledger
    now (one BatchGetItem, only when one was claimed or settled); one released since is left to
    the record that released it. Facts: the campaign, the invoice and what happened to it."""
    before = [r.id for r in old.invoices] if old is not None else []
    after = {r.id for r in new.invoices}
    for invoice_id in before:
        if invoice_id not in after:
            _record_invoice(new, invoice_id, f"invoice|{new.id}|{invoice_id}|released", None)
    settled = new.reimbursement_status == "reimbursed" and (old is None or old.reimbursement_status != "reimbursed")
    touched = [r.id for r in new.invoices if settled or r.id not in before]
    if not touched:
        return
    ledger = {i.id: i for i in repos.invoices().of_campaign(new)}
    for invoice_id in touched:
        invoice = ledger.get(invoice_id)
        if invoice is not None:
            what = "settled" if settled else "claimed"
            _record_invoice(new, invoice_id, f"invoice|{new.id}|{invoice_id}|{what}", invoice.as_dict())


# -- reading -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FeedItem:
    """One entry, its entity read back into the domain (what its route shows is made from it)."""

    entry: FeedEntry
    campaign: Campaign | None = None
    attachment: Attachment | None = None
    visit: Visit | None = None
    submitted: FeedbackReport | None = None
    draft: FeedbackReport | None = None
    invoice: Mapping[str, Any] | None = None


def _item(entry: FeedEntry) -> FeedItem:
    state = entry.change.images
    return FeedItem(
        entry=entry,
        campaign=images.campaign(state.get("campaign")),
        attachment=images.attachment(state["attachment"]) if "attachment" in state else None,
        visit=images.visit(state["visit"]) if "visit" in state else None,
        submitted=images.feedback_report(state.get("submitted")),
        draft=images.feedback_report(state.get("draft")),
        invoice=state.get("invoice"),
    )


def _epoch(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


POSITION = {"s", "t"}  # the last seq seen; when (epoch seconds) it was written, or read when none was


def my_changes(principal: Principal, page: PageRequest) -> tuple[list[FeedItem], str]:
    """A page of what changed in the caller's sight after their cursor (from the oldest change
    kept without one), and the cursor to ask with next: never null, and as good as the one given
    when nothing changed. A cursor older than the retention (7 days) is 410 `resync_required`:
    what followed it may be gone; so is one after which entries are missing."""
    access.require(principal, "changes.read")
    feed, binding = repos.changes(), cursor_binding(principal)
    key = feed.cursor_key()
    position = open_position(page.cursor, binding, key, POSITION)
    now = _epoch(clock.now_iso())
    if position is not None and now - position["t"] > RETENTION_SECONDS:
        raise Gone(
            f"the cursor is older than the {RETENTION_DAYS} days changes are kept: reload and start without a cursor",
            params={"retention_days": RETENTION_DAYS},
        )
    after = position["s"] if position is not None else 0
    entries = feed.after(audience_of(principal), after, page.limit)
    if after and entries and entries[0].seq != after + 1:
        raise Gone(
            "changes after this cursor are no longer kept: reload and start without a cursor",
            params={"retention_days": RETENTION_DAYS},
        )
    if entries:
        last = entries[-1]
        cursor = sign_position({"s": last.seq, "t": int(last.written)}, binding, key)
    else:
        cursor = sign_position({"s": after, "t": int(now)}, binding, key)
    return [_item(e) for e in entries], cursor
