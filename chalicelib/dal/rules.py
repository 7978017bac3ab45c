"""Feedback rules, keyed by target so a campaign's rules are strongly consistent reads,
and the progress items of rule sweeps (which re-apply rules to the campaigns they cover)."""
from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.dal.models import RuleModel
from chalicelib.dal.paging import Page, decode_cursor, encode_cursor, fingerprint
from chalicelib.domain.campaign import RuleRef, most_specific_rule
from chalicelib.domain.feedback import FeedbackRule, rule_target

SWEEP_PREFIX = "sweep|"


@dataclass(frozen=True)
class Sweep:
    """Progress of re-applying rules to the campaigns one rule covers, a page per stream record."""
    target: str
    change: str                    # created | deleted
    tenant: str
    scope: str
    category: str | None
    campaign_id: str | None
    cursor: str | None
    done: bool


def to_model(rule: FeedbackRule) -> RuleModel:
    return RuleModel(
        rule.target, rule.id, tenant=rule.tenant, scope=rule.scope, campaign_id=rule.campaign_id,
        category=rule.category, due_days=rule.due_days, min_photos=rule.min_photos,
        created_by=rule.created_by, created_at=rule.created_at, rule_id=rule.id, rule_tenant=rule.tenant,
    )


def from_model(m: RuleModel) -> FeedbackRule:
    return FeedbackRule(id=m.id, tenant=m.tenant, scope=m.scope, due_days=int(m.due_days),
                        min_photos=int(m.min_photos or 0), created_by=m.created_by or "",
                        created_at=m.created_at or "", campaign_id=m.campaign_id, category=m.category)


class RuleRepository:
    def insert(self, rule: FeedbackRule) -> FeedbackRule:
        to_model(rule).save(condition=RuleModel.id.does_not_exist())
        return rule

    def get(self, tenant: str, rule_id: str) -> FeedbackRule | None:
        for m in RuleModel.by_id.query(rule_id, limit=1):
            if m.tenant == tenant:
                return from_model(m)
        return None

    def delete(self, rule: FeedbackRule) -> None:
        RuleModel(rule.target, rule.id).delete()

    def list(self, tenant: str, limit: int, cursor: str | None) -> Page[FeedbackRule]:
        fp = fingerprint("rules", tenant)
        start = decode_cursor(cursor, {"target", "id", "rule_tenant"}, fp)
        result = RuleModel.by_tenant.query(tenant, scan_index_forward=False, limit=limit, page_size=limit,
                                           last_evaluated_key=start)
        items = [from_model(m) for m in result]
        last = result.last_evaluated_key
        return Page(items=items, next_cursor=encode_cursor(last, fp) if last else None)

    def newest(self, target: str) -> RuleRef | None:
        """The newest rule of a target (ids sort by time). Strongly consistent."""
        for m in RuleModel.query(target, scan_index_forward=False, limit=1, consistent_read=True):
            return from_model(m).ref()
        return None

    def rule_for(self, tenant: str, category: str, own: RuleRef | None) -> RuleRef | None:
        """The most specific rule that covers a campaign: its own, its category's, or everyone's."""
        return most_specific_rule(own, self.newest(rule_target(tenant, "category", category)),
                                  self.newest(rule_target(tenant, "all")))

    # -- sweeps ------------------------------------------------------------------------------
    def start_sweep(self, rule: FeedbackRule, change: str) -> None:
        """Record that the campaigns a rule covers must be re-evaluated; its stream record drives it."""
        m = RuleModel(f"{SWEEP_PREFIX}{rule.id}", change, tenant=rule.tenant, scope=rule.scope,
                      category=rule.category, campaign_id=rule.campaign_id, sweep_cursor=None, sweep_done=False,
                      sweep_updated=0)
        try:
            m.save(condition=RuleModel.id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            # a redelivered rule event: the sweep is already under way

    def advance_sweep(self, target: str, change: str, expected_cursor: str | None, next_cursor: str | None,
                      updated: int) -> bool:
        """Move a sweep on, only from where it was (a redelivered record must not skip pages)."""
        m = RuleModel(target, change)
        cond = (RuleModel.sweep_cursor.does_not_exist() if expected_cursor is None
                else RuleModel.sweep_cursor == expected_cursor) & (RuleModel.sweep_done == False)  # noqa: E712
        actions = [RuleModel.sweep_done.set(next_cursor is None), RuleModel.sweep_updated.add(updated)]
        actions.append(RuleModel.sweep_cursor.set(next_cursor) if next_cursor else RuleModel.sweep_cursor.remove())
        try:
            m.update(actions=actions, condition=cond)
            return True
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise


def rule_from_image(image: dict) -> FeedbackRule | None:
    """The rule in a stream image (DynamoDB JSON), or None for a sweep item."""
    m = RuleModel.from_raw_data(image)
    return None if m.target.startswith(SWEEP_PREFIX) else from_model(m)


def sweep_from_image(image: dict) -> Sweep | None:
    m = RuleModel.from_raw_data(image)
    if not m.target.startswith(SWEEP_PREFIX):
        return None
    return Sweep(target=m.target, change=m.id, tenant=m.tenant, scope=m.scope, category=m.category,
                 campaign_id=m.campaign_id, cursor=m.sweep_cursor, done=bool(m.sweep_done))
