"""Applications: create, edit, submit, approve, reject, cancel, read and list campaigns.

Every change is one unit of work: the campaign (conditional on the version read), its audit
entries, and what it does to budgets, together or not at all.
"""

from __future__ import annotations

from typing import Any

from chalicelib.clock import now_iso
from chalicelib.config import settings
from chalicelib.dal import repos
from chalicelib.dal.errors import BudgetShort
from chalicelib.domain import access
from chalicelib.domain.access import Principal
from chalicelib.domain.approval import Approval, Authority, take_step
from chalicelib.domain.audit import Actor
from chalicelib.domain.campaign import (
    Campaign,
    application_values,
    audit_fields,
    check_cancellable,
    check_location,
    check_plan,
    edited_values,
    settlement_gate,
)
from chalicelib.domain.errors import Conflict
from chalicelib.domain.ids import new_id
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.domain.search import CampaignFilters
from chalicelib.logic import approvals, budgets, history, invoices, retry_on_stale
from chalicelib.logic.history import Event
from chalicelib.logic.rules import apply_rules_in_force
from chalicelib.logic.visibility import authority, awaited_approval, list_visible, load_visible


def _save(campaign: Campaign, who: Actor, events: list[Event]) -> Campaign:
    """The campaign and its audit entries, in one unit of work."""
    with repos.unit_of_work() as uow:
        history.save(uow, campaign, who, events)
    return campaign


def create_campaign(principal: Principal, data: dict[str, Any]) -> Campaign:
    access.require(principal, "campaign.create")
    check_plan(data["start_date"], data["end_date"], data["category"], settings().categories)
    check_location(data.get("location"))
    now = now_iso()
    campaign = Campaign(
        id=new_id(),
        org=principal.org,
        owner_id=principal.sub,
        owner_name=principal.name,
        owner_email=principal.email or None,
        created_at=now,
        updated_at=now,
        **application_values(data),
    )
    apply_rules_in_force(campaign)
    with repos.unit_of_work() as uow:
        history.record(uow, campaign, history.actor(principal), [("created", history.changes({}, campaign))], now)
        uow.campaigns.insert(campaign)
    return campaign


def _own_draft(principal: Principal, campaign_id: str, verb: str, *, code: str) -> Campaign:
    """The caller's own campaign, still a draft (only its owner edits or submits it)."""
    campaign = load_visible(principal, campaign_id)
    access.require_owner(principal, campaign.owner_id)
    if campaign.status != "draft":
        raise Conflict(f"only a draft can be {verb} (this one is {campaign.status})", code=code)
    return campaign


def update_campaign(principal: Principal, campaign_id: str, changes: dict[str, Any]) -> Campaign:
    access.require(principal, "campaign.edit")

    def attempt() -> Campaign:
        campaign = _own_draft(principal, campaign_id, "edited", code="not_editable")
        before = audit_fields(campaign)
        for name, value in edited_values(changes).items():
            setattr(campaign, name, value)
        if "location" in changes:
            check_location(changes["location"])
        check_plan(campaign.start_date, campaign.end_date, campaign.category, settings().categories)
        apply_rules_in_force(campaign)
        campaign.updated_at = now_iso()
        edited = history.changes(before, campaign)
        return _save(campaign, history.actor(principal), [("edited", edited)] if edited else [])

    return retry_on_stale(attempt)


def submit_campaign(principal: Principal, campaign_id: str) -> Campaign:
    """Submit a draft: its approval chain is fixed now, from the policy in force."""
    access.require(principal, "campaign.submit")

    def attempt() -> Campaign:
        campaign = _own_draft(principal, campaign_id, "submitted", code="invalid_state")
        before = audit_fields(campaign)
        campaign.status = "submitted"
        campaign.approval = approvals.chain_for(principal, campaign)
        campaign.submitted_at = campaign.updated_at = now_iso()
        chain = {"approval_chain": [None, [f"{s.level}:{s.org}" for s in campaign.approval.chain]]}
        return _save(
            campaign, history.actor(principal), [("submitted", {**history.changes(before, campaign), **chain})]
        )

    return retry_on_stale(attempt)


def _to_decide(principal: Principal, campaign_id: str, acting_for: str | None) -> tuple[Campaign, Approval, Authority]:
    """The submitted campaign the caller is about to decide (409 unless submitted), the approval
    it waits on, and in whose right the caller decides it."""
    campaign = load_visible(principal, campaign_id)
    approval = awaited_approval(campaign)
    return campaign, approval, authority(principal, campaign, acting_for)


def approve_campaign(
    principal: Principal, campaign_id: str, approved_amount: int, comment: str | None, acting_for: str | None = None
) -> Campaign:
    """Take the next step of the campaign's chain. The last step approves it, and reserves the
    approved amount from the covering budget in the same unit of work (409 budget_exceeded
    with `available` when short: the campaign stays submitted)."""
    access.require(principal, "campaign.approve")

    def attempt() -> Campaign:
        campaign, awaited, right = _to_decide(principal, campaign_id, acting_for)
        now = now_iso()
        before = audit_fields(campaign)
        by = principal.person
        approval = take_step(awaited, right, by, approved_amount, campaign.requested_amount, now, comment)
        campaign.approval = approval
        step = approval.steps[-1]
        events: list[Event] = [("approval_step", {"level": [None, step.level], "amount": [None, step.amount]})]
        campaign.updated_at = now
        who = history.actor(principal, right.acting_for)
        if not approval.complete:
            return _save(campaign, who, events)
        campaign.status = "approved"
        campaign.approved_amount = approved_amount
        campaign.decided_by, campaign.decided_at, campaign.decision_comment = principal.sub, now, comment
        apply_rules_in_force(campaign)  # the requirement and the gate as the rules stand now
        try:
            with repos.unit_of_work() as uow:
                reserved = budgets.reserve(uow, campaign, by, now)
                events += [("approved", history.changes(before, campaign)), *budgets.audit_events(reserved)]
                history.save(uow, campaign, who, events, now)
        except BudgetShort as short:
            raise budgets.explain_short(short) from None
        return campaign

    return retry_on_stale(attempt)


def reject_campaign(principal: Principal, campaign_id: str, comment: str, acting_for: str | None = None) -> Campaign:
    access.require(principal, "campaign.reject")

    def attempt() -> Campaign:
        campaign, _, right = _to_decide(principal, campaign_id, acting_for)
        now = now_iso()
        before = audit_fields(campaign)
        campaign.status = "rejected"
        campaign.decided_by, campaign.decided_at, campaign.decision_comment = principal.sub, now, comment
        campaign.updated_at = now
        return _save(
            campaign,
            history.actor(principal, right.acting_for),
            [("rejected", {**history.changes(before, campaign), "comment": [None, comment]})],
        )

    return retry_on_stale(attempt)


def cancel_campaign(principal: Principal, campaign_id: str, reason: str) -> Campaign:
    """Withdraw (the owner) or cancel (an approver over it) a campaign not yet reimbursed. It
    leaves every worklist and every figure, and gives back all it reserved and every invoice it
    claimed, in one write."""
    access.require(principal, "campaign.cancel")

    def attempt() -> Campaign:
        campaign = load_visible(principal, campaign_id)
        access.require_canceller(principal, campaign.org, campaign.owner_id)
        check_cancellable(campaign)
        now = now_iso()
        before = audit_fields(campaign)
        campaign.status = "cancelled"
        campaign.cancelled_at, campaign.cancelled_by, campaign.cancel_reason = now, principal.sub, reason
        campaign.reimbursement_status = settlement_gate(campaign)
        campaign.updated_at = now
        with repos.unit_of_work() as uow:
            released = budgets.release(uow, campaign, principal.person, now)
            events: list[Event] = [("cancelled", history.changes(before, campaign))]
            events += [*budgets.audit_events(released), *invoices.release_held(uow, campaign)]
            history.save(uow, campaign, history.actor(principal), events, now)
        return campaign

    return retry_on_stale(attempt)


def list_campaigns(principal: Principal, f: CampaignFilters, page: PageRequest) -> Page[Campaign]:
    """A scoped page of campaigns; a filter outside the caller's scope is a 403."""
    access.require(principal, "campaign.list")
    return list_visible(principal, f, page)


def categories(principal: Principal) -> list[str]:
    access.require(principal, "category.list")
    return list(settings().categories)
