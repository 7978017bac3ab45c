"""Budgets and their ledgers (DynamoDB, the control table).

| item | pk | sk | by_group gpk | by_group gsk |
|---|---|---|---|---|
| budget | `budget#<id>` | `budget` | `budgets#<tenant>` | `<org>/#<period>#<category or *>` |
| scope | `scope#<tenant>\\|<org>\\|<period>\\|<category or *>` | `scope` | | |
| ledger entry | `budget#<id>` | `entry#<entry id>` (ULIDs: oldest first) | | |
| booked fact | `budget#<id>` | `key#<entry key>` (e.g. `key#reserve#<campaign id>`) | | |

A budget's figures are attributes changed only with ADD, each change conditional on the
kept `available` still covering what it takes, so racing reservations never overspend and
need no version; an amount change (PATCH) is also conditional on the budget's version. Each
ledger entry travels with a "booked fact" item named by its business key, put only if absent:
a fact (one reserve per campaign, one adjust per budget version …) is booked once even by a
caller that read stale state and made a fresh entry id. The
scope item makes (org, period, category) unique; coverage reads the scopes that could cover
a campaign in one BatchGetItem (at most 48 keys) and takes the most specific that exists.
"""

from __future__ import annotations

import json

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from chalicelib.dal.errors import BudgetShort
from chalicelib.dal.models import ControlModel as C
from chalicelib.dal.paging import (
    BAD_CURSOR,
    decode_cursor,
    encode_cursor,
    fingerprint,
    from_dynamo_key,
    to_dynamo_key,
)
from chalicelib.dal.writes import Immediately, Together, Writes, all_or_nothing
from chalicelib.domain import org as orgs
from chalicelib.domain.audit import Person
from chalicelib.domain.budget import Budget, BudgetScope, Delta, Effect, LedgerEntry, coverage_scopes
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.pages import Page, PageRequest

BUDGET, SCOPE, ENTRY, BOOKED = "budget", "scope", "entry#", "key#"


def _budget_pk(budget_id: str) -> str:
    return f"budget#{budget_id}"


def scope_key(tenant: str, scope: BudgetScope) -> str:
    return f"scope#{tenant}|{scope.org}|{scope.period}|{scope.category or '*'}"


def _group_sk(org: str, period: str, category: str | None) -> str:
    return f"{orgs.subtree_prefix(org)}#{period}#{category or '*'}"


def _to_budget(m: C) -> Budget:
    data = json.loads(m.data)
    return Budget(
        id=data["id"],
        tenant=data["tenant"],
        org=data["org"],
        period=data["period"],
        category=data.get("category"),
        amount=int(m.amount),
        allocated=int(m.allocated),
        reserved=int(m.reserved),
        consumed=int(m.consumed),
        parent_id=data.get("parent_id"),
        created_at=data.get("created_at", ""),
        updated_at=m.updated_at or "",
        version=int(m.version or 0),
    )


def _to_entry(m: C) -> LedgerEntry:
    d = json.loads(m.data)
    return LedgerEntry(
        id=d["id"],
        ledger_id=d["ledger_id"],
        kind=d["kind"],
        amount=int(d["amount"]),
        at=d["at"],
        by=Person.from_dict(d["by"]),
        key=d["key"],
        campaign_id=d.get("campaign_id"),
        budget_id=d.get("budget_id"),
    )


class BudgetRepository:
    def __init__(self, writes: Writes | None = None) -> None:
        self._writes = writes or Immediately()

    # -- reads ---------------------------------------------------------------------------------
    def get(self, budget_id: str) -> Budget | None:
        try:
            return _to_budget(C.get(_budget_pk(budget_id), BUDGET, consistent_read=True))
        except DoesNotExist:
            return None

    def covering(self, campaign_org: str, category: str, start_date: str) -> Budget | None:
        """The most specific budget covering a campaign (deepest org, category over none,
        shortest period), or None: one BatchGetItem of the scopes, one GetItem of the budget."""
        tenant = orgs.tenant_of(campaign_org)
        scopes = coverage_scopes(campaign_org, category, start_date)
        keys = [scope_key(tenant, s) for s in scopes]
        found = {m.pk: m.budget_id for m in C.batch_get([(k, SCOPE) for k in keys])}
        for key in keys:
            if key in found:
                return self.get(found[key])
        return None

    def list(
        self,
        tenant: str,
        org: str,
        ancestors: tuple[str, ...],
        period: str | None,
        category: str | None,
        page: PageRequest,
    ) -> Page[Budget]:
        """A company's budgets of the subtree `org` (org order), after the own budgets of each
        of `ancestors` (on the first page only). `period` and `category` narrow them."""
        filters = None
        if period:
            filters = C.period == period
        if category:
            filters = (C.category == category) if filters is None else filters & (C.category == category)
        fp = fingerprint("budgets", tenant, org, ancestors, period, category)
        start = decode_cursor(page.cursor, {"pk", "sk", "gpk", "gsk"}, fp)
        if start is not None and (
            start["gpk"] != f"budgets#{tenant}"
            or not start["gsk"].startswith(orgs.subtree_prefix(org))
            or not start["pk"].startswith("budget#")
            or start["sk"] != BUDGET
        ):
            raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)  # a cursor forged to read elsewhere
        items: list[Budget] = []
        if start is None:
            for node in ancestors:
                items += [
                    _to_budget(m)
                    for m in C.by_group.query(
                        f"budgets#{tenant}", C.gsk.startswith(orgs.subtree_prefix(node) + "#"), filter_condition=filters
                    )
                ]
        result = C.by_group.query(
            f"budgets#{tenant}",
            C.gsk.startswith(orgs.subtree_prefix(org)),
            filter_condition=filters,
            limit=page.limit,
            page_size=page.limit,
            last_evaluated_key=to_dynamo_key(start),
        )
        items += [_to_budget(m) for m in result]
        return Page(items=items, next_cursor=encode_cursor(from_dynamo_key(result.last_evaluated_key), fp))

    def entries(self, budget_id: str, page: PageRequest) -> Page[LedgerEntry]:
        """A budget's ledger, oldest first."""
        fp = fingerprint("ledger", budget_id)
        start = decode_cursor(page.cursor, {"pk", "sk"}, fp)
        if start is not None and (start["pk"] != _budget_pk(budget_id) or not start["sk"].startswith(ENTRY)):
            raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)  # a cursor forged to read another ledger
        result = C.query(
            _budget_pk(budget_id),
            C.sk.startswith(ENTRY),
            consistent_read=True,
            limit=page.limit,
            page_size=page.limit,
            last_evaluated_key=to_dynamo_key(start),
        )
        items = [_to_entry(m) for m in result]
        return Page(items=items, next_cursor=encode_cursor(from_dynamo_key(result.last_evaluated_key), fp))

    # -- writes ----------------------------------------------------------------------------------
    def apply(self, effect: Effect, versioned: dict[str, int] | None = None) -> None:
        """Write what an operation does to budgets: the budget it creates (with its scope), a
        conditional update per delta, and every ledger entry with the item that books its key
        (absent, or the whole unit of work is refused as stale: the fact is already booked).
        `versioned`: budgets whose version must still be the one read (an amount change)."""
        with all_or_nothing(self._writes) as writes:
            if effect.created is not None:
                self._create(writes, effect.created)
            for delta in effect.deltas:
                self._move(writes, delta, (versioned or {}).get(delta.budget_id))
            for entry in effect.entries:
                data = {**entry.as_dict(), "ledger_id": entry.ledger_id, "key": entry.key}
                pk = _budget_pk(entry.ledger_id)
                writes.put(C(pk, ENTRY + entry.id, data=json.dumps(data, ensure_ascii=False)), C.pk.does_not_exist())
                writes.put(C(pk, BOOKED + entry.key, data=json.dumps({"entry_id": entry.id})), C.pk.does_not_exist())

    @staticmethod
    def _create(writes: Together, b: Budget) -> None:
        data = {
            "id": b.id,
            "tenant": b.tenant,
            "org": b.org,
            "period": b.period,
            "category": b.category,
            "parent_id": b.parent_id,
            "created_at": b.created_at,
        }
        writes.put(
            C(
                _budget_pk(b.id),
                BUDGET,
                gpk=f"budgets#{b.tenant}",
                gsk=_group_sk(b.org, b.period, b.category),
                data=json.dumps(data, ensure_ascii=False),
                amount=b.amount,
                allocated=b.allocated,
                reserved=b.reserved,
                consumed=b.consumed,
                available=b.available,
                version=0,
                updated_at=b.updated_at,
                period=b.period,
                category=b.category or "*",
            ),
            C.pk.does_not_exist(),
        )
        writes.put(
            C(scope_key(b.tenant, b.scope), SCOPE, budget_id=b.id),
            C.pk.does_not_exist(),
            conflict=lambda: Conflict(
                "a budget already exists for this org, period and category", code="budget_exists"
            ),
        )

    @staticmethod
    def _move(writes: Together, d: Delta, version: int | None) -> None:
        from chalicelib.clock import now_iso

        actions: list[Action] = [C.updated_at.set(now_iso())]
        for name, value in (
            ("amount", d.amount),
            ("allocated", d.allocated),
            ("reserved", d.reserved),
            ("consumed", d.consumed),
            ("available", d.available),
        ):
            if value:
                actions.append(getattr(C, name).add(value))
        condition = C.pk.exists()
        if d.needs_available:
            condition = condition & (C.available >= d.needs_available)
        if version is not None:
            condition = condition & (C.version == version)
            actions.append(C.version.add(1))
        writes.update(C(_budget_pk(d.budget_id), BUDGET), actions, condition, conflict=lambda: BudgetShort(d))
