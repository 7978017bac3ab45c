"""Campaign repository (DynamoDB): domain Campaigns in, domain Campaigns out, every write
conditional on the version read, every list one Query on one index (plans in dal/keys.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, QueryError
from pynamodb.expressions.condition import Condition

from chalicelib.dal import keys
from chalicelib.dal.keys import Cond, Plan
from chalicelib.dal.models import CampaignModel, RuleRefMap, model_from_image
from chalicelib.dal.paging import (
    BAD_CURSOR,
    decode_cursor,
    encode_cursor,
    fingerprint,
    from_dynamo_key,
    to_dynamo_key,
)
from chalicelib.dal.writes import Immediately, Writes
from chalicelib.domain import org as orgs
from chalicelib.domain.approval import Approval
from chalicelib.domain.budget import CampaignBudget
from chalicelib.domain.campaign import Campaign, RuleRef
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.invoices import InvoiceRef
from chalicelib.domain.pages import Page, PageRequest

_MAPPED = ("rule", "own_rule", "location", "version", "approval", "budget", "invoices")
_DOMAIN_FIELDS = [f.name for f in fields(Campaign) if f.name not in _MAPPED]
_INTS = (
    "expected_spend",
    "expected_sales",
    "expected_units",
    "requested_amount",
    "approved_amount",
    "feedback_revision",
    "actual_spend",
    "actual_sales",
    "actual_units",
    "reimbursed_amount",
    "proposed_amount",
    "proposed_from_revision",
    "audit_seq",
)


def _rule_to_map(rule: RuleRef | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {"rule_id": rule.rule_id, "scope": rule.scope, "due_days": rule.due_days, "min_photos": rule.min_photos}


def _rule_from_map(m: RuleRefMap | None) -> RuleRef | None:
    if m is None:
        return None
    return RuleRef(rule_id=m.rule_id, scope=m.scope, due_days=int(m.due_days), min_photos=int(m.min_photos or 0))


def to_model(c: Campaign) -> CampaignModel:
    m = CampaignModel()
    for name in _DOMAIN_FIELDS:
        setattr(m, name, getattr(c, name))
    m.tenant = orgs.tenant_of(c.org)
    m.location = c.location
    m.rule = _rule_to_map(c.rule)
    m.own_rule = _rule_to_map(c.own_rule)
    m.approval_json = json.dumps(c.approval.as_dict(), ensure_ascii=False) if c.approval else None
    m.budget_json = json.dumps(c.budget.as_dict(), ensure_ascii=False) if c.budget else None
    m.invoices_json = json.dumps([r.as_list() for r in c.invoices], ensure_ascii=False) if c.invoices else None
    m.invoice_total = c.invoice_total if c.invoices else None
    if c.version is not None:
        m.version = c.version
    for name, value in keys.index_keys(c).items():
        setattr(m, name, value)
    return m


def from_model(m: CampaignModel) -> Campaign:
    values = {name: getattr(m, name) for name in _DOMAIN_FIELDS}
    for name in _INTS:
        values[name] = None if values[name] is None else int(values[name])
    location = m.location.as_dict() if m.location is not None else None
    return Campaign(
        **values,
        location=location,
        rule=_rule_from_map(m.rule),
        own_rule=_rule_from_map(m.own_rule),
        approval=Approval.from_dict(json.loads(m.approval_json)) if m.approval_json else None,
        budget=CampaignBudget.from_dict(json.loads(m.budget_json)) if m.budget_json else None,
        invoices=[InvoiceRef.from_list(r) for r in json.loads(m.invoices_json)] if m.invoices_json else [],
        version=m.version,
    )


def campaign_image(c: Campaign) -> dict[str, Any]:
    """A campaign as its table's stream would carry it (DynamoDB JSON): what campaign_from_image reads."""
    return to_model(c).serialize()


def campaign_from_item(item: dict[str, Any]) -> Campaign:
    """A campaign from a raw item (DynamoDB JSON), as a Scan by a maintenance tool returns it."""
    return from_model(CampaignModel.from_raw_data(item))


def campaign_from_image(image: Mapping[str, Any] | None) -> Campaign | None:
    """A campaign from a stream record's image (DynamoDB JSON), or None."""
    return from_model(model_from_image(CampaignModel, image)) if image else None


def _condition(c: Cond) -> Condition:
    attr: UnicodeAttribute = getattr(CampaignModel, c.attr)  # every condition is on a string attribute
    if isinstance(c.value, tuple):
        return attr.between(*c.value)
    if c.op == "eq":
        return attr == c.value
    if c.op == "ne":
        return attr != c.value
    return attr.startswith(c.value)


class CampaignRepository(keys.CampaignQueries):
    """One method per access pattern. Writes go through `writes` (alone, or in a unit of work)."""

    def __init__(self, writes: Writes | None = None) -> None:
        self._writes = writes or Immediately()

    # -- one campaign -------------------------------------------------------------------------
    def get(self, campaign_id: str) -> Campaign | None:
        try:
            return from_model(CampaignModel.get(campaign_id, consistent_read=True))
        except DoesNotExist:
            return None

    def get_many(self, campaign_ids: list[str]) -> list[Campaign]:
        """The campaigns of these ids that exist (BatchGetItem, 100 keys a call; order not kept)."""
        return [from_model(m) for m in CampaignModel.batch_get(sorted(set(campaign_ids)))]

    def insert(self, c: Campaign) -> Campaign:
        self._write(c, CampaignModel.id.does_not_exist())
        return c

    def save(self, c: Campaign) -> Campaign:
        """Write the whole campaign if nobody changed it since it was read (StaleWrite if so)."""
        self._write(c, None)
        return c

    def _write(self, c: Campaign, condition: Condition | None) -> None:
        m = to_model(c)
        self._writes.put(m, condition)  # PynamoDB adds the version condition and bumps it

        def learn_version() -> None:
            c.version = m.version

        self._writes.after(learn_version)

    # -- lists: the access patterns are CampaignQueries'; each is one Query here ------------
    def _run(self, plan: Plan, page: PageRequest) -> Page[Campaign]:
        fp = fingerprint(*plan.fingerprint)
        start = decode_cursor(page.cursor, {"id", plan.hash_attr, plan.range_attr}, fp)
        if start is not None and start[plan.hash_attr] != plan.hash_value:
            raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
        combined = None
        for f in plan.filters:
            combined = _condition(f) if combined is None else combined & _condition(f)
        index = getattr(CampaignModel, f"idx_{plan.index}")
        result = index.query(
            plan.hash_value,
            range_key_condition=_condition(plan.range) if plan.range is not None else None,
            filter_condition=combined,
            scan_index_forward=not plan.newest_first,
            limit=page.limit,
            page_size=page.limit,
            last_evaluated_key=to_dynamo_key(start),
        )
        try:
            items = [from_model(m) for m in result]
        except QueryError as exc:
            if start is not None and exc.cause_response_code == "ValidationException":
                raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR) from None
            raise
        return Page(items=items, next_cursor=encode_cursor(from_dynamo_key(result.last_evaluated_key), fp))
