"""Domain objects to the JSON shapes of API.md."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.clock import business_today
from chalicelib.domain.campaign import Campaign, application_view, days_overdue, feedback_status, pending_approval
from chalicelib.domain.feedback import FeedbackReport, FeedbackRule
from chalicelib.domain.figures import plan_vs_actual, ratio

if TYPE_CHECKING:  # for annotations only
    from chalicelib.domain.approval import Delegation
    from chalicelib.domain.budget import Budget, LedgerEntry
    from chalicelib.domain.evidence import Attachment
    from chalicelib.domain.invoices import Invoice
    from chalicelib.domain.visits import Visit
    from chalicelib.domain.vouchers import Accounting, VoucherBatch
    from chalicelib.domain.webhooks import Delivery, Webhook


def figures(c: Campaign, report: FeedbackReport | None = None) -> dict[str, Any]:
    src = report if report is not None else c
    return plan_vs_actual(
        c.expected_spend, c.expected_sales, c.expected_units, src.actual_spend, src.actual_sales, src.actual_units
    )


def campaign(c: Campaign, today: str | None = None) -> dict[str, Any]:
    """A campaign as API.md shows it: the application's fields at their paths (declared on the
    domain's Campaign), its plan's expected cost ratio, and where it stands."""
    today = today or business_today()
    rule = c.rule
    application = application_view(c)
    application["plan"]["expected_cost_ratio"] = ratio(c.expected_spend, c.expected_sales)
    application["location"] = location(c.location)
    return {
        "id": c.id,
        **_identity(c),
        **application,
        "approved_amount": c.approved_amount,
        "status": c.status,
        "decision": ({"by": c.decided_by, "at": c.decided_at, "comment": c.decision_comment} if c.decided_at else None),
        "feedback": {
            "required": rule is not None,
            "required_by": rule.scope if rule else None,
            "rule_id": rule.rule_id if rule else None,
            "due_date": c.feedback_due_date,
            "min_photos": rule.min_photos if rule else 0,
            "status": feedback_status(c, today),
            "days_overdue": days_overdue(c.feedback_due_date, today) if c.feedback_revision == 0 else 0,
            "kind": c.feedback_kind,
            "revision": c.feedback_revision,
            "submitted_at": c.feedback_submitted_at,
        },
        "reimbursement": {
            "status": c.reimbursement_status,
            "amount": c.reimbursed_amount,
            "proposed_amount": c.proposed_amount,
            "reimbursed_at": c.reimbursed_at,
            "reimbursed_by": c.reimbursed_by,
            "by": {"id": c.reimbursed_by, "name": c.reimbursed_by_name or ""} if c.reimbursed_by else None,
            "note": c.reimbursement_note,
            "invoice_total": c.invoice_total,
            "invoices": len(c.invoices),
            "voucher_no": c.voucher_no,
        },
        "plan_vs_actual": figures(c),
        "budget": c.budget.as_dict() if c.budget else None,
        "approval": approval(c),
        "cancellation": (
            {"at": c.cancelled_at, "by": c.cancelled_by, "reason": c.cancel_reason} if c.status == "cancelled" else None
        ),
        "submitted_at": c.submitted_at,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def location(loc: dict[str, Any] | None) -> dict[str, Any] | None:
    """{address, lat, lon}, each null when not given (an address alone is a location)."""
    return None if loc is None else {name: loc.get(name) for name in ("address", "lat", "lon")}


def approval(c: Campaign) -> dict[str, Any] | None:
    """{chain, steps, next}: the chain fixed at submit (none for a draft), the steps taken,
    and the step it waits for while submitted."""
    found = c.approval or pending_approval(c)
    return found.as_dict(c.status) if found else None


def feedback(report: FeedbackReport, c: Campaign, attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "campaign_id": report.campaign_id,
        "author": {"id": report.author_id, "name": report.author_name},
        "status": report.status,
        "kind": report.kind,
        "revision": report.revision,
        "actual_spend": report.actual_spend,
        "actual_sales": report.actual_sales,
        "actual_units": report.actual_units,
        "effect_rating": report.effect_rating,
        "reflections": report.reflections,
        "attachments": attachments or [],
        "submitted_at": report.submitted_at,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
        "plan_vs_actual": figures(c, report),
    }


def _identity(c: Campaign) -> dict[str, Any]:
    """What names a campaign in every view of it."""
    return {
        "title": c.title,
        "category": c.category,
        "customer": {"id": c.customer_id, "name": c.customer_name},
        "org": c.org,
        "owner": {"id": c.owner_id, "name": c.owner_name},
        "start_date": c.start_date,
        "end_date": c.end_date,
    }


def _summary(c: Campaign) -> dict[str, Any]:
    return {"campaign_id": c.id, **_identity(c)}


def submitted_feedback_row(c: Campaign) -> dict[str, Any]:
    """A row of worklist D: the campaign's latest submitted feedback with its figures."""
    return {
        **_summary(c),
        "kind": c.feedback_kind,
        "revision": c.feedback_revision,
        "submitted_at": c.feedback_submitted_at,
        "reimbursement_status": c.reimbursement_status,
        "plan_vs_actual": figures(c),
    }


def feedback_request_row(c: Campaign, today: str) -> dict[str, Any]:
    """A row of worklists B and E: a campaign whose feedback is required."""
    due = c.feedback_due_date
    return {
        **_summary(c),
        "due_date": due,
        "status": feedback_status(c, today),
        "days_overdue": days_overdue(due, today) if c.feedback_revision == 0 else 0,
        "required_by": c.rule.scope if c.rule else None,
        "min_photos": c.rule.min_photos if c.rule else 0,
        "reimbursement_status": c.reimbursement_status,
    }


def rule(r: FeedbackRule) -> dict[str, Any]:
    return {
        "id": r.id,
        "scope": r.scope,
        "campaign_id": r.campaign_id,
        "category": r.category,
        "due_days": r.due_days,
        "min_photos": r.min_photos,
        "created_by": r.created_by,
        "created_at": r.created_at,
    }


def page(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}


def attachment(a: Attachment, links: dict[str, Any]) -> dict[str, Any]:
    """An attachment as API.md shows it; links only for objects the checker accepted."""
    out: dict[str, Any] = {
        "id": a.id,
        "campaign_id": a.campaign_id,
        "filename": a.filename,
        "content_type": a.content_type,
        "size_bytes": a.size_bytes,
        "kind": a.kind,
        "status": a.status,
        "uploaded_by": a.uploaded_by,
        "created_at": a.created_at,
        "checked_at": a.checked_at,
        "download_url": links.get("download_url"),
        "thumbnail_url": links.get("thumbnail_url"),
        "sha256": a.sha256,
        "attestation": a.attestation,
        "attested": a.attested,
        "invoice_qr": a.invoice_qr if a.status == "ready" else None,
    }
    if a.status == "rejected":
        out["reason"] = a.reason
        out["reason_code"] = a.reason_code
        out["reason_params"] = a.reason_params or {}
    if a.kind == "photo" and a.status == "ready":
        out["taken_at"] = a.taken_at
        out["gps"] = a.gps
        out["integrity"] = {**(a.integrity or {}), "duplicate_of": a.duplicate_of}
    return out


def visit(v: Visit) -> dict[str, Any]:
    """A check-in as API.md shows it."""
    return {
        "id": v.id,
        "campaign_id": v.campaign_id,
        "at": v.at,
        "lat": v.lat,
        "lon": v.lon,
        "accuracy_m": v.accuracy_m,
        "distance_km": v.distance_km,
        "far_from_location": v.far_from_location,
        "within_campaign_dates": v.within_campaign_dates,
        "expires_at": v.expires_at,
    }


def invoice(i: Invoice) -> dict[str, Any]:
    return i.as_dict()


# -- money control ---------------------------------------------------------------------------
def budget(b: Budget) -> dict[str, Any]:
    return b.as_dict()


def ledger_entry(e: LedgerEntry, titles: dict[str, str] | None = None) -> dict[str, Any]:
    """An entry; one of a campaign the caller may see also names it (`campaign_title`)."""
    out = e.as_dict()
    if e.campaign_id and titles and e.campaign_id in titles:
        out["campaign_title"] = titles[e.campaign_id]
    return out


def delegation(d: Delegation) -> dict[str, Any]:
    out = d.as_dict()
    return {
        "to": out["to"],
        "from": out["from"],
        "until": out["until"],
        "delegator": {"id": out["delegator"]["id"], "name": out["delegator"]["name"]},
    }


# -- events out ------------------------------------------------------------------------------
def webhook(h: Webhook) -> dict[str, Any]:
    """A webhook as API.md shows it: never its secret (that is shown once, by the routes that
    make one); `signed` says whether deliveries carry a signature."""
    return {
        "id": h.id,
        "url": h.url,
        "events": list(h.events),
        "format": h.format,
        "org": h.org,
        "description": h.description,
        "signed": bool(h.secrets),
        "created_at": h.created_at,
        "created_by": h.created_by.as_dict(),
        "secret_rotated_at": h.rotated_at,
    }


def delivery(d: Delivery) -> dict[str, Any]:
    """A delivery and its attempts (the newest kept; `attempts` counts them all)."""
    return {
        "id": d.id,
        "webhook_id": d.webhook_id,
        "event_type": d.event_type,
        "status": d.status,
        "attempts": d.attempts,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "next_attempt_at": d.next_attempt_at if d.status == "pending" else None,
        "delivered_at": d.delivered_at,
        "created_at": d.created_at,
        "attempt_log": [a.as_dict() for a in d.log],
    }


# -- vouchers for the general ledger -------------------------------------------------------------
def accounting(a: Accounting | None) -> dict[str, Any]:
    """The company's accounts; before any `PUT /accounting`, every account null."""
    if a is None:
        return {"expense_account": None, "expense_accounts": {}, "payable_account": None, "by": None, "at": None}
    return a.as_dict()


def voucher_batch(b: VoucherBatch, links: dict[str, str | None]) -> dict[str, Any]:
    """A batch as API.md shows it; `export` says whether its files are made yet (`running`
    only while its creation runs or was cut short: a later creation finishes it)."""
    return {
        "id": b.id,
        "created_at": b.created_at,
        "by": b.by.as_dict(),
        "through": b.through,
        "campaigns": b.campaigns,
        "total": b.total,
        "status": b.status,
        "voucher_no": b.voucher_no,
        "artifacts": {"csv_url": links.get("csv_url"), "xlsx_url": links.get("xlsx_url")},
        "export": b.export,
        "settled_from": b.since or None,
        "settled_before": b.until,
        "accounting": {k: v for k, v in b.accounting.as_dict().items() if k not in ("by", "at")},
        "posted_at": b.posted_at,
        "posted_by": b.posted_by.as_dict() if b.posted_by else None,
        "posting": {"status": b.posting, "campaigns_posted": b.campaigns_posted} if b.voucher_no else None,
    }
