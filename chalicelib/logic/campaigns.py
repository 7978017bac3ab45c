"""Applications: create, edit, submit, approve, reject, read and list campaigns."""
from __future__ import annotations

from chalicelib.clock import now_iso
from chalicelib.config import settings
from chalicelib.dal import repos
from chalicelib.domain import access
from chalicelib.domain.access import Principal
from chalicelib.domain.campaign import Campaign, check_approval, check_plan
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.ids import new_id
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.domain.search import CampaignFilters
from chalicelib.logic import retry_on_stale
from chalicelib.logic.rules import apply_rules_in_force


def load_visible(principal: Principal, campaign_id: str) -> Campaign:
    """The campaign if the caller may see it: 404 when unknown, 403 when outside their scope."""
    campaign = repos.campaigns().get(campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} does not exist")
    access.require_scope(principal, campaign.org, campaign.owner_id)
    return campaign


def create_campaign(principal: Principal, data: dict) -> Campaign:
    access.require(principal, "campaign.create")
    check_plan(data["start_date"], data["end_date"], data["category"], settings().categories)
    now = now_iso()
    plan = data["plan"]
    campaign = Campaign(
        id=new_id(), org=principal.org, owner_id=principal.sub, owner_name=principal.name,
        owner_email=principal.email or None,
        title=data["title"], category=data["category"],
        customer_id=data["customer"]["id"], customer_name=data["customer"].get("name") or "",
        start_date=data["start_date"], end_date=data["end_date"], location=data.get("location"),
        expected_spend=plan["expected_spend"], expected_sales=plan["expected_sales"],
        expected_units=plan.get("expected_units"), requested_amount=data["requested_amount"],
        created_at=now, updated_at=now,
    )
    apply_rules_in_force(campaign)
    return repos.campaigns().insert(campaign)


def update_campaign(principal: Principal, campaign_id: str, changes: dict) -> Campaign:
    access.require(principal, "campaign.edit")

    def attempt() -> Campaign:
        campaign = load_visible(principal, campaign_id)
        access.require_owner(principal, campaign.owner_id)
        if campaign.status != "draft":
            raise Conflict(f"only a draft can be edited (this one is {campaign.status})", code="not_editable")
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
        return repos.campaigns().save(campaign)

    return retry_on_stale(attempt)


def submit_campaign(principal: Principal, campaign_id: str) -> Campaign:
    access.require(principal, "campaign.submit")

    def attempt() -> Campaign:
        campaign = load_visible(principal, campaign_id)
        access.require_owner(principal, campaign.owner_id)
        if campaign.status != "draft":
            raise Conflict(f"only a draft can be submitted (this one is {campaign.status})", code="invalid_state")
        campaign.status = "submitted"
        campaign.updated_at = now_iso()
        return repos.campaigns().save(campaign)

    return retry_on_stale(attempt)


def approve_campaign(principal: Principal, campaign_id: str, approved_amount: int, comment: str | None) -> Campaign:
    access.require(principal, "campaign.approve")

    def attempt() -> Campaign:
        campaign = load_visible(principal, campaign_id)
        access.require_approver(principal, campaign.org, campaign.owner_id)
        check_approval(campaign, approved_amount)
        now = now_iso()
        campaign.status = "approved"
        campaign.approved_amount = approved_amount
        campaign.decided_by, campaign.decided_at, campaign.decision_comment = principal.sub, now, comment
        apply_rules_in_force(campaign)          # the requirement and the gate as the rules stand now
        campaign.updated_at = now
        return repos.campaigns().save(campaign)

    return retry_on_stale(attempt)


def reject_campaign(principal: Principal, campaign_id: str, comment: str) -> Campaign:
    access.require(principal, "campaign.reject")

    def attempt() -> Campaign:
        campaign = load_visible(principal, campaign_id)
        access.require_approver(principal, campaign.org, campaign.owner_id)
        if campaign.status != "submitted":
            raise Conflict(f"only submitted applications can be decided (this one is {campaign.status})",
                           code="invalid_state")
        now = now_iso()
        campaign.status = "rejected"
        campaign.decided_by, campaign.decided_at, campaign.decision_comment = principal.sub, now, comment
        campaign.updated_at = now
        return repos.campaigns().save(campaign)

    return retry_on_stale(attempt)


def list_campaigns(principal: Principal, f: CampaignFilters, page: PageRequest) -> Page[Campaign]:
    """A scoped page of campaigns; a filter outside the caller's scope is a 403."""
    access.require(principal, "campaign.list")
    return repos.campaigns().list(access.list_scope(principal, f.org, f.owner), f, page)


def categories(principal: Principal) -> list[str]:
    access.require(principal, "category.list")
    return list(settings().categories)
