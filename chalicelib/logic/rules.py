"""Feedback rules (A): leaders require feedback per campaign, per category or for all.

A rule change starts a sweep: the stream of the rules table re-evaluates every campaign the
rule covers (not yet reimbursed), a page per stream record, so no request ever waits on it and
no Scan is needed: campaigns are found through the category or org index.
"""
from __future__ import annotations

from chalicelib.clock import now_iso
from chalicelib.config import settings
from chalicelib.dal import repos
from chalicelib.dal.campaigns import q
from chalicelib.dal.models import CampaignModel as M
from chalicelib.dal.paging import Page
from chalicelib.dal.rules import Sweep
from chalicelib.domain import access
from chalicelib.domain import org as orgs
from chalicelib.domain.access import Principal
from chalicelib.domain.campaign import RuleRef, most_specific_rule, settlement_gate
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.feedback import FeedbackRule, rule_target
from chalicelib.domain.ids import new_id
from chalicelib.logic import retry_on_stale
from chalicelib.logic.campaigns import require_known_campaign

SWEEP_PAGE = 100


def create_rule(principal: Principal, data: dict) -> FeedbackRule:
    access.require(principal, "rule.create")
    scope = data["scope"]
    campaign_id, category = data.get("campaign_id"), data.get("category")
    if scope == "campaign":
        if not campaign_id:
            raise InvalidInput.field("campaign_id", "is required when scope is campaign")
        require_known_campaign(principal, campaign_id)
        category = None
    elif scope == "category":
        if not category:
            raise InvalidInput.field("category", "is required when scope is category")
        if category not in settings().categories:
            raise InvalidInput.field("category", f"unknown category; one of: {', '.join(settings().categories)}")
        campaign_id = None
    else:
        campaign_id = category = None
    rule = FeedbackRule(id=new_id(), tenant=principal.tenant, scope=scope, due_days=data.get("due_days", 7),
                        min_photos=data.get("min_photos", 0), created_by=principal.sub, created_at=now_iso(),
                        campaign_id=campaign_id, category=category)
    return repos.rules().insert(rule)


def list_rules(principal: Principal, limit: int, cursor: str | None) -> Page[FeedbackRule]:
    access.require(principal, "rule.list")
    return repos.rules().list(principal.tenant, limit, cursor)


def delete_rule(principal: Principal, rule_id: str) -> None:
    access.require(principal, "rule.delete")
    rule = repos.rules().get(principal.tenant, rule_id)
    if rule is None:
        raise NotFound(f"feedback rule {rule_id} does not exist")
    repos.rules().delete(rule)


# -- stream side ---------------------------------------------------------------------------
def rule_changed(rule: FeedbackRule, change: str) -> None:
    """A rule was created or deleted: start re-evaluating the campaigns it covers."""
    repos.rules().start_sweep(rule, change)


def continue_sweep(sweep: Sweep) -> int:
    """Re-evaluate one page of the campaigns a sweep covers, then move the sweep on.

    Returns how many campaigns changed. Safe to run twice for the same page: re-evaluation is
    a pure function of the current rules, and the sweep only advances from where it was.
    """
    if sweep.done:
        return 0
    if sweep.scope == "campaign":
        campaign = repos.campaigns().get(sweep.campaign_id)
        batch, next_cursor = ([campaign] if campaign else []), None
    else:
        not_reimbursed = M.reimbursement_status != "reimbursed"
        if sweep.scope == "category":
            query = q("by_category", f"{sweep.tenant}|{sweep.category}", filters=(not_reimbursed,),
                      fp_parts=("sweep",))
        else:
            query = q("by_org", sweep.tenant, filters=(not_reimbursed,), fp_parts=("sweep",))
        batch, next_cursor = repos.campaigns().iterate(query, sweep.cursor, SWEEP_PAGE)
    cache: dict[str, RuleRef | None] = {}
    changed = sum(reapply_rules(c.id, refresh_own=sweep.scope == "campaign", cache=cache) for c in batch)
    repos.rules().advance_sweep(sweep.target, sweep.change, sweep.cursor, next_cursor, changed)
    return changed


def reapply_rules(campaign_id: str, refresh_own: bool, cache: dict[str, RuleRef | None]) -> bool:
    """Bring one campaign's feedback requirement and settlement gate in line with the rules."""
    rules = repos.rules()

    def newest(target: str) -> RuleRef | None:
        if target not in cache:
            cache[target] = rules.newest(target)
        return cache[target]

    def attempt() -> bool:
        campaign = repos.campaigns().get(campaign_id)
        if campaign is None or campaign.reimbursement_status == "reimbursed":
            return False
        tenant = orgs.tenant_of(campaign.org)
        own = rules.newest(rule_target(tenant, "campaign", campaign.id)) if refresh_own else campaign.own_rule
        rule = most_specific_rule(own, newest(rule_target(tenant, "category", campaign.category)),
                                  newest(rule_target(tenant, "all")))
        before = (campaign.own_rule, campaign.rule, campaign.reimbursement_status)
        campaign.own_rule, campaign.rule = own, rule
        campaign.reimbursement_status = settlement_gate(campaign)
        if (campaign.own_rule, campaign.rule, campaign.reimbursement_status) == before:
            return False
        campaign.updated_at = now_iso()
        repos.campaigns().save(campaign)
        return True

    return retry_on_stale(attempt)


