"""Feedback rules (A): leaders require feedback per campaign, per category or for all.

The rule that applies to a campaign is decided in one place, `rules_in_force`: its own
campaign rule, its category's, the company's (three strongly consistent reads), the most
specific of them. Submit, approve and settle decide from it at that moment; a rule change
also starts a sweep (driven by the rules table's stream, a page per record, found through an
index, never a Scan) that keeps every covered campaign's stored requirement and worklists current.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chalicelib.clock import now_iso
from chalicelib.config import settings
from chalicelib.dal import images, repos
from chalicelib.dal.errors import RuleTargetTaken
from chalicelib.domain import access
from chalicelib.domain import org as orgs
from chalicelib.domain.access import Principal
from chalicelib.domain.campaign import Campaign, RuleRef, audit_fields, most_specific_rule, settlement_gate
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.feedback import FeedbackRule, Sweep, rule_target
from chalicelib.domain.ids import new_id
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.logic import history, retry_on_stale, retry_on_stale_from

SWEEP_PAGE = 100
SWEEP_WORKERS = 8  # campaigns of a page re-evaluated at once: each is a few round trips of waiting
Lookup = Callable[[str], "RuleRef | None"]


def rules_in_force(campaign: Campaign, newest: Lookup | None = None) -> tuple[RuleRef | None, RuleRef | None]:
    """(the campaign's own rule, the rule that applies to it) as the rules stand now."""
    newest = newest or repos.rules().newest
    tenant = orgs.tenant_of(campaign.org)
    own = newest(rule_target(tenant, "campaign", campaign.id))
    rule = most_specific_rule(
        own, newest(rule_target(tenant, "category", campaign.category)), newest(rule_target(tenant, "all"))
    )
    return own, rule


def apply_rules_in_force(campaign: Campaign, newest: Lookup | None = None) -> bool:
    """Bring a campaign's requirement and settlement gate in line with the rules; True if it changed."""
    before = (campaign.own_rule, campaign.rule, campaign.reimbursement_status)
    campaign.own_rule, campaign.rule = rules_in_force(campaign, newest)
    campaign.reimbursement_status = settlement_gate(campaign)
    return (campaign.own_rule, campaign.rule, campaign.reimbursement_status) != before


def create_rule(principal: Principal, data: dict[str, Any]) -> FeedbackRule:
    access.require(principal, "rule.create")
    scope = data["scope"]
    campaign_id, category = data.get("campaign_id"), data.get("category")
    campaign_org = campaign_owner = None
    if scope == "campaign":
        if not campaign_id:
            raise InvalidInput.field(
                "campaign_id", "required_for_scope", "is required when scope is campaign", scope="campaign"
            )
        campaign = repos.campaigns().get(campaign_id)
        if campaign is None:
            raise InvalidInput.field("campaign_id", "unknown_campaign", "no such campaign")
        access.require_same_company(principal, campaign.org)
        campaign_org, campaign_owner, category = campaign.org, campaign.owner_id, None
    elif scope == "category":
        if not category:
            raise InvalidInput.field(
                "category", "required_for_scope", "is required when scope is category", scope="category"
            )
        if category not in settings().categories:
            raise InvalidInput.field(
                "category",
                "unknown_category",
                f"unknown category; one of: {', '.join(settings().categories)}",
                choices=list(settings().categories),
            )
        campaign_id = None
    else:
        campaign_id = category = None
    rule = FeedbackRule(
        id=new_id(),
        tenant=principal.tenant,
        scope=scope,
        due_days=data.get("due_days", 7),
        min_photos=data.get("min_photos", 0),
        created_by=principal.sub,
        created_at=now_iso(),
        campaign_id=campaign_id,
        category=category,
        campaign_org=campaign_org,
        campaign_owner=campaign_owner,
    )
    in_force = repos.rules().newest(rule.target)  # rules made before targets were claimed
    if in_force is None:
        try:
            with repos.unit_of_work() as uow:
                uow.rules.insert(rule)  # conditional on the target's claim: safe under racing requests
            return rule
        except RuleTargetTaken:
            in_force = repos.rules().newest(rule.target)
    rule_id = in_force.rule_id if in_force else repos.rules().claimed_by(rule.target)
    raise Conflict(
        f"a {scope} rule for this target is already in force ({rule_id}): delete it and create another to change it",
        code="rule_exists",
        params={"rule_id": rule_id},
        rule_id=rule_id,
    )


def list_rules(principal: Principal, page: PageRequest) -> Page[FeedbackRule]:
    """The company's rules the caller may see (access.rule_visible), newest first. Hidden rules
    leave a page shorter than the limit; the cursor still continues where the page ended."""
    access.require(principal, "rule.list")
    found = repos.rules().list(principal.tenant, page)
    visible = [r for r in found.items if access.rule_visible(principal, r.scope, r.campaign_org, r.campaign_owner)]
    return Page(items=visible, next_cursor=found.next_cursor)


def delete_rule(principal: Principal, rule_id: str) -> None:
    access.require(principal, "rule.delete")
    rule = repos.rules().get(principal.tenant, rule_id)
    if rule is None:
        raise NotFound(f"feedback rule {rule_id} does not exist")

    def attempt() -> None:
        with repos.unit_of_work() as uow:  # the rule, and its target's claim while it holds it
            uow.rules.delete(rule, release_claim=repos.rules().claimed_by(rule.target) == rule.id)

    retry_on_stale(attempt)


# -- stream side ---------------------------------------------------------------------------
def rules_item_changed(change: str, image: Mapping[str, Any]) -> int | None:
    """The rules table's stream saw an item `created`, `modified` or `deleted` (`image`: its new
    image, or the old one of a deleted item; DynamoDB JSON). A rule created or deleted starts
    its sweep; each write of a sweep's progress runs the sweep's next page, until it is done.
    Returns how many campaigns that page changed (None: no page ran)."""
    item = images.rules_item(image)
    if not isinstance(item, Sweep):
        if change != "modified":
            rule_changed(item, change)
        return None
    if change == "deleted" or item.done:
        return None
    return continue_sweep(item)


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
        campaign = repos.campaigns().get(sweep.campaign_id) if sweep.campaign_id else None
        batch, next_cursor = ([campaign] if campaign else []), None
    else:
        page = repos.campaigns().covered_by_rule(
            sweep.tenant, sweep.category if sweep.scope == "category" else None, PageRequest(SWEEP_PAGE, sweep.cursor)
        )
        batch, next_cursor = page.items, page.next_cursor
    cache: dict[str, RuleRef | None] = {}

    def newest(target: str) -> RuleRef | None:
        # the category and company rules are the same for the whole page: read them once
        if target not in cache:
            cache[target] = repos.rules().newest(target)
        return cache[target]

    refresh_own = sweep.scope == "campaign"
    if len(batch) > 1:
        with ThreadPoolExecutor(min(SWEEP_WORKERS, len(batch))) as pool:
            changed = sum(pool.map(lambda c: _reapply(c, newest, refresh_own), batch))  # raises what a worker raised
    else:
        changed = sum(_reapply(c, newest, refresh_own) for c in batch)
    repos.rules().advance_sweep(sweep, next_cursor, changed)
    return changed


def _reapply(listed: Campaign, cached: Lookup, refresh_own: bool) -> bool:
    """One campaign of a sweep. Its own rule is re-read only by the sweep of a campaign rule;
    the sweeps of category and company rules keep the own rule that sweep maintains.

    The first attempt decides from the campaign as the page listed it (the index holds whole
    items), which saves a sweep of 100 its 100 GetItems: a change is saved on condition of
    that version, so if the campaign changed since, the write is refused and the retry reads
    it afresh. "Nothing to change" is not trusted from the listing (an index may lag behind
    a write that undid the rule): that campaign is read before the sweep passes it by."""

    def decide(campaign: Campaign | None, confirmed: bool) -> bool:
        if campaign is None or campaign.reimbursement_status == "reimbursed":
            return False  # reimbursed is final: a lagging listing cannot undo it

        def newest(target: str) -> RuleRef | None:
            if target == rule_target(orgs.tenant_of(campaign.org), "campaign", campaign.id):
                return repos.rules().newest(target) if refresh_own else campaign.own_rule
            return cached(target)

        before = audit_fields(campaign)
        if not apply_rules_in_force(campaign, newest):
            return False if confirmed else decide(repos.campaigns().get(campaign.id), True)
        campaign.updated_at = now_iso()
        with repos.unit_of_work() as uow:
            history.save(
                uow, campaign, history.actor(None), [("requirement_changed", history.changes(before, campaign))]
            )
        return True

    first: Campaign | None = listed
    return retry_on_stale_from(
        first, lambda: repos.campaigns().get(listed.id), lambda campaign: decide(campaign, campaign is not listed)
    )
