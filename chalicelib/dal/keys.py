"""How campaigns are found: every index, every key encoding, and one query plan per access pattern.

Plain Python (no pynamodb, no boto3): the DynamoDB repository runs a plan as one Query on one
index, the in-memory repository runs the same plan over a dict. So the two cannot disagree
about which campaigns a list holds or in which order.

Key encodings (written on every campaign save, read by the plans below):

| attribute | value | serves |
|---|---|---|
| `created_key` | `<created_at>#<id>` | by_owner (a rep's campaigns, newest first) |
| `customer_key`, `customer_sk` | `<tenant>\\|<customer>`, `<start_date>#<id>` | by_customer |
| `org_root`, `org_sk` | `<tenant>`, `<org>/#<created_at>#<id>` | by_org: a subtree is `begins_with(<org>/)` |
| `status_key`, `category_key` | `<tenant>\\|<status>`, `<tenant>\\|<category>` | by_status, by_category (with org_sk) |
| `fbq_l1..3`, `fbq_owner`, `fbq_sk` | `awaiting\\|<node>` or `submitted\\|<node>`, `<due_date>#<id>` | E and B |
| `fbd_l1..3`, `fbd_owner`, `fbd_sk` | `<node>`, `<submitted_at>#<id>` | D |
| `wait_l1..3`, `wait_sk` | an approver key at its depth (`<tenant>#leader` at 1), `<submitted_at>#<id>` | /me/approvals |

`#~` closes a range: `~` sorts after every character used in ids and dates.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.clock import business_day_start_utc, business_today, next_day, previous_day
from chalicelib.domain import org as orgs
from chalicelib.domain.access import Scope
from chalicelib.domain.approval import waiting_keys
from chalicelib.domain.campaign import Campaign, pending_approval
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.domain.search import CampaignFilters, FeedbackSearch, RequestSearch, due_window

# (index name, hash attribute, range attribute)
CAMPAIGN_INDEXES = (
    ("by_owner", "owner_id", "created_key"),  # rep's campaigns; ?owner=
    ("by_customer", "customer_key", "customer_sk"),  # ?customer_id=, customer history
    ("by_org", "org_root", "org_sk"),  # ?org= subtree via begins_with
    ("by_status", "status_key", "org_sk"),  # ?status= within an org subtree
    ("by_category", "category_key", "org_sk"),  # ?category= within a subtree; rule sweeps
    ("fbq_l1", "fbq_l1", "fbq_sk"),  # E: required feedback by state, group level
    ("fbq_l2", "fbq_l2", "fbq_sk"),  # … region level
    ("fbq_l3", "fbq_l3", "fbq_sk"),  # … province level
    ("fbq_owner", "fbq_owner", "fbq_sk"),  # B: my feedback requests
    ("fbd_l1", "fbd_l1", "fbd_sk"),  # D: submitted feedback newest first, group
    ("fbd_l2", "fbd_l2", "fbd_sk"),  # … region
    ("fbd_l3", "fbd_l3", "fbd_sk"),  # … province
    ("fbd_owner", "fbd_owner", "fbd_sk"),  # D: by owner
    ("wait_l1", "wait_l1", "wait_sk"),  # /me/approvals: a company's leader steps or root
    ("wait_l2", "wait_l2", "wait_sk"),  # … a region's steps
    ("wait_l3", "wait_l3", "wait_sk"),  # … a province's steps
)
INDEX_KEYS = {name: (h, r) for name, h, r in CAMPAIGN_INDEXES}
END = "#~"
AWAITING, SUBMITTED = "awaiting", "submitted"


def approval_levels(c: Campaign) -> dict[int, str]:
    """{index level: approver key} of the steps a submitted campaign waits on. Keys at depth 4
    and below are found through their province's key (a filter narrows them)."""
    approval = pending_approval(c)
    out: dict[int, str] = {}
    for key in waiting_keys(approval) if approval else ():
        node = key.split("#", 1)[0]
        level = orgs.depth(node)
        if level <= orgs.INDEXED_LEVELS:
            out[level] = key
    return out


def worklist_state(c: Campaign) -> str | None:
    """Where an approved campaign stands in the feedback worklists (E, B)."""
    if c.status != "approved" or not c.feedback_required:
        return None
    return SUBMITTED if c.feedback_revision > 0 else AWAITING


def index_keys(c: Campaign) -> dict[str, str | None]:
    """Every derived index attribute of a campaign (None: not in that sparse index)."""
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
    submitted = c.feedback_revision > 0 and c.status == "approved"  # a cancelled campaign leaves D
    for level in range(1, orgs.INDEXED_LEVELS + 1):
        node = orgs.ancestor(c.org, level)
        keys[f"fbq_l{level}"] = f"{state}|{node}" if state and node else None
        keys[f"fbd_l{level}"] = node if submitted and node else None
    keys["fbq_owner"] = f"{state}|{c.owner_id}" if state else None
    keys["fbq_sk"] = f"{c.feedback_due_date}#{c.id}" if state else None
    keys["fbd_owner"] = c.owner_id if submitted else None
    keys["fbd_sk"] = f"{c.feedback_submitted_at}#{c.id}" if submitted else None
    waits = approval_levels(c)
    for level in range(1, orgs.INDEXED_LEVELS + 1):
        keys[f"wait_l{level}"] = waits.get(level)
    keys["wait_sk"] = f"{c.submitted_at or c.created_at}#{c.id}" if waits else None
    return keys


# -- conditions and plans ---------------------------------------------------------------------
@dataclass(frozen=True)
class Cond:
    """A condition on one string attribute: eq, ne, prefix (begins_with) or between (inclusive)."""

    op: str
    attr: str
    value: str | tuple[str, str]  # a (low, high) pair for between

    def holds(self, item: Mapping[str, Any]) -> bool:
        v: str | None = item.get(self.attr)
        if self.op == "ne":
            return v != self.value
        if v is None:
            return False
        if isinstance(self.value, tuple):
            lo, hi = self.value
            return lo <= v <= hi
        if self.op == "eq":
            return v == self.value
        return v.startswith(self.value)


def eq(attr: str, value: str | None) -> Cond | None:
    return Cond("eq", attr, value) if value is not None else None


@dataclass(frozen=True)
class Plan:
    """One Query: an index, its hash key value, an optional range condition, filters, order.
    `fingerprint` binds cursors to the query that issued them."""

    index: str
    hash_value: str
    range: Cond | None = None
    filters: tuple[Cond, ...] = ()
    newest_first: bool = True
    fingerprint: tuple[object, ...] = ()

    @property
    def hash_attr(self) -> str:
        return INDEX_KEYS[self.index][0]

    @property
    def range_attr(self) -> str:
        return INDEX_KEYS[self.index][1]


def _plan(
    index: str,
    hash_value: str,
    rng: Cond | None = None,
    filters: Iterable[Cond | None] = (),
    newest_first: bool = True,
    fp: tuple[object, ...] = (),
) -> Plan:
    return Plan(
        index, hash_value, rng, tuple(f for f in filters if f is not None), newest_first, (index, hash_value, *fp)
    )


def _subtree(scope_org: str) -> Cond:
    return Cond("prefix", "org_sk", orgs.subtree_prefix(scope_org))


def list_plan(scope: Scope, f: CampaignFilters) -> Plan:
    """GET /campaigns: the most selective filter picks the index; the rest filter."""
    fp = ("list", scope, f)
    dates = None
    if f.date_from or f.date_to:
        dates = Cond("between", "start_date", (f.date_from or "0000-00-00", f.date_to or "9999-99-99"))
    status, category, customer = eq("status", f.status), eq("category", f.category), eq("customer_id", f.customer_id)
    if scope.owner:
        return _plan("by_owner", scope.owner, None, (_subtree(scope.org), status, category, customer, dates), fp=fp)
    if f.customer_id:
        rng = None
        if f.date_from or f.date_to:
            rng = Cond("between", "customer_sk", (f.date_from or "0000", (f.date_to or "9999-99-99") + END))
        return _plan(
            "by_customer", f"{scope.tenant}|{f.customer_id}", rng, (_subtree(scope.org), status, category), fp=fp
        )
    if f.status:
        return _plan("by_status", f"{scope.tenant}|{f.status}", _subtree(scope.org), (category, dates), fp=fp)
    if f.category:
        return _plan("by_category", f"{scope.tenant}|{f.category}", _subtree(scope.org), (dates,), fp=fp)
    return _plan("by_org", scope.tenant, _subtree(scope.org), (dates,), fp=fp)


def awaiting_feedback_plan(owner_id: str) -> Plan:
    """B: a rep's approved campaigns whose required feedback is still awaited, soonest due first."""
    return _plan("fbq_owner", f"{AWAITING}|{owner_id}", newest_first=False, fp=("mine",))


def _level(prefix: str, scope_org: str) -> tuple[str, str, Cond | None]:
    """The org-level index for a scope; scopes deeper than the indexed levels filter below it."""
    level = min(orgs.depth(scope_org), orgs.INDEXED_LEVELS)
    node = orgs.lineage(scope_org)[level - 1]
    narrower = _subtree(scope_org) if orgs.depth(scope_org) > level else None
    return f"{prefix}_l{level}", node, narrower


def submitted_feedback_plan(scope: Scope, f: FeedbackSearch) -> Plan:
    """D: campaigns with submitted feedback, newest submission first. The filter's dates are
    Asia/Shanghai business days; submission times are UTC instants."""
    submitted = None
    if f.submitted_from or f.submitted_to:
        lo = business_day_start_utc(f.submitted_from) if f.submitted_from else "0"
        hi = business_day_start_utc(next_day(f.submitted_to)) if f.submitted_to else "~"
        submitted = Cond("between", "fbd_sk", (lo, hi))
    filters = (eq("category", f.category), eq("customer_id", f.customer_id), eq("feedback_kind", f.kind))
    fp = ("D", scope, f)
    if scope.owner:
        return _plan("fbd_owner", scope.owner, submitted, (_subtree(scope.org), *filters), fp=fp)
    index, node, narrower = _level("fbd", scope.org)
    return _plan(index, node, submitted, (narrower, *filters), fp=fp)


def feedback_requests_plan(scope: Scope, f: RequestSearch, today: str, yesterday: str) -> Plan | None:
    """E: campaigns whose feedback is required, soonest due first; None when nothing can match."""
    window = due_window(f, today, yesterday)
    if window is None:
        return None
    state = SUBMITTED if f.status == "submitted" else AWAITING
    due = Cond("between", "fbq_sk", (window[0], window[1] + END))
    filters = (eq("category", f.category), eq("customer_id", f.customer_id))
    fp = ("E", scope, f, today)
    if scope.owner:
        return _plan(
            "fbq_owner", f"{state}|{scope.owner}", due, (_subtree(scope.org), *filters), newest_first=False, fp=fp
        )
    index, node, narrower = _level("fbq", scope.org)
    return _plan(index, f"{state}|{node}", due, (narrower, *filters), newest_first=False, fp=fp)


def rule_coverage_plan(tenant: str, category: str | None) -> Plan:
    """The campaigns a category rule (or, without a category, a company-wide rule) covers."""
    not_reimbursed = Cond("ne", "reimbursement_status", "reimbursed")
    if category is not None:
        return _plan("by_category", f"{tenant}|{category}", None, (not_reimbursed,), fp=("sweep",))
    return _plan("by_org", tenant, None, (not_reimbursed,), fp=("sweep",))


def approvals_plan(key: str) -> Plan:
    """/me/approvals, one approver key: submitted campaigns waiting on it, oldest submitted
    first. A manager deeper than the indexed levels reads their province's key, narrowed to
    their subtree."""
    node = key.split("#", 1)[0]
    level = min(orgs.depth(node), orgs.INDEXED_LEVELS)
    if orgs.depth(node) > level:
        return _plan(
            f"wait_l{level}",
            orgs.lineage(node)[level - 1],
            None,
            (_subtree(node),),
            newest_first=False,
            fp=("approvals", key),
        )
    return _plan(f"wait_l{level}", key, newest_first=False, fp=("approvals", key))


def overlap_plan(tenant: str, customer_id: str, category: str, start_date: str, end_date: str) -> Plan:
    """A customer's live applications of one category on days that meet [start, end]: those
    starting by `end_date` (the key condition) and ending on or after `start_date`."""
    live = (Cond("ne", "status", "draft"), Cond("ne", "status", "rejected"), Cond("ne", "status", "cancelled"))
    return _plan(
        "by_customer",
        f"{tenant}|{customer_id}",
        Cond("between", "customer_sk", ("0000", end_date + END)),
        (eq("category", category), Cond("between", "end_date", (start_date, "9999-12-31")), *live),
        fp=("overlap", category, start_date),
    )


def customer_plan(tenant: str, customer_id: str, owner_id: str | None) -> Plan:
    """A customer's campaigns (optionally one owner's), newest start first."""
    return _plan("by_customer", f"{tenant}|{customer_id}", None, (eq("owner_id", owner_id),), fp=("customer",))


def cursor_key(plan: Plan, c: Campaign) -> dict[str, str]:
    """What a cursor after `c` holds: its id and its key in the index `plan` queries (both set,
    since `c` was found in that index)."""
    ids = index_keys(c)
    hash_value, range_value = ids[plan.hash_attr], ids[plan.range_attr]
    assert hash_value is not None and range_value is not None, "a campaign found in an index has its keys"
    return {"id": c.id, plan.hash_attr: hash_value, plan.range_attr: range_value}


class CampaignQueries:
    """The campaign access patterns, one method each, for any store that can run a Plan.
    The DynamoDB and in-memory repositories implement only `_run`."""

    def _run(self, plan: Plan, page: PageRequest) -> Page[Campaign]:
        raise NotImplementedError

    def list(self, scope: Scope, f: CampaignFilters, page: PageRequest) -> Page[Campaign]:
        """GET /campaigns and customer history."""
        return self._run(list_plan(scope, f), page)

    def awaiting_feedback(self, owner_id: str, page: PageRequest) -> Page[Campaign]:
        """B."""
        return self._run(awaiting_feedback_plan(owner_id), page)

    def submitted_feedback(self, scope: Scope, f: FeedbackSearch, page: PageRequest) -> Page[Campaign]:
        """D."""
        return self._run(submitted_feedback_plan(scope, f), page)

    def feedback_requests(
        self, scope: Scope, f: RequestSearch, page: PageRequest, today: str | None = None
    ) -> Page[Campaign]:
        """E, as of `today` (an Asia/Shanghai date; default: now)."""
        today = today or business_today()
        plan = feedback_requests_plan(scope, f, today, previous_day(today))
        return self._run(plan, page) if plan is not None else Page()

    def covered_by_rule(self, tenant: str, category: str | None, page: PageRequest) -> Page[Campaign]:
        """Campaigns not yet reimbursed that a category (or company-wide) rule covers."""
        return self._run(rule_coverage_plan(tenant, category), page)

    def of_customer(self, tenant: str, customer_id: str, owner_id: str | None = None) -> builtins.list[Campaign]:
        """Every campaign of a customer (optionally one owner's), newest start first."""
        return self._all(customer_plan(tenant, customer_id, owner_id))

    def awaiting_approval(self, approver_keys: builtins.list[str], page: PageRequest) -> Page[Campaign]:
        """Submitted campaigns whose next step waits on any of the approver keys, oldest
        submitted first: one Query per key, merged. The cursor holds each key's position, so
        a page reads at most `limit` items per key (read amplification ≤ the number of keys)."""
        import heapq

        from chalicelib.dal.paging import decode_positions, encode_cursor, encode_positions, fingerprint

        keys = sorted(set(approver_keys))
        state = decode_positions(page.cursor, keys)  # each key's cursor; None: from the start; "": done
        fetched: dict[str, Page[Campaign]] = {}
        merged: builtins.list[tuple[str, str, str, Campaign]] = []
        for key in keys:
            if state[key] == "":
                continue
            fetched[key] = self._run(approvals_plan(key), PageRequest(page.limit, state[key]))
            merged += [(index_keys(c)["wait_sk"] or "", c.id, key, c) for c in fetched[key].items]
        taken: builtins.list[Campaign] = []
        seen: set[str] = set()
        last: dict[str, Campaign] = {}
        for _, cid, key, c in heapq.nsmallest(page.limit, merged):
            last[key] = c
            if cid not in seen:
                seen.add(cid)
                taken.append(c)
        for key, found in fetched.items():
            if key not in last:
                continue  # nothing of it shown: stays put
            if last[key].id == found.items[-1].id:
                state[key] = found.next_cursor or ""
            else:
                plan = approvals_plan(key)
                state[key] = encode_cursor(cursor_key(plan, last[key]), fingerprint(*plan.fingerprint))
        for key, found in fetched.items():
            if not found.items:
                state[key] = found.next_cursor or ""  # nothing (more) under this key
        return Page(items=taken, next_cursor=encode_positions(state))

    def overlapping(self, c: Campaign) -> builtins.list[Campaign]:
        """The customer's other live applications of the same category on overlapping days."""
        from chalicelib.domain.campaign import overlaps

        found = self._all(overlap_plan(orgs.tenant_of(c.org), c.customer_id, c.category, c.start_date, c.end_date))
        return [other for other in found if overlaps(c, other)]

    def _all(self, plan: Plan) -> builtins.list[Campaign]:
        out: builtins.list[Campaign] = []
        cursor: str | None = None
        while True:
            page = self._run(plan, PageRequest(200, cursor))
            out += page.items
            cursor = page.next_cursor
            if cursor is None:
                return out
