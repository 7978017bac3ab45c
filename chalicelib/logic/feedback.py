"""Feedback reports (B, C) and the worklists D and E."""
from __future__ import annotations

from dataclasses import dataclass, replace

from chalicelib.clock import business_day_start_utc, business_today, next_day, now_iso, previous_day
from chalicelib.dal import repos
from chalicelib.dal.campaigns import q
from chalicelib.dal.models import CampaignModel as M
from chalicelib.dal.paging import Page
from chalicelib.domain import access
from chalicelib.domain import org as orgs
from chalicelib.domain.access import Principal
from chalicelib.domain.campaign import Campaign, check_feedback_editable, feedback_kind
from chalicelib.domain.feedback import FeedbackReport, check_submittable
from chalicelib.domain.errors import InvalidInput
from chalicelib.logic import retry_on_stale
from chalicelib.logic.campaigns import load_visible

EDITABLE = ("actual_spend", "actual_sales", "actual_units", "effect_rating", "reflections")


def save_draft(principal: Principal, campaign_id: str, values: dict) -> tuple[Campaign, FeedbackReport]:
    """PUT the feedback draft: the rep keeps maintaining it until the campaign is reimbursed."""
    access.require(principal, "feedback.write")
    campaign = load_visible(principal, campaign_id)
    access.require_owner(principal, campaign.owner_id)
    check_feedback_editable(campaign)
    now = now_iso()
    draft = repos.feedback().draft(campaign_id)
    if draft is None:
        draft = FeedbackReport(campaign_id=campaign_id, author_id=principal.sub, author_name=principal.name,
                               status="draft", created_at=now, updated_at=now)
    for name in EDITABLE:
        setattr(draft, name, values.get(name))
    draft.updated_at = now
    draft.author_id, draft.author_name = principal.sub, principal.name
    return campaign, repos.feedback().save_draft(draft)


def ready_photo_count(campaign_id: str) -> int:
    """Photos the evidence checker accepted (pending and rejected ones do not count)."""
    from chalicelib.logic.evidence import ready_photo_count as count_ready
    return count_ready(campaign_id)


def submit_feedback(principal: Principal, campaign_id: str, values: dict | None) -> tuple[Campaign, FeedbackReport]:
    """Submit the draft (merged with `values`, if given) as the next revision.

    The revision insert and the campaign's new feedback state are one transaction; the stream
    of the feedback table then unlocks settlement.
    """
    access.require(principal, "feedback.write")

    def attempt() -> tuple[Campaign, FeedbackReport]:
        campaign = load_visible(principal, campaign_id)
        access.require_owner(principal, campaign.owner_id)
        check_feedback_editable(campaign)
        draft = repos.feedback().draft(campaign_id)
        now = now_iso()
        base = draft or FeedbackReport(campaign_id=campaign_id, author_id=principal.sub,
                                       author_name=principal.name, status="draft", created_at=now, updated_at=now)
        report = replace(base)
        for name in EDITABLE:
            if values and name in values:
                setattr(report, name, values[name])
        min_photos = campaign.rule.min_photos if campaign.rule else 0
        check_submittable(report, ready_photo_count(campaign_id), min_photos)
        revision = campaign.feedback_revision + 1
        report.status, report.revision, report.kind = "submitted", revision, feedback_kind(campaign)
        report.submitted_at = report.updated_at = now
        report.author_id, report.author_name = principal.sub, principal.name
        campaign.feedback_revision = revision
        campaign.feedback_kind = report.kind
        campaign.feedback_submitted_at = now
        campaign.actual_spend, campaign.actual_sales = report.actual_spend, report.actual_sales
        campaign.actual_units = report.actual_units
        campaign.updated_at = now
        repos.feedback().record_submission(campaign, report, consumed_draft=draft is not None)
        return campaign, report

    return retry_on_stale(attempt)


def get_feedback(principal: Principal, campaign_id: str) -> tuple[Campaign, FeedbackReport | None, FeedbackReport | None]:
    access.require(principal, "feedback.read")
    campaign = load_visible(principal, campaign_id)
    return campaign, repos.feedback().latest_submitted(campaign_id), repos.feedback().draft(campaign_id)


def feedback_revisions(principal: Principal, campaign_id: str, limit: int, cursor: str | None):
    access.require(principal, "feedback.read")
    campaign = load_visible(principal, campaign_id)
    return campaign, repos.feedback().revisions(campaign_id, limit, cursor)


def my_feedback_requests(principal: Principal, limit: int, cursor: str | None) -> Page[Campaign]:
    """B: my approved campaigns whose required feedback is pending or overdue, soonest due first."""
    access.require(principal, "feedback.my_requests")
    query = q("fbq_owner", f"awaiting|{principal.sub}", newest_first=False, fp_parts=("mine",))
    return repos.campaigns().query(query, limit, cursor)


@dataclass(frozen=True)
class WorklistFilters:
    org: str | None = None
    owner: str | None = None
    category: str | None = None
    customer_id: str | None = None
    kind: str | None = None             # D
    submitted_from: str | None = None   # D, date or datetime
    submitted_to: str | None = None
    status: str | None = None           # E: pending | overdue | submitted
    due_before: str | None = None       # E, inclusive
    due_after: str | None = None        # E, inclusive


def _level_index(prefix: str, scope: str) -> tuple[str, str, object | None]:
    """The org-level index for a scope; deeper scopes use the province level plus a filter."""
    level = min(orgs.depth(scope), orgs.INDEXED_LEVELS)
    node = orgs.ancestor(scope, level)
    narrower = M.org_sk.startswith(orgs.subtree_prefix(scope)) if orgs.depth(scope) > level else None
    return f"{prefix}_l{level}", node, narrower


def search_feedback(principal: Principal, f: WorklistFilters, limit: int, cursor: str | None) -> Page[Campaign]:
    """D: submitted feedback (latest revision of each campaign), newest first."""
    access.require(principal, "feedback.search")
    scope, owner = access.list_scope(principal, f.org, f.owner)
    # dates are business days in Asia/Shanghai; submission times are UTC instants
    lo = business_day_start_utc(f.submitted_from) if f.submitted_from else "0"
    hi = business_day_start_utc(next_day(f.submitted_to)) if f.submitted_to else "~"
    submitted = M.fbd_sk.between(lo, hi) if (f.submitted_from or f.submitted_to) else None
    filters = [M.category == f.category if f.category else None,
               M.customer_id == f.customer_id if f.customer_id else None,
               M.feedback_kind == f.kind if f.kind else None]
    fp = ("D", scope, owner, f)
    if owner:
        query = q("fbd_owner", owner, range_condition=submitted,
                  filters=(M.org_sk.startswith(orgs.subtree_prefix(scope)), *filters), fp_parts=fp)
    else:
        index, node, narrower = _level_index("fbd", scope)
        query = q(index, node, range_condition=submitted, filters=(narrower, *filters), fp_parts=fp)
    return repos.campaigns().query(query, limit, cursor)


def search_feedback_requests(principal: Principal, f: WorklistFilters, limit: int,
                             cursor: str | None) -> Page[Campaign]:
    """E: campaigns whose feedback is required, by due date; pending and overdue unless asked."""
    access.require(principal, "feedback_request.search")
    scope, owner = access.list_scope(principal, f.org, f.owner)
    today = business_today()
    state = "submitted" if f.status == "submitted" else "awaiting"
    lo, hi = f.due_after or "0000-00-00", f.due_before or "9999-12-31"
    if f.status == "pending":
        lo = max(lo, today)
    elif f.status == "overdue":
        hi = min(hi, previous_day(today))
    if lo > hi:
        return Page(items=[])
    due = M.fbq_sk.between(lo, hi + "#~")
    filters = [M.category == f.category if f.category else None,
               M.customer_id == f.customer_id if f.customer_id else None]
    fp = ("E", scope, owner, f, today)
    if owner:
        query = q("fbq_owner", f"{state}|{owner}", range_condition=due, newest_first=False,
                  filters=(M.org_sk.startswith(orgs.subtree_prefix(scope)), *filters), fp_parts=fp)
    else:
        index, node, narrower = _level_index("fbq", scope)
        query = q(index, f"{state}|{node}", range_condition=due, newest_first=False,
                  filters=(narrower, *filters), fp_parts=fp)
    return repos.campaigns().query(query, limit, cursor)


def check_worklist_dates(f: WorklistFilters) -> None:
    if f.due_after and f.due_before and f.due_after > f.due_before:
        raise InvalidInput.field("due_after", "must be on or before due_before")
