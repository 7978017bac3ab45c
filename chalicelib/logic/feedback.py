"""Feedback reports (B, C) and the worklists D and E."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.clock import business_today, now_iso
from chalicelib.dal import repos
from chalicelib.domain import access
from chalicelib.domain.access import Principal
from chalicelib.domain.campaign import Campaign, audit_fields, check_ended, check_feedback_editable, feedback_kind
from chalicelib.domain.feedback import FeedbackReport, check_submittable
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.domain.search import FeedbackSearch, RequestSearch
from chalicelib.logic import history, retry_on_stale
from chalicelib.logic.evidence import ready_photo_count
from chalicelib.logic.rules import rules_in_force
from chalicelib.logic.visibility import load_visible

EDITABLE = ("actual_spend", "actual_sales", "actual_units", "effect_rating", "reflections")


def _new_draft(principal: Principal, campaign_id: str, now: str) -> FeedbackReport:
    return FeedbackReport(
        campaign_id=campaign_id,
        author_id=principal.sub,
        author_name=principal.name,
        status="draft",
        created_at=now,
        updated_at=now,
    )


def save_draft(principal: Principal, campaign_id: str, values: dict[str, Any]) -> tuple[Campaign, FeedbackReport]:
    """PUT the feedback draft: the rep keeps maintaining it until the campaign is reimbursed."""
    access.require(principal, "feedback.write")
    campaign = load_visible(principal, campaign_id)
    access.require_owner(principal, campaign.owner_id)
    check_feedback_editable(campaign)
    now = now_iso()
    draft = repos.feedback().draft(campaign_id) or _new_draft(principal, campaign_id, now)
    for name in EDITABLE:
        setattr(draft, name, values.get(name))
    draft.updated_at = now
    draft.author_id, draft.author_name = principal.sub, principal.name
    return campaign, repos.feedback().save_draft(draft)


def submit_feedback(
    principal: Principal, campaign_id: str, values: dict[str, Any] | None
) -> tuple[Campaign, FeedbackReport]:
    """Submit the draft (merged with `values`, if given) as the next revision: not before the
    campaign's last day (409 campaign_not_ended), since the figures are what happened.

    The revision, the campaign's new feedback state and the draft's removal are one unit of
    work; the feedback table's stream then unlocks settlement. The photos a rule asks for are
    those of the rule in force now, not of the campaign's stored copy of it.
    """
    access.require(principal, "feedback.write")

    def attempt() -> tuple[Campaign, FeedbackReport]:
        campaign = load_visible(principal, campaign_id)
        access.require_owner(principal, campaign.owner_id)
        check_feedback_editable(campaign)
        check_ended(campaign, business_today(), "submitting feedback")
        draft = repos.feedback().draft(campaign_id)
        now = now_iso()
        report = replace(draft) if draft is not None else _new_draft(principal, campaign_id, now)
        for name in EDITABLE:
            if values and name in values:
                setattr(report, name, values[name])
        _, rule = rules_in_force(campaign)
        check_submittable(report, ready_photo_count(campaign_id), rule.min_photos if rule else 0)
        before = audit_fields(campaign)
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
        figures = {
            "kind": [None, report.kind],
            "actual_spend": [None, report.actual_spend],
            "actual_sales": [None, report.actual_sales],
            "actual_units": [None, report.actual_units],
        }
        with repos.unit_of_work() as uow:
            uow.feedback.insert_revision(report)
            history.save(
                uow,
                campaign,
                history.actor(principal),
                [("feedback_submitted", {**history.changes(before, campaign), **figures})],
                now,
            )
            if draft is not None:
                uow.feedback.delete_draft(campaign_id)
        return campaign, report

    return retry_on_stale(attempt)


def get_feedback(
    principal: Principal, campaign_id: str
) -> tuple[Campaign, FeedbackReport | None, FeedbackReport | None]:
    access.require(principal, "feedback.read")
    campaign = load_visible(principal, campaign_id)
    return campaign, repos.feedback().latest_submitted(campaign_id), repos.feedback().draft(campaign_id)


def feedback_revisions(
    principal: Principal, campaign_id: str, page: PageRequest
) -> tuple[Campaign, Page[FeedbackReport]]:
    access.require(principal, "feedback.read")
    campaign = load_visible(principal, campaign_id)
    return campaign, repos.feedback().revisions(campaign_id, page)


def my_feedback_requests(principal: Principal, page: PageRequest) -> Page[Campaign]:
    """B: my approved campaigns whose required feedback is pending or overdue, soonest due first."""
    access.require(principal, "feedback.my_requests")
    return repos.campaigns().awaiting_feedback(principal.sub, page)


def search_feedback(principal: Principal, f: FeedbackSearch, page: PageRequest) -> Page[Campaign]:
    """D: submitted feedback (latest revision of each campaign), newest first."""
    access.require(principal, "feedback.search")
    return repos.campaigns().submitted_feedback(access.list_scope(principal, f.org, f.owner), f, page)


def search_feedback_requests(
    principal: Principal, f: RequestSearch, page: PageRequest, today: str | None = None
) -> Page[Campaign]:
    """E: campaigns whose feedback is required, by due date; pending and overdue unless asked."""
    access.require(principal, "feedback_request.search")
    f.check()
    return repos.campaigns().feedback_requests(access.list_scope(principal, f.org, f.owner), f, page, today)
