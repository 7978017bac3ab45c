"""Applications: create, edit, submit, approve, reject, cancel, read and list campaigns.

Every change is one unit of work: the campaign (conditional on the version read), its audit
entries, and what it does to budgets, together or not at all.
"""

from __future__ import annotations

from chalicelib.clock import now_iso
from chalicelib.config import settings
from chalicelib.dal import repos
from chalicelib.dal.errors import BudgetShort
from chalicelib.domain import access
from chalicelib.domain.access import Principal
from chalicelib.domain.approval import take_step
from chalicelib.domain.campaign import (
    Campaign,
    audit_fields,
    check_cancellable,
    check_plan,
    pending_approval,
    settlement_gate,
)
from chalicelib.domain.errors import Conflict, Forbidden, NotFound
from chalicelib.domain.ids import new_id
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.domain.search import CampaignFilters
from chalicelib.logic import approvals, budgets, history, retry_on_stale
from chalicelib.logic.rules import apply_rules_in_force


def load_visible(principal: Principal, campaign_id: str) -> Campaign:
    """The campaign if the caller may see it: 404 when unknown, 403 when outside their scope.
    A delegate also sees what waits for a step they may take for their delegator."""
    campaign = repos.campaigns().get(campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} does not exist")
    if access.in_scope(principal, campaign.org, campaign.owner_id):
        return campaign
    if (
        principal.role in access.DECIDING_ROLES
        and campaign.status == "submitted"
        and approvals.may_decide(principal, campaign)
    ):
        return campaign
    raise Forbidden("this campaign is outside your scope")


def _save(campaign: Campaign, who, events) -> Campaign:
    """The campaign and its audit entries, in one unit of work."""
    with repos.unit_of_work() as uow:
        history.save(uow, campaign, who, events)
    return campaign


def create_campaign(principal: Principal, data: dict) -> Campaign:
    access.require(principal, "campaign.create")
    check_plan(data["start_date"], data["end_date"], data["category"], settings().categories)
    now = now_iso()
    plan = data["plan"]
    campaign = Campaign(
        id=new_id(),
        org=principal.org,
        owner_id=principal.sub,
        owner_name=principal.name,
        owner_email=principal.email or None,
        title=data["title"],
        category=data["category"],
        customer_id=data["customer"]["id"],
        customer_name=data["customer"].get("name") or "",
        start_date=data["start_date"],
        end_date=data["end_date"],
        location=data.get("location"),
        expected_spend=plan["expected_spend"],
        expected_sales=plan["expected_sales"],
        expected_units=plan.get("expected_units"),
        requested_amount=data["requested_amount"],
        created_at=now,
        updated_at=now,
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


def update_campaign(principal: Principal, campaign_id: str, changes: dict) -> Campaign:
    access.require(principal, "campaign.edit")

    def attempt() -> Campaign:
        campaign = _own_draft(principal, campaign_id, "edited", code="not_editable")
        before = audit_fields(campaign)
        for name in ("title", "category", "start_date", "end_date", "requested_amount"):
            if name in changes:
                setattr(campaign, name, changes[name])
        if "location" in changes:
            campaign.location = changes["location"]
        if "customer" in changes:
            campaign.customer_id = changes["customer"]["id"]
            campaign.customer_name = changes["customer"].get("name") or ""
        for name, value in (changes.get("plan") or {}).items():
            setattr(campaign, name, value)
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


def _to_decide(principal: Principal, campaign_id: str, acting_for: str | None):
    """The submitted campaign the caller is about to decide, and in whose right they do."""
    campaign = load_visible(principal, campaign_id)
    return campaign, approvals.authority(principal, campaign, acting_for)  # 409 unless submitted


def approve_campaign(
    principal: Principal, campaign_id: str, approved_amount: int, comment: str | None, acting_for: str | None = None
) -> Campaign:
    """Take the next step of the campaign's chain. The last step approves it, and reserves the
    approved amount from the covering budget in the same unit of work (409 budget_exceeded
    with `available` when short: the campaign stays submitted)."""
    access.require(principal, "campaign.approve")

    def attempt() -> Campaign:
        campaign, authority = _to_decide(principal, campaign_id, acting_for)
        now = now_iso()
        before = audit_fields(campaign)
        by = principal.person
        campaign.approval = take_step(
            pending_approval(campaign), authority, by, approved_amount, campaign.requested_amount, now, comment
        )
        step = campaign.approval.steps[-1]
        events = [("approval_step", {"level": [None, step.level], "amount": [None, step.amount]})]
        campaign.updated_at = now
        who = history.actor(principal, authority.acting_for)
        if not campaign.approval.complete:
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
        campaign, authority = _to_decide(principal, campaign_id, acting_for)
        now = now_iso()
        before = audit_fields(campaign)
        campaign.status = "rejected"
        campaign.decided_by, campaign.decided_at, campaign.decision_comment = principal.sub, now, comment
        campaign.updated_at = now
        return _save(
            campaign,
            history.actor(principal, authority.acting_for),
            [("rejected", {**history.changes(before, campaign), "comment": [None, comment]})],
        )

    return retry_on_stale(attempt)


def cancel_campaign(principal: Principal, campaign_id: str, reason: str) -> Campaign:
    """Withdraw (the owner) or cancel (an approver over it) a campaign not yet reimbursed. It
    leaves every worklist and every figure, and gives back all it reserved, in one write."""
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
            events = [("cancelled", history.changes(before, campaign)), *budgets.audit_events(released)]
            history.save(uow, campaign, history.actor(principal), events, now)
        return campaign

    return retry_on_stale(attempt)


def warnings(campaign: Campaign) -> list[dict]:
    """What an approver should know before deciding: overlapping applications of the same
    customer and category (from submit on; they inform, never block). One index Query."""
    if campaign.status not in ("submitted", "approved"):
        return []  # a draft is not an application yet; a closed one warns nobody
    others = repos.campaigns().overlapping(campaign)
    if not others:
        return []
    return [
        {
            "code": "overlapping_campaign",
            "campaign_ids": sorted(c.id for c in others),
            "message": f"{len(others)} other application(s) for this customer and category overlap these dates",
        }
    ]


def list_campaigns(principal: Principal, f: CampaignFilters, page: PageRequest) -> Page[Campaign]:
    """A scoped page of campaigns; a filter outside the caller's scope is a 403."""
    access.require(principal, "campaign.list")
    return repos.campaigns().list(access.list_scope(principal, f.org, f.owner), f, page)


def categories(principal: Principal) -> list[str]:
    access.require(principal, "category.list")
    return list(settings().categories)
