"""Who may do what, on which campaigns. Every role and scope decision lives here."""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain import org as orgs
from chalicelib.domain.errors import Forbidden

ROLES = ("rep", "manager", "leader", "finance")
ALL = frozenset(ROLES)

# action -> roles that may attempt it. Scope (which campaigns) is checked separately.
PERMISSIONS: dict[str, frozenset[str]] = {
    "campaign.create": frozenset({"rep", "manager"}),
    "campaign.read": ALL,
    "campaign.list": ALL,
    "campaign.edit": frozenset({"rep", "manager"}),      # owner only, see require_owner
    "campaign.submit": frozenset({"rep", "manager"}),    # owner only
    "campaign.approve": frozenset({"manager", "leader"}),
    "campaign.reject": frozenset({"manager", "leader"}),
    "category.list": ALL,
    "rule.create": frozenset({"leader"}),
    "rule.delete": frozenset({"leader"}),
    "rule.list": ALL,
    "feedback.read": ALL,
    "feedback.write": frozenset({"rep", "manager"}),     # owner only
    "feedback.my_requests": frozenset({"rep", "manager"}),
    "feedback.search": ALL,
    "feedback_request.search": ALL,
    "reimbursement.create": frozenset({"finance"}),
    "attachment.create": frozenset({"rep", "manager"}),  # owner only
    "attachment.read": ALL,
    "attachment.delete": frozenset({"rep", "manager"}),  # owner only, before reimbursement
    # evaluation and reports
    "campaign.evaluate": ALL,                              # scoped like campaign.read
    "customer.history": ALL,                               # scoped like campaign.list
    "report.summary": ALL,                                 # rep: own; manager: subtree; else company
    "report.run": frozenset({"leader"}),
    "report.read": frozenset({"manager", "leader"}),       # reports of scopes within theirs
    "report.subscribe": frozenset({"manager", "leader"}),
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


def require(principal: Principal, action: str) -> None:
    if principal.role not in PERMISSIONS[action]:
        raise Forbidden(f"role {principal.role} may not {action.replace('.', ' ').replace('_', ' ')}")


def in_scope(principal: Principal, campaign_org: str, owner_id: str) -> bool:
    """rep: own campaigns; manager: its subtree; leader and finance: the whole company."""
    if orgs.tenant_of(campaign_org) != principal.tenant:
        return False
    if principal.role == "rep":
        return owner_id == principal.sub
    if principal.role == "manager":
        return owner_id == principal.sub or orgs.is_within(campaign_org, principal.org)
    return principal.role in ("leader", "finance")


def require_scope(principal: Principal, campaign_org: str, owner_id: str) -> None:
    if not in_scope(principal, campaign_org, owner_id):
        raise Forbidden("this campaign is outside your scope")


def require_owner(principal: Principal, owner_id: str) -> None:
    if owner_id != principal.sub:
        raise Forbidden("only the campaign's owner may do this")


def require_approver(principal: Principal, campaign_org: str, owner_id: str) -> None:
    """A manager over the campaign, or a leader; never the applicant."""
    if owner_id == principal.sub:
        raise Forbidden("you cannot decide on your own application", code="self_approval")
    if principal.role == "leader" and orgs.tenant_of(campaign_org) == principal.tenant:
        return
    if principal.role == "manager" and orgs.is_within(campaign_org, principal.org):
        return
    raise Forbidden("this campaign is outside your scope")


def list_scope(principal: Principal, org_filter: str | None, owner_filter: str | None) -> tuple[str, str | None]:
    """The org subtree and owner a list may cover, after narrowing by the caller's filters.

    A filter outside the caller's scope is refused (403), never silently widened or emptied.
    """
    base = principal.org if principal.role == "manager" else principal.tenant
    if org_filter is not None and not orgs.is_within(org_filter, base):
        raise Forbidden("the org filter is outside your scope")
    owner = owner_filter
    if principal.role == "rep":
        if owner_filter not in (None, principal.sub):
            raise Forbidden("a rep may only see their own campaigns")
        owner = principal.sub
    return org_filter or base, owner
