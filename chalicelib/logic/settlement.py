"""Settlement (核销): unlock on submitted feedback (stream-driven), and finance paying out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.clock import business_today, now_iso
from chalicelib.dal import images, repos
from chalicelib.dal.errors import BudgetShort
from chalicelib.domain import access
from chalicelib.domain.access import Principal
from chalicelib.domain.audit import Person
from chalicelib.domain.campaign import (
    Campaign,
    audit_fields,
    check_can_settle,
    proposed_amount,
    settlement_amount,
    settlement_gate,
)
from chalicelib.domain.invoices import SettlementPolicy
from chalicelib.logic import budgets, history, invoices, retry_on_stale, vouchers
from chalicelib.logic.history import Event
from chalicelib.logic.rules import apply_rules_in_force
from chalicelib.logic.visibility import load_visible
from chalicelib.observability import logger


def settle(principal: Principal, campaign_id: str, amount: int | None, note: str | None) -> Campaign:
    """Reimburse an unlocked campaign. The gate is decided from the rules in force now (a rule
    created a moment ago binds before its sweep arrives). The settled amount is consumed from
    the campaign's budget reservation and the rest released, and the campaign's invoices become
    `settled`, in the same unit of work as the settlement, conditional on the version read: of
    two finance users settling at once (or a settlement racing a cancellation or a claim)
    exactly one wins; the other re-reads and decides again. Where the company requires invoices,
    the amount never exceeds what they prove (409 invoices_short). The same unit of work queues
    the campaign for the general ledger's vouchers (logic/vouchers.py: queue_settled)."""
    access.require(principal, "reimbursement.create")

    def attempt() -> Campaign:
        campaign = load_visible(principal, campaign_id)
        if campaign.status == "approved" and campaign.reimbursement_status != "reimbursed":
            apply_rules_in_force(campaign)
        check_can_settle(campaign, business_today())
        policy = repos.policies().settlement(principal.tenant)
        before, now = audit_fields(campaign), now_iso()
        campaign.reimbursed_amount = settlement_amount(campaign, amount, policy.invoices_required)
        campaign.reimbursement_status = "reimbursed"
        campaign.reimbursed_at = campaign.updated_at = now
        campaign.reimbursed_by, campaign.reimbursed_by_name = principal.sub, principal.name
        campaign.reimbursement_note = note
        try:
            with repos.unit_of_work() as uow:
                effect = budgets.settle(uow, campaign, principal.person, now)
                events: list[Event] = [("reimbursed", history.changes(before, campaign))]
                events += [*budgets.audit_events(effect), *invoices.settle_held(uow, campaign)]
                history.save(uow, campaign, history.actor(principal), events, now)
                vouchers.queue_settled(uow, campaign)
        except BudgetShort as short:
            raise budgets.explain_short(short) from None
        return campaign

    return retry_on_stale(attempt)


def unlock_settlement(campaign_id: str, revision: int, actual_spend: int | None) -> str:
    """Apply a submitted feedback revision to settlement: unlock it and record the proposed amount.

    Idempotent: a revision already applied (or older than one applied) changes nothing, so a
    redelivered or replayed stream batch has no second effect. Returns what happened.
    """

    def attempt() -> str:
        campaign = repos.campaigns().get(campaign_id)
        if campaign is None:
            raise LookupError(f"feedback revision {revision} names unknown campaign {campaign_id}")
        if campaign.proposed_from_revision >= revision or campaign.reimbursement_status == "reimbursed":
            return "already_applied"
        if campaign.feedback_revision < revision:
            # the stream never runs ahead of the transaction that wrote both; if it does, retry
            raise RuntimeError(f"campaign {campaign_id} does not know revision {revision} yet")
        before, was = audit_fields(campaign), campaign.reimbursement_status
        campaign.reimbursement_status = settlement_gate(campaign)
        outcome = "unlocked" if was == "locked" and campaign.reimbursement_status == "unlocked" else "proposal_updated"
        if campaign.approved_amount is not None:
            campaign.proposed_amount = proposed_amount(actual_spend, campaign.approved_amount)
        campaign.proposed_from_revision = revision
        campaign.updated_at = now_iso()
        events = (
            [("settlement_unlocked", {**history.changes(before, campaign), "revision": [None, revision]})]
            if outcome == "unlocked"
            else []
        )
        with repos.unit_of_work() as uow:
            history.save(uow, campaign, history.actor(None), events)
        return outcome

    return retry_on_stale(attempt)


def feedback_inserted(image: Mapping[str, Any]) -> str | None:
    """The feedback table's stream saw an item inserted (`image`: DynamoDB JSON, as the stream
    carries it). A submitted revision is applied to settlement (`unlock_settlement`'s outcome);
    a draft changes nothing (None)."""
    report = images.feedback_report(image)
    if report is None or report.status != "submitted":
        return None
    outcome = unlock_settlement(report.campaign_id, report.revision, report.actual_spend)
    logger().info(
        "feedback applied to settlement",
        extra={"campaign_id": report.campaign_id, "revision": report.revision, "outcome": outcome},
    )
    return outcome


# -- the settlement policy (以票核销) -----------------------------------------------------------------
def get_settlement_policy(principal: Principal) -> SettlementPolicy:
    access.require(principal, "settlement_policy.read")
    return repos.policies().settlement(principal.tenant)


def set_settlement_policy(principal: Principal, invoices_required: bool) -> SettlementPolicy:
    """Whether settlement pays only on invoices; from now on (a campaign settled before keeps
    what it was paid)."""
    access.require(principal, "settlement_policy.set")
    policy = SettlementPolicy(invoices_required, Person(principal.sub, principal.name), now_iso())
    repos.policies().put_settlement(principal.tenant, policy)
    return policy
