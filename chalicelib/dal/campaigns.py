"""Campaign repository: domain Campaigns in, domain Campaigns out, every write conditional."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Iterable

from pynamodb.exceptions import DoesNotExist, PutError, QueryError
from pynamodb.expressions.condition import Condition

from chalicelib.dal.models import CAMPAIGN_INDEXES, CampaignModel, campaign_index
from chalicelib.dal.paging import Page, decode_cursor, encode_cursor, fingerprint
from chalicelib.domain import org as orgs
from chalicelib.domain.campaign import Campaign, RuleRef
from chalicelib.domain.errors import InvalidInput

_INDEX_KEYS = {name: (h, r) for name, h, r in CAMPAIGN_INDEXES}
_DOMAIN_FIELDS = [f.name for f in fields(Campaign) if f.name not in ("rule", "own_rule", "location", "extra", "version")]


class StaleWrite(Exception):
    """The campaign changed since it was read: re-read and decide again."""


def worklist_state(c: Campaign) -> str | None:
    """Where an approved campaign stands in the feedback worklists (E, B)."""
    if c.status != "approved" or not c.feedback_required:
        return None
    return "submitted" if c.feedback_revision > 0 else "awaiting"


def index_keys(c: Campaign) -> dict[str, str | None]:
    tenant = orgs.tenant_of(c.org)
    keys: dict[str, str | None] = {
        "owner_id": c.owner_id,
        "created_key": f"{c.created_at}#{c.id}",
        "customer_key": f"{tenant}|{c.customer_id}",
        "customer_sk": f"{c.start_date}#{c.id}",
        "org_root": tenant,
        "org_sk": f"{orgs.subtree_prefix(c.org)}#{c.created_at}#{c.id}",
        "status_key": f"{tenant}|{c.status}",
        "category_key": f"{tenant}|{c.category}",
    }
    state = worklist_state(c)
    submitted = c.feedback_revision > 0
    for level in range(1, orgs.INDEXED_LEVELS + 1):
        node = orgs.ancestor(c.org, level)
        keys[f"fbq_l{level}"] = f"{state}|{node}" if state and node else None
        keys[f"fbd_l{level}"] = node if submitted and node else None
    keys["fbq_owner"] = f"{state}|{c.owner_id}" if state else None
    keys["fbq_sk"] = f"{c.feedback_due_date}#{c.id}" if state else None
    keys["fbd_owner"] = c.owner_id if submitted else None
    keys["fbd_sk"] = f"{c.feedback_submitted_at}#{c.id}" if submitted else None
    return keys


def _rule_to_map(rule: RuleRef | None) -> dict | None:
    if rule is None:
        return None
    return {"rule_id": rule.rule_id, "scope": rule.scope, "due_days": rule.due_days, "min_photos": rule.min_photos}


def _rule_from_map(m) -> RuleRef | None:
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
    if c.version is not None:
        m.version = c.version
    for name, value in index_keys(c).items():
        setattr(m, name, value)
    return m


def _int(v):
    return None if v is None else int(v)


def from_model(m: CampaignModel) -> Campaign:
    values = {name: getattr(m, name) for name in _DOMAIN_FIELDS}
    for name in ("expected_spend", "expected_sales", "expected_units", "requested_amount", "approved_amount",
                 "feedback_revision", "actual_spend", "actual_sales", "actual_units", "reimbursed_amount",
                 "proposed_amount", "proposed_from_revision"):
        values[name] = _int(values[name])
    location = m.location.as_dict() if m.location is not None else None
    return Campaign(**values, location=location, rule=_rule_from_map(m.rule), own_rule=_rule_from_map(m.own_rule),
                    version=m.version)


@dataclass(frozen=True)
class Query:
    """One page of campaigns from one index, narrowed by optional filters."""
    index: str
    hash_value: str
    range_condition: object | None = None       # built from CampaignModel attributes
    filter_condition: Condition | None = None
    newest_first: bool = True
    fingerprint: str = ""


class CampaignRepository:
    def get(self, campaign_id: str) -> Campaign | None:
        try:
            return from_model(CampaignModel.get(campaign_id, consistent_read=True))
        except DoesNotExist:
            return None

    def insert(self, c: Campaign) -> Campaign:
        m = to_model(c)
        m.save(condition=CampaignModel.id.does_not_exist())
        c.version = m.version
        return c

    def save(self, c: Campaign, condition: Condition | None = None) -> Campaign:
        """Write the whole campaign if nobody changed it since it was read (version check)."""
        m = to_model(c)
        try:
            m.save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise StaleWrite(c.id) from None
            raise
        c.version = m.version
        return c

    def model_for_transaction(self, c: Campaign) -> CampaignModel:
        return to_model(c)

    def query(self, q: Query, limit: int, cursor: str | None) -> Page[Campaign]:
        hash_attr, range_attr = _INDEX_KEYS[q.index]
        key_attrs = {"id", hash_attr, range_attr}
        start = decode_cursor(cursor, key_attrs, q.fingerprint)
        if start is not None and start[hash_attr]["S"] != q.hash_value:
            raise InvalidInput.field("cursor", "is not a cursor issued by this list with these filters")
        result = campaign_index(q.index).query(
            q.hash_value,
            range_key_condition=q.range_condition,
            filter_condition=q.filter_condition,
            scan_index_forward=not q.newest_first,
            limit=limit,
            page_size=limit,
            last_evaluated_key=start,
        )
        try:
            items = [from_model(m) for m in result]
        except QueryError as exc:
            if start is not None and exc.cause_response_code == "ValidationException":
                raise InvalidInput.field("cursor", "is not a cursor issued by this list with these filters") from None
            raise
        last = result.last_evaluated_key
        return Page(items=items, next_cursor=encode_cursor(last, q.fingerprint) if last else None,
                    items_read=result.page_iter.total_scanned_count)

    def iterate(self, q: Query, cursor: str | None, batch: int) -> tuple[list[Campaign], str | None]:
        """For sweeps on event paths: up to `batch` campaigns and where to continue."""
        page = self.query(q, batch, cursor)
        return page.items, page.next_cursor


def q(index: str, hash_value: str, *, range_condition=None, filters: Iterable[Condition | None] = (),
      newest_first: bool = True, fp_parts: tuple = ()) -> Query:
    conds = [f for f in filters if f is not None]
    combined = None
    for cond in conds:
        combined = cond if combined is None else combined & cond
    return Query(index=index, hash_value=hash_value, range_condition=range_condition, filter_condition=combined,
                 newest_first=newest_first, fingerprint=fingerprint(index, hash_value, *fp_parts))


def campaign_from_image(image: dict | None) -> Campaign | None:
    """A campaign from a stream record's NewImage/OldImage (DynamoDB JSON), None for no image."""
    if not image:
        return None
    return from_model(CampaignModel.from_raw_data(image))
