"""Who may do what, and on which part of a company. Every role and scope decision lives here.

Two questions, answered separately:
* may this role attempt the action at all? — `require(principal, action)` and PERMISSIONS;
* which campaigns, reports, rules and budgets does the caller reach? — `scope_of(principal)`
  and the named predicates below. Use cases ask these; nothing else compares roles or org paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain import org as orgs
from chalicelib.domain.audit import Person
from chalicelib.domain.errors import Forbidden

ROLES = ("rep", "manager", "leader", "finance")
ALL = frozenset(ROLES)
DECIDING_ROLES = frozenset({"manager", "leader"})  # who approves and rejects applications, delegates, is a delegate

# action -> roles that may attempt it. Scope (which objects) is checked separately.
PERMISSIONS: dict[str, frozenset[str]] = {
    "campaign.create": frozenset({"rep", "manager"}),
    "campaign.read": ALL,
    "campaign.list": ALL,
    "campaign.edit": frozenset({"rep", "manager"}),  # owner only, see require_owner
    "campaign.submit": frozenset({"rep", "manager"}),  # owner only
    "campaign.approve": DECIDING_ROLES,
    "campaign.reject": DECIDING_ROLES,
    "category.list": ALL,
    "rule.create": frozenset({"leader"}),
    "rule.delete": frozenset({"leader"}),
    "rule.list": ALL,  # which rules: rule_visible
    "feedback.read": ALL,
    "feedback.write": frozenset({"rep", "manager"}),  # owner only
    "feedback.my_requests": frozenset({"rep", "manager"}),
    "feedback.search": ALL,
    "feedback_request.search": ALL,
    "reimbursement.create": frozenset({"finance"}),
    "attachment.create": frozenset({"rep", "manager"}),  # owner only
    "attachment.read": ALL,
    "attachment.delete": frozenset({"rep", "manager"}),  # owner only, before reimbursement
    "visit.create": frozenset({"rep", "manager"}),  # owner only, approved campaigns
    "visit.read": ALL,  # scoped like campaign.read
    "campaign.evidence": ALL,  # the evidence bundle, scoped like campaign.read
    "changes.read": ALL,  # the changes feed: what the caller may see (one partition per audience)
    # evaluation and reports
    "campaign.evaluate": ALL,  # scoped like campaign.read
    "customer.history": ALL,  # scoped like campaign.list
    "report.summary": ALL,  # rep: own; manager: subtree; else company
    "report.run": frozenset({"leader"}),
    "report.read": DECIDING_ROLES,  # reports of scopes within theirs
    "report.subscribe": DECIDING_ROLES,
    # money control
    "campaign.cancel": frozenset({"rep", "manager", "leader"}),  # the owner, or an approver over it
    "campaign.audit": ALL,  # scoped like campaign.read
    "approval.card": DECIDING_ROLES,  # whoever may decide it (delegates too)
    "approval.mine": DECIDING_ROLES,
    "policy.set": frozenset({"leader"}),
    "policy.read": DECIDING_ROLES,
    "delegation.manage": DECIDING_ROLES,
    "budget.create": frozenset({"leader", "finance"}),
    "budget.update": frozenset({"leader", "finance"}),
    "budget.read": frozenset({"manager", "leader", "finance"}),  # which budgets: budget_visible
    # events out: a company's webhooks (and their deliveries) are its leaders' and finance's
    "webhook.manage": frozenset({"leader", "finance"}),
    # invoices and settlement on verified spend
    "invoice.claim": frozenset({"rep", "manager"}),  # owner only
    "invoice.read": ALL,  # scoped like campaign.read
    "invoice.delete": frozenset({"rep", "manager"}),  # owner only, before settlement
    "settlement_policy.set": frozenset({"leader", "finance"}),
    "settlement_policy.read": frozenset({"manager", "leader", "finance"}),
    # vouchers for the general ledger: the company's, whole (no org scope)
    "accounting.set": frozenset({"finance"}),
    "accounting.read": frozenset({"leader", "finance"}),
    "voucher.create": frozenset({"finance"}),
    "voucher.read": frozenset({"leader", "finance"}),
    "voucher.post": frozenset({"finance"}),
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, from verified token claims."""

    sub: str
    role: str
    org: str
    name: str = ""
    email: str = ""

    @property
    def tenant(self) -> str:
        return orgs.tenant_of(self.org)

    @property
    def person(self) -> Person:
        """The caller as a record names them (an approver, the author of a ledger entry)."""
        return Person(self.sub, self.name)


@dataclass(frozen=True)
class Scope:
    """The part of one company a caller reaches: an org subtree, or (for a rep) one owner's
    campaigns anywhere in the company."""

    tenant: str
    org: str
    owner: str | None = None


def require(principal: Principal, action: str) -> None:
    if principal.role not in PERMISSIONS[action]:
        raise Forbidden(f"role {principal.role} may not {action.replace('.', ' ').replace('_', ' ')}")


def scope_of(principal: Principal) -> Scope:
    """rep: their own campaigns; manager: their subtree; leader and finance: the company."""
    if principal.role == "rep":
        return Scope(principal.tenant, principal.tenant, owner=principal.sub)
    if principal.role == "manager":
        return Scope(principal.tenant, principal.org)
    return Scope(principal.tenant, principal.tenant)


def in_scope(principal: Principal, campaign_org: str, owner_id: str) -> bool:
    """May the caller see this campaign? A manager also sees their own applications."""
    if orgs.tenant_of(campaign_org) != principal.tenant:
        return False
    scope = scope_of(principal)
    if scope.owner is not None:
        return owner_id == scope.owner
    return owner_id == principal.sub or orgs.is_within(campaign_org, scope.org)


def require_owner(principal: Principal, owner_id: str) -> None:
    if owner_id != principal.sub:
        raise Forbidden("only the campaign's owner may do this")


def require_same_company(principal: Principal, org: str) -> None:
    if orgs.tenant_of(org) != principal.tenant:
        raise Forbidden("this campaign is outside your scope")


def require_canceller(principal: Principal, campaign_org: str, owner_id: str) -> None:
    """The owner may withdraw their application; an approver over it (a manager of its
    subtree, a leader of its company) may cancel it."""
    if owner_id == principal.sub and orgs.tenant_of(campaign_org) == principal.tenant:
        return
    if principal.role == "leader" and orgs.tenant_of(campaign_org) == principal.tenant:
        return
    if principal.role == "manager" and orgs.is_within(campaign_org, principal.org):
        return
    raise Forbidden("only the owner or an approver over this campaign may cancel it")


def sees_approval_context(principal: Principal, campaign_org: str, owner_id: str) -> bool:
    """Approvers (never the applicant) see the customer's history beside an application."""
    return (
        principal.role in DECIDING_ROLES and owner_id != principal.sub and in_scope(principal, campaign_org, owner_id)
    )


def list_scope(principal: Principal, org_filter: str | None, owner_filter: str | None) -> Scope:
    """The scope a list covers after narrowing by the caller's filters.

    A filter outside the caller's scope is refused (403), never silently widened or emptied.
    """
    base = scope_of(principal)
    if org_filter is not None and not orgs.is_within(org_filter, base.org):
        raise Forbidden("the org filter is outside your scope")
    owner = owner_filter
    if base.owner is not None:
        if owner_filter not in (None, base.owner):
            raise Forbidden("a rep may only see their own campaigns")
        owner = base.owner
    return Scope(base.tenant, org_filter or base.org, owner)


def covers_org(scope: Scope, org: str) -> bool:
    """Does an org-level aggregate (a roll-up row, a report) of `org` fall within the scope?"""
    return orgs.is_within(org, scope.org)


# -- reports --------------------------------------------------------------------------------
def report_scope_org(role: str, org: str) -> str:
    """The org a manager's or leader's compiled reports cover: the company for a leader."""
    return orgs.tenant_of(org) if role == "leader" else org


def report_visible(principal: Principal, report_scope: str) -> bool:
    """A leader reads every report of the company; a manager those of scopes within theirs."""
    if orgs.tenant_of(report_scope) != principal.tenant:
        return False
    return principal.role == "leader" or (principal.role == "manager" and orgs.is_within(report_scope, principal.org))


def nearest_managers_over(subscribers: list[dict[str, Any]], org: str, rep_id: str) -> list[dict[str, Any]]:
    """The subscribed managers closest above a rep's org: they get a copy of the rep's
    overdue-feedback reminder (nobody further up, nobody outside the subtree)."""
    above = [
        s for s in subscribers if s["role"] == "manager" and orgs.is_within(org, s["org"]) and s["user_id"] != rep_id
    ]
    if not above:
        return []
    deepest = max(orgs.depth(s["org"]) for s in above)
    return [s for s in above if orgs.depth(s["org"]) == deepest]


# -- budgets ---------------------------------------------------------------------------------
def budget_visible(principal: Principal, budget_org: str) -> bool:
    """Leader and finance see the company's budgets; a manager those of their subtree and of
    its ancestors (the money their office draws on); a rep none."""
    if orgs.tenant_of(budget_org) != principal.tenant:
        return False
    if principal.role in ("leader", "finance"):
        return True
    return principal.role == "manager" and (
        orgs.is_within(budget_org, principal.org) or orgs.is_within(principal.org, budget_org)
    )


def budget_list_scope(principal: Principal, org_filter: str | None) -> tuple[str, tuple[str, ...]]:
    """(the subtree a budget list covers, the ancestors whose own budgets it adds). A filter
    outside what the caller may see is refused (403), never widened."""
    if principal.role in ("leader", "finance"):
        if org_filter is not None and orgs.tenant_of(org_filter) != principal.tenant:
            raise Forbidden("the org filter is outside your company")
        return org_filter or principal.tenant, ()
    if principal.role != "manager":
        raise Forbidden("budgets are for managers, leaders and finance")
    if org_filter is not None:
        if not orgs.is_within(org_filter, principal.org):
            raise Forbidden("the org filter is outside your subtree")
        return org_filter, ()
    return principal.org, tuple(orgs.lineage(principal.org)[:-1])


# -- feedback rules --------------------------------------------------------------------------
def rule_visible(principal: Principal, scope: str, campaign_org: str | None, campaign_owner: str | None) -> bool:
    """Category and company-wide rules are policy everybody works under; a campaign's own rule
    is visible to whoever may see that campaign (a rep: their own campaigns only). A campaign
    rule that does not record its campaign's org is shown to leader and finance only."""
    if scope != "campaign":
        return True
    if campaign_org is None or campaign_owner is None:
        return principal.role in ("leader", "finance")
    return in_scope(principal, campaign_org, campaign_owner)
