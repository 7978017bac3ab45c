"""Applications: create, edit, submit, approve, reject, read and list campaigns."""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.clock import now_iso
from chalicelib.config import settings
from chalicelib.dal import repos
from chalicelib.dal.campaigns import q
from chalicelib.dal.models import CampaignModel as M
from chalicelib.dal.paging import Page
from chalicelib.domain import access
from chalicelib.domain import org as orgs
from chalicelib.domain.access import Principal
from chalicelib.domain.campaign import Campaign, check_approval, check_plan, settlement_gate
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.ids import new_id
from chalicelib.logic import retry_on_stale


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
    campaign.rule = repos.rules().rule_for(principal.tenant, campaign.category, None)
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
        campaign.rule = repos.rules().rule_for(principal.tenant, campaign.category, campaign.own_rule)
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
        campaign.rule = repos.rules().rule_for(principal.tenant, campaign.category, campaign.own_rule)
        campaign.reimbursement_status = settlement_gate(campaign)
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


@dataclass(frozen=True)
class CampaignFilters:
    status: str | None = None
    org: str | None = None
    owner: str | None = None
    category: str | None = None
    customer_id: str | None = None
    date_from: str | None = None     # campaign start_date on or after
    date_to: str | None = None       # campaign start_date on or before


def _subtree(scope: str):
    return M.org_sk.startswith(orgs.subtree_prefix(scope))


def list_campaigns(principal: Principal, f: CampaignFilters, limit: int, cursor: str | None) -> Page[Campaign]:
    """A scoped page of campaigns. The most selective filter picks the index; the rest filter."""
    access.require(principal, "campaign.list")
    scope, owner = access.list_scope(principal, f.org, f.owner)
    tenant = principal.tenant
    fp = (scope, owner, f)
    dates = None
    if f.date_from or f.date_to:
        lo, hi = f.date_from or "0000-00-00", f.date_to or "9999-99-99"
        dates = M.start_date.between(lo, hi)
    status = M.status == f.status if f.status else None
    category = M.category == f.category if f.category else None
    customer = M.customer_id == f.customer_id if f.customer_id else None
    if owner:
        query = q("by_owner", owner, filters=(_subtree(scope), status, category, customer, dates), fp_parts=fp)
    elif f.customer_id:
        date_range = None
        if f.date_from or f.date_to:
            date_range = M.customer_sk.between(f.date_from or "0000", (f.date_to or "9999-99-99") + "#~")
        query = q("by_customer", f"{tenant}|{f.customer_id}", range_condition=date_range,
                  filters=(_subtree(scope), status, category), fp_parts=fp)
    elif f.status:
        query = q("by_status", f"{tenant}|{f.status}", range_condition=_subtree(scope),
                  filters=(category, dates), fp_parts=fp)
    elif f.category:
        query = q("by_category", f"{tenant}|{f.category}", range_condition=_subtree(scope),
                  filters=(dates,), fp_parts=fp)
    else:
        query = q("by_org", tenant, range_condition=_subtree(scope), filters=(dates,), fp_parts=fp)
    return repos.campaigns().query(query, limit, cursor)


def categories(principal: Principal) -> list[str]:
    access.require(principal, "category.list")
    return list(settings().categories)


def require_known_campaign(principal: Principal, campaign_id: str) -> Campaign:
    """For leaders targeting a campaign with a rule: it must exist in their company."""
    campaign = repos.campaigns().get(campaign_id)
    if campaign is None:
        raise InvalidInput.field("campaign_id", "no such campaign")
    if orgs.tenant_of(campaign.org) != principal.tenant:
        raise Forbidden("this campaign is outside your scope")
    return campaign
