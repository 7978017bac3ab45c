"""Approval chains (分级审批), delegation (代理审批), the approver's queue and the approval card.

The chain is fixed at submit from the company's policy (domain/approval.py decides it); each
step is taken by exactly the right approver, in their own right or a delegator's. Without a
policy a campaign waits, as before, for any manager over it or a leader.
"""

from __future__ import annotations

from typing import Any

from chalicelib.clock import business_today, now_iso
from chalicelib.dal import repos
from chalicelib.domain import access
from chalicelib.domain.access import Principal
from chalicelib.domain.approval import (
    Approval,
    ApprovalPolicy,
    Delegation,
    inbox_keys,
    new_delegation,
    parse_policy,
    resolve_authority,
    start_approval,
)
from chalicelib.domain.audit import Person
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.errors import Conflict, Forbidden, NotFound
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.logic.evaluation import customer_summary
from chalicelib.logic.visibility import authority_if_any, awaited_approval, delegations_to, load_visible, warnings


# -- the policy --------------------------------------------------------------------------------
def set_policy(principal: Principal, levels: Any) -> dict[str, Any]:
    access.require(principal, "policy.set")
    policy = parse_policy(levels)
    at = now_iso()
    repos.policies().put(principal.tenant, policy, principal.person, at)
    return {**policy.as_dict(), "updated_by": {"id": principal.sub, "name": principal.name}, "updated_at": at}


def get_policy(principal: Principal) -> dict[str, Any]:
    """The company's policy; `levels: []` when there is none (one approval by any manager over
    the campaign or a leader, as before chains existed)."""
    access.require(principal, "policy.read")
    found = repos.policies().get(principal.tenant)
    if found is None:
        return {"levels": [], "updated_by": None, "updated_at": None}
    policy, meta = found
    return {**policy.as_dict(), "updated_by": meta.get("by"), "updated_at": meta.get("at")}


def chain_for(applicant: Principal, campaign: Campaign) -> Approval:
    """The chain a campaign gets when its owner submits it: from the policy in force now."""
    found = repos.policies().get(applicant.tenant)
    policy: ApprovalPolicy | None = found[0] if found else None
    return start_approval(policy, campaign.requested_amount, campaign.org, applicant.role, applicant.org)


# -- delegation --------------------------------------------------------------------------------
def set_delegation(principal: Principal, to_id: str, to_name: str | None, from_day: str, until_day: str) -> Delegation:
    access.require(principal, "delegation.manage")
    delegation = new_delegation(principal, Person(to_id, to_name or ""), from_day, until_day, business_today())
    repos.delegations().put(delegation)
    return delegation


def get_delegation(principal: Principal) -> Delegation:
    access.require(principal, "delegation.manage")
    found = repos.delegations().of(principal.tenant, principal.sub)
    if found is None:
        raise NotFound("you have not delegated your approvals")
    return found


def delete_delegation(principal: Principal) -> None:
    access.require(principal, "delegation.manage")
    if repos.delegations().of(principal.tenant, principal.sub) is None:
        raise NotFound("you have not delegated your approvals")
    repos.delegations().delete(principal.tenant, principal.sub)


# -- the approver's queue ------------------------------------------------------------------------
def my_approvals(principal: Principal, page: PageRequest) -> Page[tuple[Campaign, Person | None]]:
    """Submitted campaigns waiting for a step that is the caller's (or a delegator's), oldest
    submitted first, each with the delegator in whose name the caller would act (None: their
    own right). What the caller may not decide (their own applications, a chain they already
    took a step of) is left out."""
    access.require(principal, "approval.mine")
    today, delegations = business_today(), delegations_to(principal)
    found = repos.campaigns().awaiting_approval(list(inbox_keys(principal, delegations, today)), page)
    items: list[tuple[Campaign, Person | None]] = []
    for c in found.items:
        try:
            acting = resolve_authority(principal, awaited_approval(c), c.owner_id, delegations, today).acting_for
        except (Forbidden, Conflict):
            continue
        items.append((c, acting))
    return Page(items=items, next_cursor=found.next_cursor)


# -- the approval card -----------------------------------------------------------------------------
def approval_card(principal: Principal, campaign_id: str) -> dict[str, Any]:
    """What an approver needs on one screen: the campaign, the customer's history summary, the
    covering budget with what is available now, the warnings and the chain. For anyone who may
    decide it (in their own right, over it, or as a delegate)."""
    access.require(principal, "approval.card")
    campaign = load_visible(principal, campaign_id)
    if campaign.status == "draft":
        raise Conflict("a draft has no approval card until it is submitted", code="invalid_state")
    delegations = delegations_to(principal)  # one Query serves every question below
    decides = authority_if_any(principal, campaign, delegations)
    acting_for = decides.acting_for if decides else None
    deciding_for = principal
    if not access.sees_approval_context(principal, campaign.org, campaign.owner_id):
        if decides is None:
            raise Forbidden("only an approver of this application sees its approval card")
        deciding_for = next(
            (d.delegator for d in delegations if acting_for and d.delegator.sub == acting_for.id), principal
        )
    if campaign.budget is not None:
        budget = repos.budgets().get(campaign.budget.id)
    else:
        budget = repos.budgets().covering(campaign.org, campaign.category, campaign.start_date)
    return {
        "campaign": campaign,
        "customer": {
            "id": campaign.customer_id,
            "name": campaign.customer_name,
            "summary": customer_summary(deciding_for, campaign.customer_id),
        },
        "budget": (
            {
                "id": budget.id,
                "org": budget.org,
                "period": budget.period,
                "category": budget.category,
                "amount": budget.amount,
                "available": budget.available,
            }
            if budget
            else None
        ),
        "warnings": warnings(campaign),
        "acting_for": acting_for.as_dict() if acting_for else None,
    }
