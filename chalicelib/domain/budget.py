"""Budgets (预算池): periods, coverage, the ledger, and the effect of every money operation.

A budget holds `amount` fen for an org node, a period and a category (None: every category).
Of it, `allocated` has been carved into child budgets, `reserved` is held by approved
campaigns, `consumed` has been settled; `available` is what is left, and is never negative.

Every change to a budget is a ledger entry, and the figures are nothing but the sum of the
entries (`replay`). The effect functions below decide, from a snapshot, which entries an
operation appends and refuse it when money is short; `Effect.deltas` says how each budget's
figures move, with the amount of `available` each change needs, so a storage layer can apply
them in one atomic write conditional on `available` still being enough. No I/O here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from chalicelib.domain import ids
from chalicelib.domain import org as orgs
from chalicelib.domain.audit import Person
from chalicelib.domain.errors import Conflict, FieldError, InvalidInput, above, field_error

# The ceiling of every amount in fen (10 trillion CNY). Far above any company's marketing
# money, and below 2^53, so every figure stays exact in a browser's JSON numbers; 2^63 and
# its like are refused with a field error instead of overflowing a store or a client.
MAX_AMOUNT = 10**15
FIRST_YEAR, LAST_YEAR = 2000, 2099

ENTRY_KINDS = ("allocate", "carve", "reserve", "release", "consume", "adjust")


class BudgetExceeded(Conflict):
    """The budget's `available` is short; the response body carries it (API.md: Effects)."""

    code = "budget_exceeded"

    def __init__(self, available: int, needed: int, what: str = "the budget") -> None:
        super().__init__(
            f"{what} has {available} fen available, {needed} fen are needed",
            code="budget_exceeded",
            params={"available": available, "needed": needed, "unit": "fen"},
        )
        self.available = available
        self.details = {"available": available}


def below_committed(committed: int) -> Conflict:
    """409 `budget_below_committed`: a budget's amount may not go below what it has committed."""
    return Conflict(
        f"the amount may not go below what is committed ({committed} fen)",
        code="budget_below_committed",
        params={"committed": committed, "unit": "fen"},
    )


# -- periods ---------------------------------------------------------------------------------
# ASCII digits only, matched whole ("２０２６" and "2026\n" are not periods)
_YEAR = re.compile(r"([0-9]{4})")
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Period:
    """A budget period: a year, a quarter (`YYYY-Qn`) or a month (`YYYY-MM`)."""

    year: int
    quarter: int | None = None
    month: int | None = None

    @property
    def text(self) -> str:
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        if self.quarter is not None:
            return f"{self.year:04d}-Q{self.quarter}"
        return f"{self.year:04d}"

    @property
    def months(self) -> int:
        """How long the period is, in months: what "the shortest period" compares."""
        return 1 if self.month is not None else 3 if self.quarter is not None else 12

    def month_range(self) -> tuple[int, int]:
        """The first and last month (1-12) the period covers."""
        if self.month is not None:
            return self.month, self.month
        if self.quarter is not None:
            return 3 * self.quarter - 2, 3 * self.quarter
        return 1, 12

    def contains(self, other: Period) -> bool:
        """A year contains itself, its quarters and months; a quarter itself and its months."""
        if self.year != other.year:
            return False
        first, last = self.month_range()
        other_first, other_last = other.month_range()
        return first <= other_first and other_last <= last


def parse_period(text: Any, field: str = "period") -> Period:
    """`YYYY`, `YYYY-Qn` or `YYYY-MM` (years 2000-2099); anything else → InvalidInput on `field`."""
    if isinstance(text, str):
        for pattern in (_MONTH, _QUARTER, _YEAR):
            m = pattern.fullmatch(text)
            if not m:
                continue
            year = int(m.group(1))
            if not FIRST_YEAR <= year <= LAST_YEAR:
                break
            if pattern is _MONTH:
                return Period(year, month=int(m.group(2)))
            if pattern is _QUARTER:
                return Period(year, quarter=int(m.group(2)))
            return Period(year)
    raise InvalidInput.field(
        field,
        "not_a_period",
        f"must be a period YYYY, YYYY-Qn or YYYY-MM between {FIRST_YEAR} and {LAST_YEAR}",
        first_year=FIRST_YEAR,
        last_year=LAST_YEAR,
    )


def periods_containing(date: str, field: str = "start_date") -> tuple[str, str, str]:
    """The month, quarter and year a calendar date belongs to, shortest first."""
    try:
        day = dt.date.fromisoformat(date) if isinstance(date, str) and len(date) == 10 else None
    except ValueError:
        day = None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput.field(field, "not_a_date", "must be a calendar date YYYY-MM-DD")
    quarter = (day.month - 1) // 3 + 1
    return f"{day.year:04d}-{day.month:02d}", f"{day.year:04d}-Q{quarter}", f"{day.year:04d}"


# -- budgets ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class BudgetScope:
    """What a budget is for. At most one budget exists per scope (else 409 `budget_exists`)."""

    org: str
    period: str
    category: str | None = None


@dataclass(frozen=True)
class Figures:
    """The four figures a ledger determines, and what is left of them."""

    amount: int = 0
    allocated: int = 0
    reserved: int = 0
    consumed: int = 0

    @property
    def committed(self) -> int:
        """What a budget can no longer give away: carved, reserved or consumed."""
        return self.allocated + self.reserved + self.consumed

    @property
    def available(self) -> int:
        return self.amount - self.committed


@dataclass
class Budget:
    id: str
    tenant: str
    org: str
    period: str
    category: str | None
    amount: int
    allocated: int = 0
    reserved: int = 0
    consumed: int = 0
    parent_id: str | None = None
    created_at: str = ""
    updated_at: str = ""
    version: int | None = None

    @property
    def figures(self) -> Figures:
        return Figures(self.amount, self.allocated, self.reserved, self.consumed)

    @property
    def committed(self) -> int:
        return self.figures.committed

    @property
    def available(self) -> int:
        return self.figures.available

    @property
    def scope(self) -> BudgetScope:
        return BudgetScope(self.org, self.period, self.category)

    def as_dict(self) -> dict[str, Any]:
        """The API's budget object."""
        return {
            "id": self.id,
            "org": self.org,
            "period": self.period,
            "category": self.category,
            "amount": self.amount,
            "allocated": self.allocated,
            "reserved": self.reserved,
            "consumed": self.consumed,
            "available": self.available,
            "parent_id": self.parent_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def no_amount(field: str, value: Any) -> InvalidInput:
    """What is wrong with `value` as a whole, non-negative number of fen."""
    message = "must be an integer number of fen, 0 or more"
    if isinstance(value, bool) or not isinstance(value, int):
        return InvalidInput.field(field, "wrong_type", message, expected="integer")
    return InvalidInput.field(field, "too_small", message, min=0, unit="fen")


def check_amount(amount: Any, field: str = "amount") -> int:
    """An amount of fen: an integer, more than 0 and at most MAX_AMOUNT."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput.field(field, "wrong_type", "must be an integer number of fen", expected="integer")
    if amount <= 0:
        raise InvalidInput.field(field, "too_small", "must be greater than 0", min=1, unit="fen")
    if amount > MAX_AMOUNT:
        raise InvalidInput.field(field, "too_large", f"must be at most {MAX_AMOUNT} fen", max=MAX_AMOUNT, unit="fen")
    return amount


def new_budget(
    budget_id: str,
    tenant: str,
    org: str,
    period: str,
    category: str | None,
    amount: int,
    now: str,
    parent: Budget | None = None,
    categories: Collection[str] | None = None,
) -> Budget:
    """A budget as `POST /budgets` creates it, after every rule that needs no other read.

    `tenant` is the caller's company. With `parent`, the new budget must fit inside it (org
    the same or below, period inside, category the same or the parent's None) and the
    parent's `available` must cover `amount` (BudgetExceeded). The uniqueness of the scope
    among existing budgets is the storage layer's (a conditional put on the scope).
    """
    errors: list[FieldError] = []
    if not isinstance(org, str) or not orgs.is_valid_org(org) or orgs.tenant_of(org) != tenant:
        errors.append(field_error("org", "outside_company", "must be an org path inside your company"))
    parsed = _collect(errors, lambda: parse_period(period))
    if category is not None and (
        not isinstance(category, str) or not category or (categories is not None and category not in categories)
    ):
        known = f"; one of: {', '.join(categories)}" if categories else ""
        errors.append(
            field_error("category", "unknown_category", f"unknown category{known}", choices=list(categories or ()))
        )
    _collect(errors, lambda: check_amount(amount))
    if parent is not None and parsed is not None and not errors:
        errors.extend(_misfits(parent, org, parsed, category))
    if errors:
        raise InvalidInput(errors)
    if parent is not None:
        if BudgetScope(org, period, category) == parent.scope:
            raise Conflict("a budget already exists for this org, period and category", code="budget_exists")
        if parent.available < amount:
            raise BudgetExceeded(parent.available, amount, "the parent budget")
    return Budget(
        id=budget_id,
        tenant=tenant,
        org=org,
        period=period,
        category=category,
        amount=amount,
        parent_id=parent.id if parent else None,
        created_at=now,
        updated_at=now,
    )


def _misfits(parent: Budget, org: str, period: Period, category: str | None) -> list[FieldError]:
    """How a would-be child does not fit inside `parent`, as field errors of the child."""
    errors = []
    if parent.tenant != orgs.tenant_of(org):
        return [field_error("parent_id", "unknown_budget", "no such budget in your company")]
    if not orgs.is_within(org, parent.org):
        errors.append(
            field_error(
                "org",
                "outside_parent_org",
                f"must be the parent budget's org ({parent.org}) or below it",
                parent=parent.org,
            )
        )
    if not parse_period(parent.period).contains(period):
        errors.append(
            field_error(
                "period",
                "outside_parent_period",
                f"must lie inside the parent budget's period ({parent.period})",
                parent=parent.period,
            )
        )
    if parent.category is not None and category != parent.category:
        errors.append(
            field_error(
                "category",
                "not_parent_category",
                f"must be the parent budget's category ({parent.category})",
                parent=parent.category,
            )
        )
    return errors


T = TypeVar("T")


def _collect(errors: list[FieldError], check: Callable[[], T]) -> T | None:
    try:
        return check()
    except InvalidInput as e:
        errors.extend(e.errors)
        return None


# -- coverage --------------------------------------------------------------------------------
def coverage_scopes(campaign_org: str, category: str, start_date: str) -> tuple[BudgetScope, ...]:
    """Every scope that could cover a campaign, the most specific first.

    Deepest org (the campaign's own, then each ancestor), then the category over None, then
    the shortest period containing the start date. A storage layer can get these by key
    (at most 8 × 2 × 3) and take the first that exists: that is the covering budget.
    """
    periods = periods_containing(start_date)
    nodes = orgs.lineage(campaign_org)[::-1]
    return tuple(BudgetScope(node, period, cat) for node in nodes for cat in (category, None) for period in periods)


# -- the ledger ------------------------------------------------------------------------------
@dataclass(frozen=True)
class LedgerEntry:
    """One line of one budget's ledger.

    `ledger_id` is the budget whose figures the entry changes; `budget_id` names the other
    budget involved, if any (on a parent's `carve`: the child; on a child's `allocate` or
    `adjust`: the parent). What each kind does to its ledger's figures:

    - allocate: amount += a    (a budget's first entry: money given to it, a > 0)
    - adjust:   amount += a    (PATCH amount; a < 0 when it shrinks)
    - carve:    allocated += a (a child carved out or grown; a < 0 when the child shrinks)
    - reserve:  reserved += a  (the final approval of `campaign_id`)
    - release:  reserved −= a  (what a settled or cancelled campaign gives back)
    - consume:  reserved −= a, consumed += a  (settlement of `campaign_id`)

    `key` is a stable business key: the same fact always yields the same key (one reserve
    per campaign, one adjust per budget version …), so a store can insert an entry
    conditional on its key's absence and a retry can never book it twice.
    """

    id: str
    ledger_id: str
    kind: str
    amount: int
    at: str
    by: Person
    key: str
    campaign_id: str | None = None
    budget_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The API's entry: `{id, at, kind, amount, campaign_id?, budget_id?, by}`."""
        out: dict[str, Any] = {
            "id": self.id,
            "at": self.at,
            "kind": self.kind,
            "amount": self.amount,
            "by": self.by.as_dict(),
        }
        if self.campaign_id is not None:
            out["campaign_id"] = self.campaign_id
        if self.budget_id is not None:
            out["budget_id"] = self.budget_id
        return out


@dataclass(frozen=True)
class Delta:
    """How one budget's figures move in one operation.

    A store applies it as one update (`ADD` to each figure and to a kept `available`)
    conditional on `available >= needs_available`; when that condition fails the operation
    is refused with `code_if_short` and nothing is written.
    """

    budget_id: str
    amount: int = 0
    allocated: int = 0
    reserved: int = 0
    consumed: int = 0
    code_if_short: str = "budget_exceeded"

    @property
    def available(self) -> int:
        return self.amount - self.allocated - self.reserved - self.consumed

    @property
    def needs_available(self) -> int:
        return max(0, -self.available)


def entry_delta(entry: LedgerEntry) -> Delta:
    """What one entry does to its ledger's figures: the one place the kinds are interpreted."""
    a = entry.amount
    if entry.kind in ("allocate", "adjust"):
        return Delta(entry.ledger_id, amount=a, code_if_short="budget_below_committed")
    if entry.kind == "carve":
        return Delta(entry.ledger_id, allocated=a)
    if entry.kind == "reserve":
        return Delta(entry.ledger_id, reserved=a)
    if entry.kind == "release":
        return Delta(entry.ledger_id, reserved=-a)
    if entry.kind == "consume":
        return Delta(entry.ledger_id, reserved=-a, consumed=a)
    raise ValueError(f"unknown ledger entry kind {entry.kind!r}")


def replay(entries: Iterable[LedgerEntry]) -> Figures:
    """The figures a budget's ledger gives: exactly its amount, allocated, reserved, consumed."""
    amount = allocated = reserved = consumed = 0
    for entry in entries:
        d = entry_delta(entry)
        amount += d.amount
        allocated += d.allocated
        reserved += d.reserved
        consumed += d.consumed
    return Figures(amount, allocated, reserved, consumed)


def apply_delta(budget: Budget, delta: Delta, at: str) -> Budget:
    """The budget after `delta`, refused exactly as a store's conditional update refuses it."""
    if delta.budget_id != budget.id:
        raise ValueError(f"delta for {delta.budget_id} applied to {budget.id}")
    if budget.available < delta.needs_available:
        raise _short(budget, delta)
    return replace(
        budget,
        amount=budget.amount + delta.amount,
        allocated=budget.allocated + delta.allocated,
        reserved=budget.reserved + delta.reserved,
        consumed=budget.consumed + delta.consumed,
        updated_at=at,
    )


def _short(budget: Budget, delta: Delta) -> Conflict:
    if delta.code_if_short == "budget_below_committed":
        return below_committed(budget.committed)
    return BudgetExceeded(budget.available, delta.needs_available)


# -- the campaign's reservation --------------------------------------------------------------
@dataclass(frozen=True)
class CampaignBudget:
    """The campaign field `budget`: which budget covers it and where its reservation stands.

    `reserved` is what the campaign holds now; `consumed` and `released` what settlement or
    cancellation did with it. `reserved + consumed + released` is always the amount reserved
    at approval (the approved amount). Unbudgeted campaigns have `budget: null`.
    """

    id: str
    org: str
    period: str
    category: str | None
    reserved: int = 0
    consumed: int = 0
    released: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "org": self.org,
            "period": self.period,
            "category": self.category,
            "reserved": self.reserved,
            "consumed": self.consumed,
            "released": self.released,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> CampaignBudget | None:
        if not data:
            return None
        return cls(
            id=str(data["id"]),
            org=str(data["org"]),
            period=str(data["period"]),
            category=data.get("category"),
            reserved=int(data.get("reserved") or 0),
            consumed=int(data.get("consumed") or 0),
            released=int(data.get("released") or 0),
        )


# -- effects ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Effect:
    """What one operation does: the entries to append, in order, and what follows from them.

    `created` is a budget to insert (with its final figures) rather than update; `deltas`
    cover only budgets that already exist. `campaign_budget` is the campaign's new `budget`
    field for operations on a campaign. An operation that changes nothing has no entries.
    """

    entries: tuple[LedgerEntry, ...] = ()
    created: Budget | None = None
    campaign_budget: CampaignBudget | None = None

    @property
    def deltas(self) -> tuple[Delta, ...]:
        """One delta per existing budget the entries touch, in the order first touched."""
        merged: dict[str, Delta] = {}
        for entry in self.entries:
            if self.created is not None and entry.ledger_id == self.created.id:
                continue
            d = entry_delta(entry)
            seen = merged.get(d.budget_id)
            merged[d.budget_id] = (
                d
                if seen is None
                else Delta(
                    d.budget_id,
                    seen.amount + d.amount,
                    seen.allocated + d.allocated,
                    seen.reserved + d.reserved,
                    seen.consumed + d.consumed,
                    seen.code_if_short if seen.needs_available else d.code_if_short,
                )
            )
        return tuple(merged.values())


def _entry(
    ledger_id: str,
    kind: str,
    amount: int,
    at: str,
    by: Person,
    key: str,
    campaign_id: str | None = None,
    budget_id: str | None = None,
) -> LedgerEntry:
    return LedgerEntry(
        id=ids.new_id(_ms(at)),
        ledger_id=ledger_id,
        kind=kind,
        amount=amount,
        at=at,
        by=by,
        key=key,
        campaign_id=campaign_id,
        budget_id=budget_id,
    )


def _ms(at: str) -> int | None:
    """Milliseconds of an ISO instant, so entry ids sort as the entries happened."""
    try:
        return int(dt.datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() * 1000)
    except (AttributeError, ValueError):
        return None


def creation_effect(budget: Budget, parent: Budget | None, by: Person, at: str) -> Effect:
    """Creating `budget` (from new_budget): its `allocate`, and the parent's `carve` when carved."""
    if (parent.id if parent else None) != budget.parent_id:
        raise ValueError("the parent given is not the budget's parent")
    entries = [
        _entry(budget.id, "allocate", budget.amount, at, by, f"allocate#{budget.id}", budget_id=budget.parent_id)
    ]
    if parent is not None:
        if parent.available < budget.amount:
            raise BudgetExceeded(parent.available, budget.amount, "the parent budget")
        entries.append(
            _entry(parent.id, "carve", budget.amount, at, by, f"carve#{budget.id}#created", budget_id=budget.id)
        )
    return Effect(entries=tuple(entries), created=budget)


def resize_effect(budget: Budget, new_amount: Any, parent: Budget | None, by: Person, at: str) -> Effect:
    """`PATCH /budgets/{id} {amount}`: an `adjust`, and for a carved budget the parent's `carve`.

    Below `allocated + reserved + consumed` → Conflict `budget_below_committed`. A carved
    budget grows out of its parent (BudgetExceeded when the parent is short) and gives back
    to it when it shrinks; a top budget simply changes. The same amount changes nothing.
    """
    new_amount = check_amount(new_amount)
    if (parent.id if parent else None) != budget.parent_id:
        raise ValueError("the parent given is not the budget's parent")
    change = new_amount - budget.amount
    if change == 0:
        return Effect()
    if new_amount < budget.committed:
        raise below_committed(budget.committed)
    if parent is not None and change > parent.available:
        raise BudgetExceeded(parent.available, change, "the parent budget")
    version = budget.version or 0
    entries = [
        _entry(budget.id, "adjust", change, at, by, f"adjust#{budget.id}#v{version}", budget_id=budget.parent_id)
    ]
    if parent is not None:
        entries.append(_entry(parent.id, "carve", change, at, by, f"carve#{budget.id}#v{version}", budget_id=budget.id))
    return Effect(entries=tuple(entries))


def reservation_effect(budget: Budget, campaign_id: str, amount: int, by: Person, at: str) -> Effect:
    """The final approval of a campaign reserves `amount` (its approved amount) from `budget`.

    Short → BudgetExceeded carrying `available`; the campaign then stays `submitted`.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise no_amount("approved_amount", amount)
    if amount > budget.available:
        raise BudgetExceeded(budget.available, amount)
    entries = (_entry(budget.id, "reserve", amount, at, by, f"reserve#{campaign_id}", campaign_id=campaign_id),)
    reservation = CampaignBudget(budget.id, budget.org, budget.period, budget.category, reserved=amount)
    return Effect(entries=entries if amount else (), campaign_budget=reservation)


def settlement_effect(
    reservation: CampaignBudget | None, campaign_id: str, settled: int, by: Person, at: str
) -> Effect:
    """Settling `settled` fen consumes it and releases the rest of the reservation."""
    if reservation is None:
        return Effect()
    if isinstance(settled, bool) or not isinstance(settled, int) or settled < 0:
        raise no_amount("amount", settled)
    if settled > reservation.reserved:
        raise above("amount", "above_reserved", "the reserved amount", reservation.reserved)
    rest = reservation.reserved - settled
    entries = []
    if settled:
        entries.append(
            _entry(reservation.id, "consume", settled, at, by, f"consume#{campaign_id}", campaign_id=campaign_id)
        )
    if rest:
        entries.append(
            _entry(reservation.id, "release", rest, at, by, f"release#{campaign_id}", campaign_id=campaign_id)
        )
    after = replace(
        reservation, reserved=0, consumed=reservation.consumed + settled, released=reservation.released + rest
    )
    return Effect(entries=tuple(entries), campaign_budget=after)


def cancellation_effect(reservation: CampaignBudget | None, campaign_id: str, by: Person, at: str) -> Effect:
    """Cancelling a campaign releases everything it still holds."""
    if reservation is None:
        return Effect()
    held = reservation.reserved
    entries = (_entry(reservation.id, "release", held, at, by, f"release#{campaign_id}", campaign_id=campaign_id),)
    after = replace(reservation, reserved=0, released=reservation.released + held)
    return Effect(entries=entries if held else (), campaign_budget=after)
