"""Feedback rules (DynamoDB), keyed by target (`CN|category|tasting`) so the rules that apply
to a campaign are three strongly consistent Queries; plus the progress items of rule sweeps.

| item | target (hash) | id (range) |
|---|---|---|
| rule | `<tenant>\\|<scope>\\|<campaign id, category or *>` | rule id (ULID: newest last) |
| sweep progress | `sweep\\|<rule id>` | `created` or `deleted` (kept 7 days once done: `expiration`) |

One rule per target: a rule is inserted with a claim on its target in the control table
(`rule#<target>` / `rule`, put only if absent, in the same transaction), which its deletion
releases. The claim lives outside the rules table so that the rules stream (the sweeps) never
sees it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pynamodb.expressions.update import Action

from chalicelib.dal.errors import RuleTargetTaken
from chalicelib.dal.models import ControlModel, RuleModel, model_from_image
from chalicelib.dal.paging import decode_cursor, encode_cursor, fingerprint, from_dynamo_key, to_dynamo_key
from chalicelib.dal.writes import Immediately, Writes
from chalicelib.domain.campaign import RuleRef
from chalicelib.domain.feedback import FeedbackRule, Sweep
from chalicelib.domain.pages import Page, PageRequest

SWEEP_PREFIX = "sweep|"
#: A finished sweep's item stays this long, then TTL drops it: well past the stream's 24-hour
#: retention, so a redelivered rule record still finds its sweep and starts nothing twice.
FINISHED_SWEEP_KEPT_SECONDS = 7 * 24 * 3600


CLAIM_SK = "rule"


def claim_key(target: str) -> str:
    return f"rule#{target}"


class _NotAdvanced(Exception):
    pass


class _AlreadyStarted(Exception):
    pass


def to_model(rule: FeedbackRule) -> RuleModel:
    return RuleModel(
        rule.target,
        rule.id,
        tenant=rule.tenant,
        scope=rule.scope,
        campaign_id=rule.campaign_id,
        category=rule.category,
        due_days=rule.due_days,
        min_photos=rule.min_photos,
        created_by=rule.created_by,
        created_at=rule.created_at,
        campaign_org=rule.campaign_org,
        campaign_owner=rule.campaign_owner,
        rule_id=rule.id,
        rule_tenant=rule.tenant,
    )


def from_model(m: RuleModel) -> FeedbackRule:
    return FeedbackRule(
        id=m.id,
        tenant=m.tenant,
        scope=m.scope,
        due_days=int(m.due_days),
        min_photos=int(m.min_photos or 0),
        created_by=m.created_by or "",
        created_at=m.created_at or "",
        campaign_id=m.campaign_id,
        category=m.category,
        campaign_org=m.campaign_org,
        campaign_owner=m.campaign_owner,
    )


def _sweep_from_model(m: RuleModel) -> Sweep:
    return Sweep(
        rule_id=m.target[len(SWEEP_PREFIX) :],
        change=m.id,
        tenant=m.tenant,
        scope=m.scope,
        category=m.category,
        campaign_id=m.campaign_id,
        cursor=m.sweep_cursor,
        done=bool(m.sweep_done),
    )


def change_from_image(image: Mapping[str, Any]) -> FeedbackRule | Sweep:
    """What a rules-stream image holds: a rule, or a sweep's progress."""
    m = model_from_image(RuleModel, dict(image))
    return _sweep_from_model(m) if m.target.startswith(SWEEP_PREFIX) else from_model(m)


def sweep_item(rule: FeedbackRule, change: str) -> RuleModel:
    """The progress item of the sweep a rule's `change` (created, deleted) starts, before its
    first page: what the rules stream then carries to drive it."""
    return RuleModel(
        f"{SWEEP_PREFIX}{rule.id}",
        change,
        tenant=rule.tenant,
        scope=rule.scope,
        category=rule.category,
        campaign_id=rule.campaign_id,
        sweep_cursor=None,
        sweep_done=False,
        sweep_updated=0,
    )


class RuleRepository:
    def __init__(self, writes: Writes | None = None) -> None:
        self._writes = writes or Immediately()

    def insert(self, rule: FeedbackRule) -> FeedbackRule:
        """The rule and the claim on its target, together (use a unit of work): RuleTargetTaken
        when another rule holds the target."""
        claim = ControlModel(claim_key(rule.target), CLAIM_SK, data=rule.id)
        self._writes.put(claim, ControlModel.pk.does_not_exist(), conflict=RuleTargetTaken)
        self._writes.put(to_model(rule), RuleModel.id.does_not_exist())
        return rule

    def claimed_by(self, target: str) -> str | None:
        """The id of the rule holding a target's claim (None for none, or rules older than claims)."""
        try:
            return ControlModel.get(claim_key(target), CLAIM_SK, consistent_read=True).data
        except ControlModel.DoesNotExist:
            return None

    def get(self, tenant: str, rule_id: str) -> FeedbackRule | None:
        for m in RuleModel.by_id.query(rule_id, limit=1):
            if m.tenant == tenant:
                return from_model(m)
        return None

    def delete(self, rule: FeedbackRule, release_claim: bool) -> None:
        """The rule, and its target's claim when it holds it (only while it still does)."""
        self._writes.delete(RuleModel(rule.target, rule.id))
        if release_claim:
            self._writes.delete(ControlModel(claim_key(rule.target), CLAIM_SK), ControlModel.data == rule.id)

    def list(self, tenant: str, page: PageRequest) -> Page[FeedbackRule]:
        """A company's rules, newest first."""
        fp = fingerprint("rules", tenant)
        start = decode_cursor(page.cursor, {"target", "id", "rule_tenant"}, fp)
        result = RuleModel.by_tenant.query(
            tenant,
            scan_index_forward=False,
            limit=page.limit,
            page_size=page.limit,
            last_evaluated_key=to_dynamo_key(start),
        )
        items = [from_model(m) for m in result]
        return Page(items=items, next_cursor=encode_cursor(from_dynamo_key(result.last_evaluated_key), fp))

    def newest(self, target: str) -> RuleRef | None:
        """The newest rule of a target (ids sort by time). Strongly consistent."""
        for m in RuleModel.query(target, scan_index_forward=False, limit=1, consistent_read=True):
            return from_model(m).ref()
        return None

    # -- sweeps ------------------------------------------------------------------------------
    def start_sweep(self, rule: FeedbackRule, change: str) -> bool:
        """Record that the campaigns a rule covers must be re-evaluated (its stream record drives
        the sweep). False when it was recorded before: a redelivered rule event."""
        try:
            self._writes.put(sweep_item(rule, change), RuleModel.id.does_not_exist(), conflict=_AlreadyStarted)
            return True
        except _AlreadyStarted:
            return False

    def advance_sweep(self, sweep: Sweep, next_cursor: str | None, updated: int) -> bool:
        """Move a sweep on, only from where it was (a redelivered record must not skip pages)."""
        m = RuleModel(f"{SWEEP_PREFIX}{sweep.rule_id}", sweep.change)
        cond = (
            RuleModel.sweep_cursor.does_not_exist() if sweep.cursor is None else RuleModel.sweep_cursor == sweep.cursor
        ) & (RuleModel.sweep_done == False)  # noqa: E712 (a PynamoDB condition: `==` builds it, `is False` would not)
        actions: list[Action] = [RuleModel.sweep_done.set(next_cursor is None), RuleModel.sweep_updated.add(updated)]
        if next_cursor:
            actions.append(RuleModel.sweep_cursor.set(next_cursor))
        else:
            actions += [
                RuleModel.sweep_cursor.remove(),
                RuleModel.expiration.set(int(time.time()) + FINISHED_SWEEP_KEPT_SECONDS),
            ]
        try:
            self._writes.update(m, actions, cond, conflict=_NotAdvanced)
            return True
        except _NotAdvanced:
            return False
