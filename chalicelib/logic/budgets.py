"""Budgets (预算池): allocate, carve, resize, read; and what approval, settlement and
cancellation do to them. Every figure moves through the domain's effects (domain/budget.py)
and is written with its ledger entries in one conditional unit of work (dal/budgets.py)."""

from __future__ import annotations

from typing import Any

from chalicelib.clock import now_iso
from chalicelib.config import settings
from chalicelib.dal import repos
from chalicelib.dal.errors import BudgetShort
from chalicelib.dal.ports import UnitOfWork
from chalicelib.domain import access
from chalicelib.domain.access import Principal
from chalicelib.domain.audit import Person
from chalicelib.domain.budget import (
    Budget,
    BudgetExceeded,
    Effect,
    LedgerEntry,
    below_committed,
    cancellation_effect,
    creation_effect,
    new_budget,
    parse_period,
    reservation_effect,
    resize_effect,
    settlement_effect,
)
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound, StaleWrite
from chalicelib.domain.ids import new_id
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.logic import retry_on_stale


def load_visible(principal: Principal, budget_id: str) -> Budget:
    access.require(principal, "budget.read")
    budget = repos.budgets().get(budget_id)
    if budget is None:
        raise NotFound(f"budget {budget_id} does not exist")
    if not access.budget_visible(principal, budget.org):
        raise Forbidden("this budget is outside your scope")
    return budget


def create_budget(
    principal: Principal, org: str, period: str, category: str | None, amount: int, parent_id: str | None
) -> Budget:
    """A budget for an org node and period (and category), allocated, or carved out of a parent."""
    access.require(principal, "budget.create")

    def attempt() -> Budget:
        parent = None
        if parent_id is not None:
            parent = repos.budgets().get(parent_id)
            if parent is None or parent.tenant != principal.tenant:
                raise InvalidInput.field("parent_id", "unknown_budget", "no such budget in your company")
        now = now_iso()
        budget = new_budget(
            new_id(), principal.tenant, org, period, category, amount, now, parent, settings().categories
        )
        _apply(creation_effect(budget, parent, principal.person, now))
        return budget

    return retry_on_stale(attempt)


def resize_budget(principal: Principal, budget_id: str, amount: int) -> Budget:
    """PATCH a budget's amount: never below what it has committed; a carved budget grows out
    of its parent and gives back to it when it shrinks."""
    access.require(principal, "budget.update")

    def attempt() -> Budget:
        budget = load_visible(principal, budget_id)
        parent = repos.budgets().get(budget.parent_id) if budget.parent_id else None
        effect = resize_effect(budget, amount, parent, principal.person, now_iso())
        if effect.entries:
            _apply(effect, versioned={budget.id: budget.version or 0})
        resized = repos.budgets().get(budget_id)
        if resized is None:  # budgets are never deleted; a storage that lost one is not served from
            raise LookupError(f"budget {budget_id} vanished after its change")
        return resized

    return retry_on_stale(attempt)


def _apply(effect: Effect, versioned: dict[str, int] | None = None) -> None:
    """Write an effect; a condition that no longer holds is re-read and said exactly."""
    try:
        repos.budgets().apply(effect, versioned)
    except BudgetShort as short:
        raise _explain(short) from None


def _explain(short: BudgetShort) -> Exception:
    """What a failed budget condition means now: the money is short, the amount would go below
    what is committed, or (an amount change) somebody changed the budget meanwhile: retry."""
    now = repos.budgets().get(short.delta.budget_id)
    if now is None:
        return StaleWrite(short.delta.budget_id)
    if now.available >= short.delta.needs_available:
        return StaleWrite(short.delta.budget_id)  # the version moved: re-read and decide again
    if short.delta.code_if_short == "budget_below_committed":
        return below_committed(now.committed)
    return BudgetExceeded(now.available, short.delta.needs_available)


def get_budget(principal: Principal, budget_id: str) -> Budget:
    return load_visible(principal, budget_id)


def list_budgets(
    principal: Principal, org: str | None, period: str | None, category: str | None, page: PageRequest
) -> Page[Budget]:
    access.require(principal, "budget.read")
    if period is not None:
        parse_period(period)
    subtree, ancestors = access.budget_list_scope(principal, org)
    return repos.budgets().list(principal.tenant, subtree, ancestors, period, category, page)


def ledger(principal: Principal, budget_id: str, page: PageRequest) -> tuple[Page[LedgerEntry], dict[str, str]]:
    """A page of a budget's ledger, and the titles of its campaigns that the caller may see
    (one BatchGetItem a page): finance reads 「周末品鉴 · 苏果新街口」, not a bare link."""
    load_visible(principal, budget_id)
    found = repos.budgets().entries(budget_id, page)
    ids = [e.campaign_id for e in found.items if e.campaign_id]
    campaigns = repos.campaigns().get_many(ids) if ids else []
    titles = {c.id: c.title for c in campaigns if access.in_scope(principal, c.org, c.owner_id)}
    return found, titles


# -- what campaigns do to budgets --------------------------------------------------------------
def reserve(uow: UnitOfWork, campaign: Campaign, by: Person, at: str) -> Effect:
    """The final approval: reserve the approved amount from the covering budget (none: the
    campaign is unbudgeted and nothing is reserved). Written in the approval's unit of work."""
    budget = repos.budgets().covering(campaign.org, campaign.category, campaign.start_date)
    if budget is None:
        return Effect()
    effect = reservation_effect(budget, campaign.id, campaign.approved_amount or 0, by, at)
    uow.budgets.apply(effect)
    campaign.budget = effect.campaign_budget
    return effect


def settle(uow: UnitOfWork, campaign: Campaign, by: Person, at: str) -> Effect:
    """Settlement consumes the settled amount and releases the rest of the reservation."""
    effect = settlement_effect(campaign.budget, campaign.id, campaign.reimbursed_amount or 0, by, at)
    if effect.entries:
        uow.budgets.apply(effect)
    if effect.campaign_budget is not None:
        campaign.budget = effect.campaign_budget
    return effect


def release(uow: UnitOfWork, campaign: Campaign, by: Person, at: str) -> Effect:
    """Cancellation gives back everything the campaign still holds."""
    effect = cancellation_effect(campaign.budget, campaign.id, by, at)
    if effect.entries:
        uow.budgets.apply(effect)
    if effect.campaign_budget is not None:
        campaign.budget = effect.campaign_budget
    return effect


_AUDITED = {"reserve": "budget_reserved", "consume": "budget_consumed", "release": "budget_released"}


def audit_events(effect: Effect) -> list[tuple[str, dict[str, Any]]]:
    """The audit events of what `effect` did to a campaign's reservation, one per ledger entry
    (in the order booked: a settlement consumes, then releases the rest)."""
    return [
        (_AUDITED[e.kind], {"budget_id": [None, e.ledger_id], _AUDITED[e.kind]: [0, e.amount]})
        for e in effect.entries
        if e.kind in _AUDITED
    ]


def explain_short(short: BudgetShort) -> Exception:
    return _explain(short)
