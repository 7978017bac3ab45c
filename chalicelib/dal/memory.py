"""In-memory storage: the same repositories as the DynamoDB ones, over dicts.

For tests of business rules (tests/unit/use_cases/): a use case runs against it in
microseconds, with no moto. It keeps the semantics the use cases rely on:

* every write is conditional exactly as in DynamoDB (versions, absence, checked ETags), and a
  lost condition raises the same StaleWrite (or the write's own conflict);
* a unit of work checks every condition first and then applies every write, or none;
* lists run the same query plans (dal/keys.py) over the same index keys, so membership,
  order and cursors match the DynamoDB repository.

What it does not model: eventual consistency of indexes, capacity, item size limits.
Nothing in production imports this module.
"""

from __future__ import annotations

import base64
import builtins
import copy
import hashlib
import hmac
import ipaddress
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from chalicelib.dal import keys, ports
from chalicelib.dal.errors import AlreadyDecided, InvoiceTaken, ObjectMissing, RuleTargetTaken
from chalicelib.dal.objects import StoredObject, dead_letter_key, quarantine_key
from chalicelib.dal.paging import BAD_CURSOR, decode_cursor, encode_cursor, fingerprint
from chalicelib.dal.rollups import roi_key
from chalicelib.domain import org as orgs
from chalicelib.domain.approval import ApprovalPolicy, Delegation
from chalicelib.domain.audit import AuditEntry, Person
from chalicelib.domain.budget import Budget, BudgetScope, Delta, Effect, LedgerEntry, apply_delta, coverage_scopes
from chalicelib.domain.campaign import Campaign, RuleRef
from chalicelib.domain.changes import KEEP_SECONDS, Change, FeedEntry
from chalicelib.domain.errors import Conflict, InvalidInput, StaleWrite
from chalicelib.domain.evidence import Attachment, Candidate
from chalicelib.domain.feedback import FeedbackReport, FeedbackRule, Sweep
from chalicelib.domain.invoices import Invoice, InvoiceRef, SettlementPolicy
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.domain.rollups import (
    OVERFLOW,
    Metrics,
    Placement,
    RowKey,
    Standing,
    capped,
    exact_kept,
    is_exact,
    without_exact,
)
from chalicelib.domain.visits import Visit
from chalicelib.domain.vouchers import Accounting, ExportItem, ExportState, VoucherBatch
from chalicelib.domain.webhooks import Answer, Delivery, Outgoing, SealedSecret, Webhook

if TYPE_CHECKING:
    from chalicelib.domain.mail import Mail

ConflictFactory = Callable[[], BaseException]


@dataclass
class _Op:
    holds: Callable[[], bool]
    apply: Callable[[], object]  # what it returns is ignored
    conflict: ConflictFactory = StaleWrite
    kind: str = "put"  # what DynamoDB is sent: check, delete, put or update


#: The order in which a DynamoDB transaction's writes are sent, and so the order in which its
#: failed conditions are reported (dal/writes.py): of several failing conditions, the first
#: sent decides what the caller is told.
_SENT_ORDER = {"check": 0, "delete": 1, "put": 2, "update": 3}


class _Writes:
    """Immediate writes (each checked and applied under the storage's lock)."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock

    def write(self, op: _Op) -> None:
        with self.lock:
            if not op.holds():
                raise op.conflict()
            op.apply()

    def after(self, callback: Callable[[], None]) -> None:
        callback()


class _Together(_Writes):
    """A unit of work: every condition is checked (in the order DynamoDB reports them), then every
    write applied, under one lock."""

    def __init__(self, lock: threading.RLock) -> None:
        super().__init__(lock)
        self.ops: list[_Op] = []
        self.callbacks: list[Callable[[], None]] = []

    def write(self, op: _Op) -> None:
        self.ops.append(op)

    def after(self, callback: Callable[[], None]) -> None:
        self.callbacks.append(callback)

    def commit(self) -> None:
        with self.lock:
            for op in sorted(self.ops, key=lambda o: _SENT_ORDER[o.kind]):
                if not op.holds():
                    raise op.conflict()
            for op in self.ops:
                op.apply()
        for callback in self.callbacks:
            callback()


_Object = tuple[bytes, str, dict[str, str], str]  # body, content type, user metadata, ETag


@dataclass
class _Tables:
    """Everything stored, shared by the immediate and the unit-of-work repositories."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    feedback: dict[tuple[str, str], FeedbackReport] = field(default_factory=dict)
    rules: dict[str, dict[str, FeedbackRule]] = field(default_factory=dict)
    rule_claims: dict[str, str] = field(default_factory=dict)  # target → the rule holding it
    sweeps: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    attachments: dict[tuple[str, str], Attachment] = field(default_factory=dict)
    photo_index: dict[str, dict[str, Candidate]] = field(default_factory=dict)
    visits: dict[tuple[str, str], Visit] = field(default_factory=dict)
    rollups: dict[RowKey, Metrics] = field(default_factory=dict)
    labels: dict[RowKey, str] = field(default_factory=dict)
    markers: set[str] = field(default_factory=set)
    standings: set[Standing] = field(default_factory=set)
    placements: dict[str, Placement] = field(default_factory=dict)  # by campaign id
    tenants: set[str] = field(default_factory=set)
    reports: dict[tuple[str, str], ports.Report] = field(default_factory=dict)
    subscriptions: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    reminders: set[tuple[str, str, str]] = field(default_factory=set)
    objects: dict[tuple[str, str], _Object] = field(default_factory=dict)  # by (bucket, key)
    idempotency: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    budgets: dict[str, Budget] = field(default_factory=dict)
    budget_scopes: dict[tuple[str, BudgetScope], str] = field(default_factory=dict)
    ledger: dict[str, dict[str, LedgerEntry]] = field(default_factory=dict)
    policies: dict[str, tuple[ApprovalPolicy, dict[str, Any]]] = field(default_factory=dict)
    settlement_policies: dict[str, SettlementPolicy] = field(default_factory=dict)
    invoices: dict[tuple[str, str], Invoice] = field(default_factory=dict)  # by (tenant, key)
    delegations: dict[tuple[str, str], Delegation] = field(default_factory=dict)
    audit: dict[str, dict[int, AuditEntry]] = field(default_factory=dict)
    webhooks: dict[tuple[str, str], Webhook] = field(default_factory=dict)  # by (tenant, id)
    deliveries: dict[tuple[str, str, str], Delivery] = field(default_factory=dict)  # (tenant, webhook, event)
    feed: dict[str, dict[int, tuple[FeedEntry, float]]] = field(default_factory=dict)  # entry, expires at
    feed_facts: dict[str, set[str]] = field(default_factory=dict)
    feed_heads: dict[str, int] = field(default_factory=dict)  # a partition's last seq (never expires)
    accounting: dict[str, Accounting] = field(default_factory=dict)
    export_states: dict[str, ExportState] = field(default_factory=dict)
    exports: dict[str, dict[str, ExportItem]] = field(default_factory=dict)  # tenant → export key → item
    voucher_batches: dict[str, dict[str, VoucherBatch]] = field(default_factory=dict)  # tenant → id → batch


# -- campaigns -------------------------------------------------------------------------------
_CAMPAIGN_FIELDS = [f.name for f in fields(Campaign)]


def _item(c: Campaign) -> dict[str, Any]:
    """What a campaign looks like to a query: its plain fields and its index keys."""
    item = {name: getattr(c, name) for name in _CAMPAIGN_FIELDS}
    item.update(keys.index_keys(c))
    return item


class MemoryCampaigns(keys.CampaignQueries):
    def __init__(self, t: _Tables, writes: _Writes) -> None:
        self._t, self._writes = t, writes

    def get(self, campaign_id: str) -> Campaign | None:
        c = self._t.campaigns.get(campaign_id)
        return copy.deepcopy(c) if c is not None else None

    def get_many(self, campaign_ids: list[str]) -> list[Campaign]:
        return [copy.deepcopy(self._t.campaigns[i]) for i in sorted(set(campaign_ids)) if i in self._t.campaigns]

    def insert(self, c: Campaign) -> Campaign:
        return self._put(c, lambda: c.id not in self._t.campaigns and c.version is None)

    def save(self, c: Campaign) -> Campaign:
        def same_version() -> bool:
            stored = self._t.campaigns.get(c.id)
            return (stored.version if stored else None) == c.version

        return self._put(c, same_version)

    def _put(self, c: Campaign, holds: Callable[[], bool]) -> Campaign:
        new_version = (c.version or 0) + 1
        snapshot = copy.deepcopy(c)
        snapshot.version = new_version

        def apply() -> None:
            self._t.campaigns[c.id] = snapshot

        self._writes.write(_Op(holds, apply))

        def learn_version() -> None:
            c.version = new_version

        self._writes.after(learn_version)
        return c

    def _run(self, plan: keys.Plan, page: PageRequest) -> Page[Campaign]:
        fp = fingerprint(*plan.fingerprint)
        h, r = plan.hash_attr, plan.range_attr
        start = decode_cursor(page.cursor, {"id", h, r}, fp)
        if start is not None and start[h] != plan.hash_value:
            raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
        with self._t.lock:
            items = [_item(c) for c in self._t.campaigns.values()]
        indexed = [
            i
            for i in items
            if i.get(h) == plan.hash_value and i.get(r) is not None and (plan.range is None or plan.range.holds(i))
        ]
        indexed.sort(key=lambda i: i[r], reverse=plan.newest_first)
        if start is not None:
            after = start[r]
            indexed = [i for i in indexed if (i[r] < after if plan.newest_first else i[r] > after)]
        matching = [i for i in indexed if all(f.holds(i) for f in plan.filters)][: page.limit]
        cursor = None
        if matching and len(matching) == page.limit:
            last = matching[-1]
            cursor = encode_cursor({"id": last["id"], h: last[h], r: last[r]}, fp)
        return Page(items=[copy.deepcopy(self._t.campaigns[i["id"]]) for i in matching], next_cursor=cursor)


# -- feedback --------------------------------------------------------------------------------
class MemoryFeedback:
    def __init__(self, t: _Tables, writes: _Writes) -> None:
        self._t, self._writes = t, writes

    @staticmethod
    def _key(r: FeedbackReport) -> tuple[str, str]:
        return r.campaign_id, "draft" if r.status == "draft" else f"rev#{r.revision:06d}"

    def draft(self, campaign_id: str) -> FeedbackReport | None:
        r = self._t.feedback.get((campaign_id, "draft"))
        return copy.deepcopy(r) if r else None

    def save_draft(self, report: FeedbackReport) -> FeedbackReport:
        snapshot = copy.deepcopy(report)
        self._writes.write(_Op(lambda: True, lambda: self._t.feedback.__setitem__(self._key(snapshot), snapshot)))
        return report

    def delete_draft(self, campaign_id: str) -> None:
        self._writes.write(_Op(lambda: True, lambda: self._t.feedback.pop((campaign_id, "draft"), None), kind="delete"))

    def insert_revision(self, report: FeedbackReport) -> None:
        snapshot = copy.deepcopy(report)
        key = self._key(snapshot)
        self._writes.write(
            _Op(lambda: key not in self._t.feedback, lambda: self._t.feedback.__setitem__(key, snapshot))
        )

    def _revisions(self, campaign_id: str) -> list[FeedbackReport]:
        with self._t.lock:
            found = [(k[1], r) for k, r in self._t.feedback.items() if k[0] == campaign_id and k[1] != "draft"]
        return [copy.deepcopy(r) for _, r in sorted(found, reverse=True)]

    def latest_submitted(self, campaign_id: str) -> FeedbackReport | None:
        revisions = self._revisions(campaign_id)
        return revisions[0] if revisions else None

    def revisions(self, campaign_id: str, page: PageRequest) -> Page[FeedbackReport]:
        fp = fingerprint("revisions", campaign_id)
        start = decode_cursor(page.cursor, {"campaign_id", "sk"}, fp)
        if start is not None and start["campaign_id"] != campaign_id:
            raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
        found = [r for r in self._revisions(campaign_id) if start is None or f"rev#{r.revision:06d}" < start["sk"]][
            : page.limit
        ]
        cursor = None
        if found and len(found) == page.limit:
            cursor = encode_cursor({"campaign_id": campaign_id, "sk": f"rev#{found[-1].revision:06d}"}, fp)
        return Page(items=found, next_cursor=cursor)


# -- rules -----------------------------------------------------------------------------------
class MemoryRules:
    def __init__(self, t: _Tables, writes: _Writes) -> None:
        self._t, self._writes = t, writes

    def insert(self, rule: FeedbackRule) -> FeedbackRule:
        snapshot = copy.deepcopy(rule)
        self._writes.write(
            _Op(
                lambda: rule.target not in self._t.rule_claims,
                lambda: self._t.rule_claims.__setitem__(rule.target, rule.id),
                RuleTargetTaken,
            )
        )
        self._writes.write(
            _Op(
                lambda: rule.id not in self._t.rules.get(rule.target, {}),
                lambda: self._t.rules.setdefault(rule.target, {}).__setitem__(rule.id, snapshot),
            )
        )
        return rule

    def claimed_by(self, target: str) -> str | None:
        with self._t.lock:
            return self._t.rule_claims.get(target)

    def get(self, tenant: str, rule_id: str) -> FeedbackRule | None:
        for by_id in self._t.rules.values():
            if rule_id in by_id and by_id[rule_id].tenant == tenant:
                return copy.deepcopy(by_id[rule_id])
        return None

    def delete(self, rule: FeedbackRule, release_claim: bool) -> None:
        self._writes.write(
            _Op(lambda: True, lambda: self._t.rules.get(rule.target, {}).pop(rule.id, None), kind="delete")
        )
        if release_claim:
            self._writes.write(
                _Op(
                    lambda: self._t.rule_claims.get(rule.target) == rule.id,
                    lambda: self._t.rule_claims.pop(rule.target),
                    kind="delete",
                )
            )

    def list(self, tenant: str, page: PageRequest) -> Page[FeedbackRule]:
        fp = fingerprint("rules", tenant)
        start = decode_cursor(page.cursor, {"target", "id", "rule_tenant"}, fp)
        with self._t.lock:
            found = sorted(
                (r for by_id in self._t.rules.values() for r in by_id.values() if r.tenant == tenant),
                key=lambda r: r.id,
                reverse=True,
            )
        if start is not None:
            found = [r for r in found if r.id < start["id"]]
        found = found[: page.limit]
        cursor = None
        if found and len(found) == page.limit:
            last = found[-1]
            cursor = encode_cursor({"target": last.target, "id": last.id, "rule_tenant": tenant}, fp)
        return Page(items=[copy.deepcopy(r) for r in found], next_cursor=cursor)

    def newest(self, target: str) -> RuleRef | None:
        by_id = self._t.rules.get(target) or {}
        return by_id[max(by_id)].ref() if by_id else None

    def start_sweep(self, rule: FeedbackRule, change: str) -> bool:
        key = (rule.id, change)
        state = {
            "tenant": rule.tenant,
            "scope": rule.scope,
            "category": rule.category,
            "campaign_id": rule.campaign_id,
            "cursor": None,
            "done": False,
            "updated": 0,
        }
        with self._t.lock:
            if key in self._t.sweeps:
                return False
            self._t.sweeps[key] = state
        return True

    def sweep(self, rule_id: str, change: str) -> Sweep | None:
        """The sweep's progress as its stream record would carry it (memory only: tests drive it)."""
        s = self._t.sweeps.get((rule_id, change))
        if s is None:
            return None
        return Sweep(
            rule_id=rule_id,
            change=change,
            tenant=s["tenant"],
            scope=s["scope"],
            category=s["category"],
            campaign_id=s["campaign_id"],
            cursor=s["cursor"],
            done=s["done"],
        )

    def advance_sweep(self, sweep: Sweep, next_cursor: str | None, updated: int) -> bool:
        with self._t.lock:
            s = self._t.sweeps.get((sweep.rule_id, sweep.change))
            if s is None or s["done"] or s["cursor"] != sweep.cursor:
                return False
            s.update(cursor=next_cursor, done=next_cursor is None, updated=s["updated"] + updated)
        return True


# -- evidence --------------------------------------------------------------------------------
class MemoryEvidence:
    def __init__(self, t: _Tables, writes: _Writes) -> None:
        self._t, self._writes = t, writes

    def get(self, campaign_id: str, attachment_id: str) -> Attachment | None:
        a = self._t.attachments.get((campaign_id, attachment_id))
        return copy.deepcopy(a) if a else None

    def list(self, campaign_id: str) -> builtins.list[Attachment]:
        with self._t.lock:
            found = sorted((a for (c, _), a in self._t.attachments.items() if c == campaign_id), key=lambda a: a.id)
        return [copy.deepcopy(a) for a in found]

    def insert(self, a: Attachment) -> Attachment:
        key, snapshot = (a.campaign_id, a.id), copy.deepcopy(a)
        self._writes.write(
            _Op(lambda: key not in self._t.attachments, lambda: self._t.attachments.__setitem__(key, snapshot))
        )
        return a

    def _index(self, a: Attachment) -> builtins.list[tuple[str, str, Candidate]]:
        from chalicelib.dal.evidence import band_keys

        out = []
        for variant, h in zip(("full", "crop"), (a.phash, a.phash_crop), strict=True):
            if h:
                out += [
                    (band, f"{a.id}#{variant}", Candidate(a.id, a.campaign_id, h)) for band in band_keys(a.tenant, h)
                ]
        return out

    def record_check(self, a: Attachment, etag: str, retired: Attachment | None = None) -> None:
        key, snapshot = (a.campaign_id, a.id), copy.deepcopy(a)

        def holds() -> bool:
            stored = self._t.attachments.get(key)
            return stored is not None and stored.checked_etag != etag

        def apply() -> None:
            for band, entry, _ in self._index(retired) if retired is not None else []:
                self._t.photo_index.get(band, {}).pop(entry, None)
            if a.status == "ready":
                for band, entry, candidate in self._index(a):
                    self._t.photo_index.setdefault(band, {})[entry] = candidate
            self._t.attachments[key] = snapshot

        self._writes.write(_Op(holds, apply, lambda: AlreadyDecided(a.id)))

    def delete(self, a: Attachment) -> None:
        key = (a.campaign_id, a.id)

        def holds() -> bool:
            stored = self._t.attachments.get(key)
            return stored is not None and stored.checked_etag == a.checked_etag

        def apply() -> None:
            for band, entry, _ in self._index(a):
                self._t.photo_index.get(band, {}).pop(entry, None)
            del self._t.attachments[key]

        self._writes.write(_Op(holds, apply, kind="delete"))

    def add_duplicate_ref(self, campaign_id: str, attachment_id: str, ref: str) -> None:
        with self._t.lock:
            a = self._t.attachments.get((campaign_id, attachment_id))
            if a is not None and ref not in a.duplicate_refs:
                a.duplicate_refs = sorted([*a.duplicate_refs, ref])

    def remove_duplicate_ref(self, campaign_id: str, attachment_id: str, ref: str) -> None:
        with self._t.lock:
            a = self._t.attachments.get((campaign_id, attachment_id))
            if a is not None:
                a.duplicate_refs = [r for r in a.duplicate_refs if r != ref]

    def candidates(self, tenant: str, hashes: builtins.list[str]) -> builtins.list[Candidate]:
        from chalicelib.dal.evidence import band_keys

        out: dict[tuple[str, str], Candidate] = {}
        for band in sorted({k for h in hashes for k in band_keys(tenant, h)}):
            for c in self._t.photo_index.get(band, {}).values():
                out[(c.attachment_id, c.phash)] = c
        return list(out.values())


# -- visits ------------------------------------------------------------------------------------
class MemoryVisits:
    def __init__(self, t: _Tables, writes: _Writes) -> None:
        self._t, self._writes = t, writes

    def insert(self, v: Visit) -> Visit:
        key = (v.campaign_id, v.id)
        self._writes.write(_Op(lambda: key not in self._t.visits, lambda: self._t.visits.__setitem__(key, v)))
        return v

    def get(self, campaign_id: str, visit_id: str) -> Visit | None:
        return self._t.visits.get((campaign_id, visit_id))

    def list(self, campaign_id: str, page: PageRequest) -> Page[Visit]:
        fp = fingerprint("visits", campaign_id)
        start = decode_cursor(page.cursor, {"pk", "sk"}, fp)
        if start is not None and (start["pk"] != f"c#{campaign_id}" or not start["sk"].startswith("v#")):
            raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
        with self._t.lock:
            found = sorted((v for (c, _), v in self._t.visits.items() if c == campaign_id), key=lambda v: v.id)
        found.reverse()
        if start is not None:
            found = [v for v in found if f"v#{v.id}" < start["sk"]]
        chunk = found[: page.limit]
        cursor = None
        if chunk and len(chunk) == page.limit:
            cursor = encode_cursor({"pk": f"c#{campaign_id}", "sk": f"v#{chunk[-1].id}"}, fp)
        return Page(items=chunk, next_cursor=cursor)


# -- roll-ups ----------------------------------------------------------------------------------
class MemoryRollups:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def apply(
        self,
        event_id: str,
        rows: dict[RowKey, Metrics],
        labels: dict[RowKey, str] | None = None,
        placed: Placement | None = None,
    ) -> bool:
        with self._t.lock:
            if event_id in self._t.markers:
                return False
            self._t.markers.add(event_id)
            seen = self._t.placements.get(placed.campaign_id) if placed else None
            if placed is not None and (seen is None or seen.version < placed.version):  # as dal/rollups.py moves them
                self._t.standings -= seen.standings if seen else frozenset()
                self._t.standings |= placed.standings
                self._t.placements[placed.campaign_id] = placed
            for key, metrics in rows.items():
                self._t.tenants.add(key.tenant)
                row = self._t.rollups.setdefault(key, {})
                change = dict(metrics)
                if any(is_exact(n) for n in change):
                    overflowed = row.get(OVERFLOW, 0) > 0
                    if not exact_kept(row.get("fed_back", 0), overflowed, change):  # as dal/rollups.py decides
                        change = without_exact(change)
                        if not overflowed:
                            change[OVERFLOW] = 1
                for name, value in change.items():
                    row[name] = row.get(name, 0) + int(value)
                if labels and labels.get(key):
                    self._t.labels[key] = labels[key]
        return True

    def put_rows(self, rows: dict[RowKey, Metrics], labels: dict[RowKey, str] | None = None) -> int:
        with self._t.lock:
            for key, metrics in rows.items():
                self._t.tenants.add(key.tenant)
                self._t.rollups[key] = {n: int(v) for n, v in capped(metrics).items() if v}
                if labels and labels.get(key):
                    self._t.labels[key] = labels[key]
        return len(rows)

    def _rows(self, keep: Callable[[RowKey], bool]) -> list[tuple[RowKey, Metrics, str | None]]:
        with self._t.lock:
            return [(k, dict(m), self._t.labels.get(k)) for k, m in sorted(self._t.rollups.items()) if keep(k)]

    def entity_rows(
        self, tenant: str, dim: str, entity: str, first_month: str, last_month: str
    ) -> list[tuple[RowKey, Metrics, str | None]]:
        return self._rows(
            lambda k: (k.tenant, k.dim, k.entity) == (tenant, dim, entity) and first_month <= k.month <= last_month
        )

    def period_rows(
        self, tenant: str, partition: str, first_month: str, last_month: str, scope: str | None
    ) -> list[tuple[RowKey, Metrics, str | None]]:
        def keep(k: RowKey) -> bool:
            part = f"org-L{k.level}" if k.dim == "org" else k.dim
            within = scope is None or orgs.depth(scope) <= 1 or orgs.is_within(k.org, scope)
            return k.tenant == tenant and part == partition and first_month <= k.month <= last_month and within

        return self._rows(keep)

    def standings(self, tenant: str, node: str, month: str, limit: int, best: bool) -> list[Standing]:
        with self._t.lock:
            mine = [s for s in self._t.standings if (s.tenant, s.node, s.month) == (tenant, node, month)]
        ordered = sorted(mine, key=lambda s: (roi_key(s.roi), s.campaign_id), reverse=best)
        return ordered[:limit]

    def tenants(self) -> list[str]:
        return sorted(self._t.tenants)


# -- reports -----------------------------------------------------------------------------------
class MemoryReports:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def insert_report(self, tenant: str, report: ports.Report) -> None:
        with self._t.lock:
            if (tenant, report["id"]) in self._t.reports:
                raise Conflict("report exists")
            self._t.reports[(tenant, report["id"])] = {**copy.deepcopy(report), "status": "pending"}

    def get_report(self, tenant: str, report_id: str) -> ports.Report | None:
        r = self._t.reports.get((tenant, report_id))
        return copy.deepcopy(r) if r else None

    def list_reports(self, tenant: str, limit: int, start: str | None) -> tuple[list[ports.Report], str | None]:
        with self._t.lock:
            ids = sorted((rid for t, rid in self._t.reports if t == tenant), reverse=True)
            if start:
                ids = [i for i in ids if i < start]
            page = ids[:limit]
            found = [copy.deepcopy(self._t.reports[(tenant, i)]) for i in page]
        return found, (page[-1] if len(page) == limit and page else None)

    def set_status(
        self,
        tenant: str,
        report_id: str,
        status: str,
        *,
        expected: tuple[str, ...],
        artifacts: dict[str, str] | None = None,
        error: str | None = None,
    ) -> bool:
        with self._t.lock:
            r = self._t.reports.get((tenant, report_id))
            if r is None or r["status"] not in expected:
                return False
            r["status"] = status
            if artifacts is not None:
                r["artifacts"] = artifacts
            if error is not None:
                r["error"] = error[:500]
        return True

    def claim_email(self, tenant: str, report_id: str, language: str = "zh") -> bool:
        with self._t.lock:
            sent = self._t.reports[(tenant, report_id)].setdefault("emailed", set())
            if language in sent:
                return False
            sent.add(language)
        return True

    def release_email(self, tenant: str, report_id: str, language: str = "zh") -> None:
        self._t.reports[(tenant, report_id)].get("emailed", set()).discard(language)

    def put_subscription(self, tenant: str, user_id: str, subscription: dict[str, Any]) -> None:
        self._t.subscriptions[(tenant, user_id)] = copy.deepcopy(subscription)

    def subscriptions(self, tenant: str) -> list[dict[str, Any]]:
        return [copy.deepcopy(s) for (t, _), s in sorted(self._t.subscriptions.items()) if t == tenant]

    def claim_reminder(self, tenant: str, day: str, rep_id: str) -> bool:
        with self._t.lock:
            if (tenant, day, rep_id) in self._t.reminders:
                return False
            self._t.reminders.add((tenant, day, rep_id))
        return True

    def release_reminder(self, tenant: str, day: str, rep_id: str) -> None:
        self._t.reminders.discard((tenant, day, rep_id))


# -- the changes feed ------------------------------------------------------------------------------
class MemoryChanges:
    """One partition per audience: the same numbering (1, 2, 3 … no gap) and the same guard per
    fact as dal/changes.py, under the storage's lock. `expire(now)` plays DynamoDB's TTL."""

    def __init__(self, t: _Tables) -> None:
        self._t = t
        self._key = uuid.uuid4().bytes + uuid.uuid4().bytes

    def record(self, audience: str, change: Change) -> FeedEntry | None:
        import datetime as dt

        from chalicelib import clock

        with self._t.lock:
            facts = self._t.feed_facts.setdefault(audience, set())
            if change.fact in facts:
                return None
            entries = self._t.feed.setdefault(audience, {})
            at = clock.now_iso()
            written = dt.datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
            seq = self._t.feed_heads.get(audience, 0) + 1
            entry = FeedEntry(seq=seq, at=at, written=written, change=copy.deepcopy(change))
            entries[seq] = (entry, int(written) + KEEP_SECONDS)
            self._t.feed_heads[audience] = seq
            facts.add(change.fact)
        return entry

    def after(self, audience: str, seq: int, limit: int) -> list[FeedEntry]:
        with self._t.lock:
            entries = self._t.feed.get(audience, {})
            return [copy.deepcopy(entries[n][0]) for n in sorted(entries) if n > seq][:limit]

    def cursor_key(self) -> bytes:
        return self._key

    def expire(self, now: float) -> int:
        """Drop what has expired (TTL), as DynamoDB eventually does; returns how many."""
        with self._t.lock:
            gone = [(a, n) for a, entries in self._t.feed.items() for n, (_, until) in entries.items() if until < now]
            for audience, n in gone:
                del self._t.feed[audience][n]
        return len(gone)


# -- objects, mail, idempotency ------------------------------------------------------------------
class MemoryObjects:
    """Objects by (bucket, key). `upload()` plays the browser posting a presigned form."""

    bucket = "memory-attachments"
    reports_bucket = "memory-reports"

    def __init__(self, t: _Tables) -> None:
        self._t = t

    def presigned_upload(self, key: str, content_type: str, size_bytes: int, upload_token: str) -> dict[str, Any]:
        return {
            "url": f"memory://{self.bucket}",
            "method": "POST",
            "expires_at": "",
            "fields": {"key": key, "Content-Type": content_type, "x-amz-meta-upload-token": upload_token},
        }

    def upload(self, form: dict[str, Any], data: bytes) -> dict[str, Any]:
        """Store what a browser posting `form` would; returns the S3 event record's object fields."""
        fields_ = form["fields"]
        etag = hashlib.md5(data, usedforsecurity=False).hexdigest()  # S3's ETag of a single-part upload
        meta = {k[len("x-amz-meta-") :]: v for k, v in fields_.items() if k.startswith("x-amz-meta-")}
        self._t.objects[(self.bucket, fields_["key"])] = (data, fields_.get("Content-Type", ""), meta, etag)
        return {"bucket": self.bucket, "key": fields_["key"], "size": len(data), "etag": etag}

    def download_url(self, key: str, content_type: str, filename: str | None = None) -> str:
        return f"memory://{self.bucket}/{key}"

    def _get(self, key: str, etag: str) -> _Object:
        found = self._t.objects.get((self.bucket, key))
        if found is None or found[3] != etag:
            raise ObjectMissing(key)
        return found

    def head(self, key: str, etag: str) -> StoredObject:
        data, _, meta, _ = self._get(key, etag)
        return StoredObject(len(data), meta.get("upload-token"))

    def read(self, key: str, etag: str, max_bytes: int) -> bytes:
        return self._get(key, etag)[0][:max_bytes]

    def thumbnail(self, key: str, max_bytes: int) -> bytes | None:
        found = self._t.objects.get((self.bucket, key))
        return None if found is None else found[0][:max_bytes]

    def put(self, key: str, body: bytes, content_type: str, bucket: str | None = None) -> None:
        self._t.objects[(bucket or self.bucket, key)] = (
            body,
            content_type,
            {},
            hashlib.md5(body, usedforsecurity=False).hexdigest(),
        )

    def exists(self, key: str, bucket: str | None = None) -> bool:
        return (bucket or self.bucket, key) in self._t.objects

    def quarantine(self, key: str) -> None:
        with self._t.lock:
            found = self._t.objects.pop((self.bucket, key), None)
            if found is not None:
                self._t.objects[(self.bucket, quarantine_key(key))] = found

    def delete(self, key: str) -> None:
        self._t.objects.pop((self.bucket, key), None)

    def park(self, source: str, event_id: str, document: dict[str, Any]) -> str:

        key = dead_letter_key(source, event_id)
        self.put(key, json.dumps(document, default=str).encode(), "application/json")
        return key

    def put_artifact(self, key: str, body: bytes, content_type: str) -> None:
        self.put(key, body, content_type, bucket=self.reports_bucket)

    def upload_artifact(self, key: str, path: str, content_type: str) -> None:
        with open(path, "rb") as fh:
            self.put_artifact(key, fh.read(), content_type)

    def artifact(self, key: str) -> bytes:
        """An artifact's bytes (memory only: tests read what a link would download)."""
        return self._t.objects[(self.reports_bucket, key)][0]

    def artifact_url(self, key: str, filename: str | None = None) -> str:
        return f"memory://{self.reports_bucket}/{key}"


class MemoryMailer:
    def __init__(self) -> None:
        self.sent: list[Mail] = []

    def sender_domain(self) -> str:
        return "huixiang.local"

    def send(self, mail: Mail) -> str:
        self.sent.append(mail)
        return uuid.uuid4().hex


class MemoryIdempotency:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def run_once(
        self, request: dict[str, Any], operation: Callable[[], ports.Stored], lambda_context: Any = None
    ) -> ports.Stored:
        key = (request["caller"], request["route"], request["key"])
        body = json.dumps(request["body"], sort_keys=True, default=str)
        stored = self._t.idempotency.get(key)
        if stored is not None:
            if stored["body"] != body:
                raise Conflict(
                    "this Idempotency-Key was already used with a different body", code="idempotency_key_reused"
                )
            return copy.deepcopy(stored["result"])
        result = operation()
        self._t.idempotency[key] = {"body": body, "result": copy.deepcopy(result)}
        return result


# -- money control ---------------------------------------------------------------------------
class MemoryBudgets:
    def __init__(self, t: _Tables, writes: _Writes) -> None:
        self._t, self._writes = t, writes

    def get(self, budget_id: str) -> Budget | None:
        b = self._t.budgets.get(budget_id)
        return copy.deepcopy(b) if b else None

    def covering(self, campaign_org: str, category: str, start_date: str) -> Budget | None:
        tenant = orgs.tenant_of(campaign_org)
        for scope in coverage_scopes(campaign_org, category, start_date):
            found = self._t.budget_scopes.get((tenant, scope))
            if found:
                return self.get(found)
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
        def sort_key(b: Budget) -> str:
            return f"{orgs.subtree_prefix(b.org)}#{b.period}#{b.category or '*'}"

        def keep(b: Budget) -> bool:
            return (
                b.tenant == tenant
                and (period is None or b.period == period)
                and (category is None or b.category == category)
            )

        fp = fingerprint("budgets", tenant, org, ancestors, period, category)
        start = decode_cursor(page.cursor, {"pk", "sk", "gpk", "gsk"}, fp)
        if start is not None and (
            start["gpk"] != f"budgets#{tenant}" or not start["gsk"].startswith(orgs.subtree_prefix(org))
        ):
            raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
        with self._t.lock:
            budgets = sorted((b for b in self._t.budgets.values() if keep(b)), key=sort_key)
        items = [] if start else [copy.deepcopy(b) for node in ancestors for b in budgets if b.org == node]
        subtree = [b for b in budgets if orgs.is_within(b.org, org) and (start is None or sort_key(b) > start["gsk"])]
        chunk = subtree[: page.limit]
        cursor = None
        if chunk and len(chunk) == page.limit:
            last = chunk[-1]
            cursor = encode_cursor(
                {"pk": f"budget#{last.id}", "sk": "budget", "gpk": f"budgets#{tenant}", "gsk": sort_key(last)}, fp
            )
        return Page(items=items + [copy.deepcopy(b) for b in chunk], next_cursor=cursor)

    def entries(self, budget_id: str, page: PageRequest) -> Page[LedgerEntry]:
        fp = fingerprint("ledger", budget_id)
        start = decode_cursor(page.cursor, {"pk", "sk"}, fp)
        if start is not None and start["pk"] != f"budget#{budget_id}":
            raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
        found = sorted((self._t.ledger.get(budget_id) or {}).values(), key=lambda e: e.id)
        if start is not None:
            found = [e for e in found if f"entry#{e.id}" > start["sk"]]
        chunk = found[: page.limit]
        cursor = None
        if chunk and len(chunk) == page.limit:
            cursor = encode_cursor({"pk": f"budget#{budget_id}", "sk": f"entry#{chunk[-1].id}"}, fp)
        return Page(items=list(chunk), next_cursor=cursor)

    def apply(self, effect: Effect, versioned: dict[str, int] | None = None) -> None:
        from chalicelib.clock import now_iso
        from chalicelib.dal.errors import BudgetShort

        # all of an effect or none of it, as in DynamoDB (one transaction even outside a unit of work)
        writes = self._writes if isinstance(self._writes, _Together) else _Together(self._writes.lock)
        created = copy.deepcopy(effect.created) if effect.created else None

        def budget_exists() -> Conflict:
            return Conflict("a budget already exists for this org, period and category", code="budget_exists")

        if created is not None:
            key = (created.tenant, created.scope)

            def create(b: Budget = created) -> None:
                self._t.budgets[b.id] = replace(b, version=0)
                self._t.budget_scopes[key] = b.id

            writes.write(
                _Op(
                    lambda: key not in self._t.budget_scopes and created.id not in self._t.budgets,
                    create,
                    budget_exists,
                )
            )
        for delta in effect.deltas:
            expected = (versioned or {}).get(delta.budget_id)

            def holds(d: Delta = delta, v: int | None = expected) -> bool:
                b = self._t.budgets.get(d.budget_id)
                return b is not None and b.available >= d.needs_available and (v is None or b.version == v)

            def apply(d: Delta = delta, v: int | None = expected) -> None:
                b = apply_delta(self._t.budgets[d.budget_id], d, now_iso())
                self._t.budgets[d.budget_id] = replace(b, version=(b.version or 0) + 1 if v is not None else b.version)

            def short(d: Delta = delta) -> BudgetShort:
                return BudgetShort(d)

            writes.write(_Op(holds, apply, short, kind="update"))
        for entry in effect.entries:

            def unbooked(e: LedgerEntry = entry) -> bool:
                ledger = self._t.ledger.get(e.ledger_id, {})
                return e.id not in ledger and all(other.key != e.key for other in ledger.values())

            def book(e: LedgerEntry = entry) -> None:
                self._t.ledger.setdefault(e.ledger_id, {})[e.id] = e

            writes.write(_Op(unbooked, book))
        if writes is not self._writes:
            writes.commit()


class MemoryPolicies:
    def __init__(self, t: _Tables, writes: _Writes) -> None:
        self._t, self._writes = t, writes

    def get(self, tenant: str) -> tuple[ApprovalPolicy, dict[str, Any]] | None:
        return copy.deepcopy(self._t.policies.get(tenant))

    def put(self, tenant: str, policy: ApprovalPolicy, by: Person, at: str) -> None:
        value = (policy, {"by": by.as_dict(), "at": at})
        self._writes.write(_Op(lambda: True, lambda: self._t.policies.__setitem__(tenant, value)))

    def settlement(self, tenant: str) -> SettlementPolicy:
        return self._t.settlement_policies.get(tenant) or SettlementPolicy()

    def put_settlement(self, tenant: str, policy: SettlementPolicy) -> None:
        self._writes.write(_Op(lambda: True, lambda: self._t.settlement_policies.__setitem__(tenant, policy)))


class MemoryInvoices:
    def __init__(self, t: _Tables, writes: _Writes) -> None:
        self._t, self._writes = t, writes

    def claim(self, invoice: Invoice) -> None:
        key, snapshot = (invoice.tenant, invoice.key), copy.deepcopy(invoice)
        self._writes.write(
            _Op(lambda: key not in self._t.invoices, lambda: self._t.invoices.__setitem__(key, snapshot), InvoiceTaken)
        )

    def holder(self, tenant: str, key: str) -> Invoice | None:
        found = self._t.invoices.get((tenant, key))
        return copy.deepcopy(found) if found else None

    def of_campaign(self, campaign: Campaign) -> builtins.list[Invoice]:
        tenant = orgs.tenant_of(campaign.org)
        with self._t.lock:
            found = [self._t.invoices.get((tenant, r.key)) for r in campaign.invoices]
        return [copy.deepcopy(i) for i in found if i is not None and i.campaign_id == campaign.id]

    def _holds(self, tenant: str, ref: InvoiceRef, campaign_id: str) -> Callable[[], bool]:
        def holds() -> bool:
            i = self._t.invoices.get((tenant, ref.key))
            return i is not None and (i.campaign_id, i.id, i.status) == (campaign_id, ref.id, "claimed")

        return holds

    def release(self, tenant: str, ref: InvoiceRef, campaign_id: str) -> None:
        self._writes.write(_Op(self._holds(tenant, ref, campaign_id), lambda: self._t.invoices.pop((tenant, ref.key))))

    def settle(self, tenant: str, ref: InvoiceRef, campaign_id: str) -> None:
        def apply() -> None:
            self._t.invoices[(tenant, ref.key)] = replace(self._t.invoices[(tenant, ref.key)], status="settled")

        self._writes.write(_Op(self._holds(tenant, ref, campaign_id), apply))


class MemoryDelegations:
    def __init__(self, t: _Tables, writes: _Writes) -> None:
        self._t, self._writes = t, writes

    def put(self, d: Delegation) -> None:
        key = (d.delegator.tenant, d.delegator.sub)
        self._writes.write(_Op(lambda: True, lambda: self._t.delegations.__setitem__(key, d)))

    def of(self, tenant: str, delegator_id: str) -> Delegation | None:
        return self._t.delegations.get((tenant, delegator_id))

    def delete(self, tenant: str, delegator_id: str) -> None:
        self._writes.write(
            _Op(lambda: True, lambda: self._t.delegations.pop((tenant, delegator_id), None), kind="delete")
        )

    def to(self, tenant: str, delegate_id: str) -> list[Delegation]:
        return [d for (t, _), d in sorted(self._t.delegations.items()) if t == tenant and d.to.id == delegate_id]


class MemoryAudit:
    def __init__(self, t: _Tables, writes: _Writes) -> None:
        self._t, self._writes = t, writes

    def append(self, campaign_id: str, tenant: str, entry: AuditEntry) -> None:
        self._writes.write(
            _Op(
                lambda: entry.seq not in self._t.audit.get(campaign_id, {}),
                lambda: self._t.audit.setdefault(campaign_id, {}).__setitem__(entry.seq, entry),
            )
        )

    def entries(self, campaign_id: str) -> list[dict[str, Any]]:
        trail = self._t.audit.get(campaign_id) or {}
        return [trail[seq].as_dict() for seq in sorted(trail)]


# -- events out: webhooks, the delivery queue, sealed secrets, the network -------------------------
class MemoryWebhooks:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    def insert(self, hook: Webhook) -> None:
        with self._t.lock:
            key = (hook.tenant, hook.id)
            if key in self._t.webhooks:
                raise StaleWrite(hook.id)
            self._t.webhooks[key] = copy.deepcopy(hook)

    def get(self, tenant: str, webhook_id: str) -> Webhook | None:
        return copy.deepcopy(self._t.webhooks.get((tenant, webhook_id)))

    def list(self, tenant: str, page: PageRequest) -> Page[Webhook]:
        fp = fingerprint("webhooks", tenant)
        start = decode_cursor(page.cursor, {"pk", "sk"}, fp)
        if start is not None and start["pk"] != f"hook#{tenant}":
            raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
        with self._t.lock:
            found = sorted(
                (h for (t, _), h in self._t.webhooks.items() if t == tenant), key=lambda h: h.id, reverse=True
            )
        if start is not None:
            found = [h for h in found if h.id < start["sk"]]
        found = found[: page.limit]
        cursor = None
        if found and len(found) == page.limit:
            cursor = encode_cursor({"pk": f"hook#{tenant}", "sk": found[-1].id}, fp)
        return Page(items=[copy.deepcopy(h) for h in found], next_cursor=cursor)

    def of_company(self, tenant: str) -> builtins.list[Webhook]:
        with self._t.lock:
            return [copy.deepcopy(h) for (t, _), h in sorted(self._t.webhooks.items()) if t == tenant]

    def save_secrets(self, hook: Webhook, secrets: tuple[SealedSecret, ...], rotated_at: str) -> None:
        with self._t.lock:
            stored = self._t.webhooks.get((hook.tenant, hook.id))
            if stored is None or stored.version != hook.version:
                raise StaleWrite(hook.id)
            stored.secrets, stored.rotated_at, stored.version = secrets, rotated_at, hook.version + 1

    def delete(self, tenant: str, webhook_id: str) -> None:
        with self._t.lock:
            self._t.webhooks.pop((tenant, webhook_id), None)

    def add_delivery(self, delivery: Delivery) -> bool:
        key = (delivery.tenant, delivery.webhook_id, delivery.id)
        with self._t.lock:
            if key in self._t.deliveries:
                return False
            self._t.deliveries[key] = copy.deepcopy(delivery)
        return True

    def delivery(self, tenant: str, webhook_id: str, delivery_id: str) -> Delivery | None:
        return copy.deepcopy(self._t.deliveries.get((tenant, webhook_id, delivery_id)))

    def deliveries(self, tenant: str, webhook_id: str, status: str | None, page: PageRequest) -> Page[Delivery]:
        fp = fingerprint("deliveries", tenant, webhook_id, status)
        pk = f"dlv#{tenant}|{webhook_id}"
        status_key = f"{tenant}|{webhook_id}|{status}"
        start = decode_cursor(page.cursor, {"pk", "sk"} | ({"status_key"} if status else set()), fp)
        if start is not None and (start["pk"] != pk or (status and start["status_key"] != status_key)):
            raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
        with self._t.lock:
            found = sorted(
                (
                    d
                    for (t, w, _), d in self._t.deliveries.items()
                    if t == tenant and w == webhook_id and (status is None or d.status == status)
                ),
                key=lambda d: d.id,
                reverse=True,
            )
        if start is not None:
            found = [d for d in found if d.id < start["sk"]]
        found = found[: page.limit]
        cursor = None
        if found and len(found) == page.limit:
            last = {"pk": pk, "sk": found[-1].id} | ({"status_key": status_key} if status else {})
            cursor = encode_cursor(last, fp)
        return Page(items=[copy.deepcopy(d) for d in found], next_cursor=cursor)

    def claim(
        self, tenant: str, webhook_id: str, delivery_id: str, attempt: int, owner: str, now: str, until: str
    ) -> Delivery | None:
        with self._t.lock:
            d = self._t.deliveries.get((tenant, webhook_id, delivery_id))
            if d is None or d.status != "pending" or d.attempts != attempt:
                return None
            if d.lease_until is not None and not d.lease_until < now:
                return None
            d.lease_owner, d.lease_until = owner, until
            return copy.deepcopy(d)

    def record(self, delivery: Delivery, owner: str) -> bool:
        key = (delivery.tenant, delivery.webhook_id, delivery.id)
        with self._t.lock:
            d = self._t.deliveries.get(key)
            if d is None or d.lease_owner != owner or d.attempts != delivery.attempts - 1:
                return False
            self._t.deliveries[key] = replace(copy.deepcopy(delivery), lease_owner=None, lease_until=None)
        return True

    def restart(self, delivery: Delivery) -> bool:
        key = (delivery.tenant, delivery.webhook_id, delivery.id)
        with self._t.lock:
            d = self._t.deliveries.get(key)
            if d is None or d.status != "failed":
                return False
            self._t.deliveries[key] = replace(
                d, status=delivery.status, round_start=delivery.round_start, next_attempt_at=delivery.next_attempt_at
            )
        return True


class MemoryDeliveryQueue:
    """Tickets in the order sent, each with its delay; `take()` hands them to a test."""

    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any], int]] = []

    def send(self, ticket: dict[str, Any], delay_seconds: int = 0) -> None:
        self.sent.append((copy.deepcopy(ticket), delay_seconds))

    def take(self) -> list[tuple[dict[str, Any], int]]:
        taken, self.sent = self.sent, []
        return taken


class MemorySecretBox:
    """Seals with a key of this process: the sealed form is not the secret, and it opens only
    under the context it was sealed with (as a KMS encryption context)."""

    def __init__(self) -> None:
        self._key = os.urandom(32)

    def _stream(self, nonce: bytes, context: dict[str, str], n: int) -> bytes:
        material = self._key + nonce + json.dumps(context, sort_keys=True).encode()
        return hashlib.shake_256(material).digest(n)

    def seal(self, plaintext: str, context: dict[str, str]) -> str:
        data, nonce = plaintext.encode("utf-8"), os.urandom(16)
        cipher = bytes(a ^ b for a, b in zip(data, self._stream(nonce, context, len(data)), strict=True))
        tag = hmac.new(self._key, nonce + cipher + json.dumps(context, sort_keys=True).encode(), "sha256").digest()
        return base64.b64encode(nonce + tag[:16] + cipher).decode("ascii")

    def open(self, sealed: str, context: dict[str, str]) -> str:
        raw = base64.b64decode(sealed)
        nonce, tag, cipher = raw[:16], raw[16:32], raw[32:]
        expected = hmac.new(self._key, nonce + cipher + json.dumps(context, sort_keys=True).encode(), "sha256")
        if not hmac.compare_digest(tag, expected.digest()[:16]):
            raise ValueError("the sealed secret does not open under this context")
        return bytes(a ^ b for a, b in zip(cipher, self._stream(nonce, context, len(cipher)), strict=True)).decode()


class MemoryOutbound:
    """Names resolve from `hosts` (nothing else does); every POST is kept in `sent` and answered
    by `answer` (a 200 unless a test says otherwise)."""

    def __init__(self) -> None:
        self.hosts: dict[str, list[str]] = {}
        self.sent: list[Outgoing] = []
        self.answer: Callable[[Outgoing], Answer] = lambda request: Answer(200, None, 1)

    def resolve(self, host: str, port: int) -> list[str]:
        try:
            ipaddress.ip_address(host)
            return [host]
        except ValueError:
            pass
        if host not in self.hosts:
            raise LookupError(f"{host} does not resolve")
        return list(self.hosts[host])

    def post(self, request: Outgoing) -> Answer:
        self.sent.append(request)
        return self.answer(request)


# -- vouchers ----------------------------------------------------------------------------------
class MemoryVouchers:
    def __init__(self, t: _Tables, writes: _Writes) -> None:
        self._t, self._writes = t, writes

    @contextmanager
    def _together(self) -> Iterator[_Writes]:
        """This repository's writes all or nothing, whether or not a unit of work collects them."""
        if isinstance(self._writes, _Together):
            yield self._writes
            return
        own = _Together(self._writes.lock)
        yield own
        own.commit()

    def accounting(self, tenant: str) -> Accounting | None:
        return copy.deepcopy(self._t.accounting.get(tenant))

    def put_accounting(self, tenant: str, accounting: Accounting) -> None:
        value = copy.deepcopy(accounting)
        self._writes.write(_Op(lambda: True, lambda: self._t.accounting.__setitem__(tenant, value)))

    def queue(self, tenant: str, item: ExportItem) -> None:
        def below_watermark() -> bool:
            return self.state(tenant).watermark <= item.settled_at

        with self._together() as writes:
            writes.write(_Op(below_watermark, lambda: None, kind="check"))
            writes.write(
                _Op(
                    lambda: item.key not in self._t.exports.get(tenant, {}),
                    lambda: self._t.exports.setdefault(tenant, {}).__setitem__(item.key, item),
                )
            )

    def exported(self, tenant: str, since: str, until: str, after: str | None = None) -> Iterator[ExportItem]:
        with self._t.lock:
            keys = sorted(
                k for k in self._t.exports.get(tenant, {}) if since <= k < until and (after is None or k > after)
            )
            found = [self._t.exports[tenant][k] for k in keys]
        yield from found

    def any_exported(self, tenant: str, since: str, until: str) -> bool:
        return next(self.exported(tenant, since, until), None) is not None

    def state(self, tenant: str) -> ExportState:
        return self._t.export_states.get(tenant, ExportState())

    def claim(self, batch: VoucherBatch, read: ExportState, holder: str, lease_until: str) -> None:
        tenant, snapshot = batch.tenant, copy.deepcopy(batch)

        def unmoved() -> bool:
            now = self.state(tenant)
            return now.watermark == read.watermark and now.exporting is None

        def move() -> None:
            self._t.export_states[tenant] = ExportState(batch.until, batch.id, holder, lease_until)

        with self._together() as writes:
            writes.write(_Op(unmoved, move, kind="update"))
            writes.write(
                _Op(
                    lambda: batch.id not in self._t.voucher_batches.get(tenant, {}),
                    lambda: self._t.voucher_batches.setdefault(tenant, {}).__setitem__(batch.id, snapshot),
                )
            )

    def take_over(self, tenant: str, read: ExportState, holder: str, lease_until: str) -> None:
        def unchanged() -> bool:
            now = self.state(tenant)
            return (now.exporting, now.holder, now.lease_until) == (read.exporting, read.holder, read.lease_until)

        def hold() -> None:
            self._t.export_states[tenant] = replace(self.state(tenant), holder=holder, lease_until=lease_until)

        self._writes.write(_Op(unchanged, hold, kind="update"))

    def finish(self, batch: VoucherBatch, holder: str) -> None:
        if batch.campaigns is None or batch.total is None:
            raise ValueError(f"batch {batch.id} is not counted yet")
        tenant = batch.tenant

        def holds() -> bool:
            now = self.state(tenant)
            return now.exporting == batch.id and now.holder == holder

        def release() -> None:
            self._t.export_states[tenant] = ExportState(self.state(tenant).watermark)

        def ready() -> None:
            stored = self._t.voucher_batches[tenant][batch.id]
            self._t.voucher_batches[tenant][batch.id] = stored.ready(
                batch.campaigns or 0, batch.total or 0, batch.artifacts
            )

        with self._together() as writes:
            writes.write(_Op(holds, release, kind="update"))
            writes.write(_Op(lambda: batch.id in self._t.voucher_batches.get(tenant, {}), ready, kind="update"))

    def batch(self, tenant: str, batch_id: str) -> VoucherBatch | None:
        return copy.deepcopy(self._t.voucher_batches.get(tenant, {}).get(batch_id))

    def batches(self, tenant: str, page: PageRequest) -> Page[VoucherBatch]:
        fp = fingerprint("voucher-batches", tenant)
        start = decode_cursor(page.cursor, {"pk", "sk"}, fp)
        if start is not None and start["pk"] != f"batch#{tenant}":
            raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
        with self._t.lock:
            found = sorted(self._t.voucher_batches.get(tenant, {}).values(), key=lambda b: b.id, reverse=True)
        if start is not None:
            found = [b for b in found if b.id < start["sk"]]
        chunk = found[: page.limit]
        cursor = None
        if chunk and len(chunk) == page.limit:
            cursor = encode_cursor({"pk": f"batch#{tenant}", "sk": chunk[-1].id}, fp)
        return Page(items=[copy.deepcopy(b) for b in chunk], next_cursor=cursor)

    def post(self, tenant: str, batch_id: str, voucher_no: str, by: Person, at: str) -> None:
        def postable() -> bool:
            b = self._t.voucher_batches.get(tenant, {}).get(batch_id)
            return b is not None and b.voucher_no is None and b.export == "ready"

        def post() -> None:
            b = self._t.voucher_batches[tenant][batch_id]
            self._t.voucher_batches[tenant][batch_id] = replace(
                b, voucher_no=voucher_no, posted_at=at, posted_by=by, posting="running", campaigns_posted=0
            )

        self._writes.write(_Op(postable, post, kind="update"))

    def record_posting(self, tenant: str, batch_id: str, cursor: str | None, posted: int, done: bool) -> None:
        def posted_batch() -> bool:
            b = self._t.voucher_batches.get(tenant, {}).get(batch_id)
            return b is not None and b.voucher_no is not None

        def record() -> None:
            b = self._t.voucher_batches[tenant][batch_id]
            self._t.voucher_batches[tenant][batch_id] = replace(
                b, posting_cursor=cursor, campaigns_posted=posted, posting="done" if done else "running"
            )

        self._writes.write(_Op(posted_batch, record, kind="update"))


# -- the storage --------------------------------------------------------------------------------
class _Repositories:
    """Every repository of ports.Repositories over `t`, its writes going to `writes`."""

    def __init__(self, t: _Tables, writes: _Writes) -> None:
        self.writes = writes
        self.campaigns = MemoryCampaigns(t, writes)
        self.feedback = MemoryFeedback(t, writes)
        self.rules = MemoryRules(t, writes)
        self.evidence = MemoryEvidence(t, writes)
        self.visits = MemoryVisits(t, writes)
        self.budgets = MemoryBudgets(t, writes)
        self.policies = MemoryPolicies(t, writes)
        self.delegations = MemoryDelegations(t, writes)
        self.audit = MemoryAudit(t, writes)
        self.invoices = MemoryInvoices(t, writes)
        self.vouchers = MemoryVouchers(t, writes)


class InMemoryStorage(_Repositories):
    """Install with `chalicelib.dal.repos.install(InMemoryStorage())`."""

    def __init__(self) -> None:
        self.tables = _Tables()
        super().__init__(self.tables, _Writes(self.tables.lock))
        self.rollups = MemoryRollups(self.tables)
        self.reports = MemoryReports(self.tables)
        self.changes = MemoryChanges(self.tables)
        self.objects = MemoryObjects(self.tables)
        self.mailer = MemoryMailer()
        self.idempotency = MemoryIdempotency(self.tables)
        self.webhooks = MemoryWebhooks(self.tables)
        self.delivery_queue = MemoryDeliveryQueue()
        self.secret_box = MemorySecretBox()
        self.outbound = MemoryOutbound()

    @contextmanager
    def unit_of_work(self) -> Iterator[ports.UnitOfWork]:
        together = _Together(self.tables.lock)
        yield _Repositories(self.tables, together)
        together.commit()


if TYPE_CHECKING:

    def _conforms(storage: InMemoryStorage) -> ports.Storage:
        return storage  # mypy: a storage that drifts from its ports is an error here
