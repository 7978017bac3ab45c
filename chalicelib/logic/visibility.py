"""What a caller may see of campaigns and what they may decide: the reads every use case
starts from, below the use-case modules that share them (campaigns, approvals, history,
evaluation, feedback, evidence, settlement import this module; it imports none of them).

* `load_visible` / `list_visible`: one campaign, or a page of them, within the caller's scope
  (a delegate also sees what waits for a step they may take for their delegator);
* `authority` and its relatives: in whose right the caller takes a campaign's next step;
* `warnings`: what an approver should know when one campaign is shown.
"""

from __future__ import annotations

from typing import Any

from chalicelib.clock import business_date_of, business_today
from chalicelib.dal import repos
from chalicelib.domain import access
from chalicelib.domain.access import Principal
from chalicelib.domain.approval import Approval, Authority, Delegation, resolve_authority
from chalicelib.domain.campaign import Campaign, pending_approval
from chalicelib.domain.errors import Conflict, Forbidden, NotFound
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.domain.search import CampaignFilters


# -- campaigns in scope ----------------------------------------------------------------------------
def load_visible(principal: Principal, campaign_id: str) -> Campaign:
    """The campaign if the caller may see it: 404 when unknown, 403 when outside their scope.
    A delegate also sees what waits for a step they may take for their delegator."""
    campaign = repos.campaigns().get(campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} does not exist")
    if access.in_scope(principal, campaign.org, campaign.owner_id):
        return campaign
    if principal.role in access.DECIDING_ROLES and campaign.status == "submitted" and may_decide(principal, campaign):
        return campaign
    raise Forbidden("this campaign is outside your scope")


def list_visible(principal: Principal, f: CampaignFilters, page: PageRequest) -> Page[Campaign]:
    """A page of the campaigns the caller may see that match `f` (one index Query); a filter
    outside the caller's scope is a 403, never a silently empty page."""
    return repos.campaigns().list(access.list_scope(principal, f.org, f.owner), f, page)


# -- authority over a campaign's next step ---------------------------------------------------------
def delegations_to(principal: Principal) -> list[Delegation]:
    """The delegations made to the caller (the domain decides which are usable today)."""
    if principal.role not in access.DECIDING_ROLES:
        return []
    return repos.delegations().to(principal.tenant, principal.sub)


def authority(
    principal: Principal, campaign: Campaign, acting_for: str | None = None, delegations: list[Delegation] | None = None
) -> Authority:
    """In whose right the caller takes the campaign's next step (Forbidden when in nobody's;
    409 invalid_state unless it is submitted). `delegations`: the caller's, when already read
    (else one Query reads them)."""
    approval = awaited_approval(campaign)
    access.require_same_company(principal, campaign.org)
    if delegations is None:
        delegations = delegations_to(principal)
    return resolve_authority(principal, approval, campaign.owner_id, delegations, business_today(), acting_for)


def awaited_approval(campaign: Campaign) -> Approval:
    """The approval a campaign waits on (409 invalid_state unless it is submitted)."""
    approval = pending_approval(campaign)
    if approval is None:
        raise Conflict(
            f"only submitted applications can be decided (this one is {campaign.status})", code="invalid_state"
        )
    return approval


def authority_if_any(
    principal: Principal, campaign: Campaign, delegations: list[Delegation] | None = None
) -> Authority | None:
    """The caller's authority over the campaign's next step now, None when they have none."""
    try:
        return authority(principal, campaign, delegations=delegations)
    except (Forbidden, Conflict):
        return None


def may_decide(principal: Principal, campaign: Campaign) -> bool:
    """Whether the caller could take the campaign's next step now (own right or delegation)."""
    return authority_if_any(principal, campaign) is not None


# -- what a single campaign's view warns of ----------------------------------------------------------
def warnings(campaign: Campaign) -> list[dict[str, Any]]:
    """What an approver should know before deciding: overlapping applications of the same
    customer and category, and an application made after its campaign had begun (from submit
    on; they inform, never block). One index Query."""
    if campaign.status not in ("submitted", "approved"):
        return []  # a draft is not an application yet; a closed one warns nobody
    found: list[dict[str, Any]] = []
    others = repos.campaigns().overlapping(campaign)
    if others:
        found.append(
            {
                "code": "overlapping_campaign",
                "campaign_ids": sorted(c.id for c in others),
                "message": f"{len(others)} other application(s) for this customer and category overlap these dates",
            }
        )
    submitted_on = business_date_of(campaign.submitted_at) if campaign.submitted_at else None
    if submitted_on is not None and campaign.start_date < submitted_on:
        found.append(
            {
                "code": "retroactive_application",
                "campaign_ids": [],
                "message": f"applied for on {submitted_on}, after the campaign had begun on {campaign.start_date}",
            }
        )
    return found
