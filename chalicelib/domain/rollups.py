"""Roll-ups: what one campaign contributes to the monthly aggregates, and how rows add up.

Plain Python, no I/O. The stream handler applies `delta(old, new)` for every change of a
campaign; `make verify-rollups` sums `contribution(c)` over every campaign and compares.

A campaign counts in the month of its start date once approved. It contributes to one row
per org node on its path (group, region, province, … each × its category), one customer row
and one owner row (each × its org and category). Metrics are integers, so rows are exact
sums and can be compared with a recompute:

* `campaigns`, `approved_amount`, `expected_spend`, `expected_sales` — every approved campaign;
* `fed_back`, `actual_spend`, `actual_sales`, `passive`, `active` — campaigns with submitted
  feedback (actuals are the latest submitted revision's);
* `required` — approved campaigns whose feedback is required;
* `due#YYYY-MM-DD` — required feedback still awaited, counted by due date, because whether it
  is pending or overdue depends on the day it is read: pending = due today or later,
  overdue = due before today (`feedback_counts`);
* `reimbursed`, `reimbursed_amount` — settled campaigns;
* `rs#<bucket>`, `cs#<bucket>` — fine log sketches of ROI and cost ratio (figures.py);
* `rv#<value>`, `cv#<value>` — the values themselves (in ten-thousandths), so that a small
  group's medians are exact. A row keeps them while it holds at most ROW_EXACT_CAP campaigns
  with feedback; the first change that would take it past that marks it `xover` and drops
  them (the storage decides, with the row's count read in the same unit of work: `exact_kept`),
  so a row never grows past a few kilobytes of values. The old `roi#`/`cr#` histograms
  (16 buckets per decade) are no longer written nor read.

Beside the rows, a campaign with an ROI has a `Standing` under every org node on its path in
its month: the index a report reads the period's best and worst campaigns from (one Query
each way, however many campaigns the month has). A change moves it (`standings_delta`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain import figures
from chalicelib.domain import org as orgs
from chalicelib.domain.campaign import Campaign

DIMENSIONS = ("org", "customer", "owner")
DUE = "due#"
ROI = "rs#"  # sketch of 1 + ROI
COST = "cs#"  # sketch of the cost ratio
ROI_VALUES = "rv#"  # exact ROI values, in ten-thousandths
COST_VALUES = "cv#"  # exact cost ratios, in ten-thousandths
EXACT = (ROI_VALUES, COST_VALUES)
OVERFLOW = "xover"  # > 0: the row has held more than ROW_EXACT_CAP campaigns; its values are stale
ROW_EXACT_CAP = 100  # twice figures.EXACT_MEDIAN_UP_TO: a row that shrinks back still has its values
SUMS = (
    "campaigns",
    "approved_amount",
    "expected_spend",
    "expected_sales",
    "fed_back",
    "actual_spend",
    "actual_sales",
    "passive",
    "active",
    "required",
    "reimbursed",
    "reimbursed_amount",
)
# An org path has at most 8 levels (org.is_valid_org): ≤ 8 org rows + customer + owner per
# campaign; a change that moves it (month, category, …) touches both sets: ≤ 20 rows + marker.
MAX_ROWS_PER_CHANGE = 2 * (8 + 2)


@dataclass(frozen=True, order=True)
class RowKey:
    """One roll-up row: a dimension's entity (org node, customer id, owner id) in a month,
    for one org and one category. For org rows the entity is the node and `org` equals it."""

    tenant: str
    dim: str
    entity: str
    month: str
    org: str
    category: str

    @property
    def level(self) -> int:
        return orgs.depth(self.org)


Metrics = dict[str, int]


def month_of(day: str) -> str:
    return day[:7]


def contribution(c: Campaign | None) -> dict[RowKey, Metrics]:
    """The rows a campaign adds to, and what it adds; nothing unless it is approved."""
    if c is None or c.status != "approved":
        return {}
    m: Metrics = {
        "campaigns": 1,
        "approved_amount": c.approved_amount or 0,
        "expected_spend": c.expected_spend,
        "expected_sales": c.expected_sales,
    }
    if c.feedback_revision > 0:
        m["fed_back"] = 1
        m["actual_spend"] = c.actual_spend or 0
        m["actual_sales"] = c.actual_sales or 0
        m["passive" if c.feedback_kind == "passive" else "active"] = 1
        roi_b = figures.roi_bucket(c.actual_sales, c.actual_spend)
        if roi_b is not None:
            m[f"{ROI}{roi_b}"] = 1
            m[f"{ROI_VALUES}{figures.value_key(figures.roi(c.actual_sales, c.actual_spend))}"] = 1
        cost_b = figures.cost_ratio_bucket(c.actual_spend, c.actual_sales)
        if cost_b is not None:
            m[f"{COST}{cost_b}"] = 1
            m[f"{COST_VALUES}{figures.value_key(figures.ratio(c.actual_spend, c.actual_sales))}"] = 1
    if c.feedback_required:
        m["required"] = 1
        if c.feedback_revision == 0:
            m[f"{DUE}{c.feedback_due_date}"] = 1
    if c.reimbursement_status == "reimbursed":
        m["reimbursed"] = 1
        m["reimbursed_amount"] = c.reimbursed_amount or 0
    tenant, month = orgs.tenant_of(c.org), month_of(c.start_date)
    rows: dict[RowKey, Metrics] = {}
    for node in orgs.lineage(c.org):
        rows[RowKey(tenant, "org", node, month, node, c.category)] = dict(m)
    rows[RowKey(tenant, "customer", c.customer_id, month, c.org, c.category)] = dict(m)
    rows[RowKey(tenant, "owner", c.owner_id, month, c.org, c.category)] = dict(m)
    return rows


@dataclass(frozen=True, order=True)
class Standing:
    """A campaign's place among the campaigns of an org node's month, by ROI."""

    tenant: str
    node: str
    month: str
    roi: float
    campaign_id: str


def standings(c: Campaign | None) -> set[Standing]:
    """Where an approved campaign with an ROI (fed back, actual spend above zero) stands."""
    if c is None or c.status != "approved" or c.feedback_revision == 0:
        return set()
    roi = figures.roi(c.actual_sales, c.actual_spend)
    if roi is None:
        return set()
    tenant, month = orgs.tenant_of(c.org), month_of(c.start_date)
    return {Standing(tenant, node, month, roi, c.id) for node in orgs.lineage(c.org)}


@dataclass(frozen=True)
class Placement:
    """Where a campaign stands after one of its changes (its standings), as of its version. A
    stream may apply two changes of one campaign out of order (a failed record is retried after
    the next one succeeded), so the storage moves standings only from an older version to a
    newer one: a late, older change leaves them as the newer one set them."""

    tenant: str
    campaign_id: str
    version: int
    standings: frozenset[Standing]


def placement(old: Campaign | None, new: Campaign | None) -> Placement | None:
    """The standings a change leaves, or None when the campaign stands nowhere before or after."""
    before, after = standings(old), standings(new)
    if not before and not after:
        return None
    if new is not None:
        return Placement(orgs.tenant_of(new.org), new.id, new.version or 0, frozenset(after))
    assert old is not None  # it stands somewhere
    return Placement(orgs.tenant_of(old.org), old.id, (old.version or 0) + 1, frozenset())


def delta(old: Campaign | None, new: Campaign | None) -> dict[RowKey, Metrics]:
    """contribution(new) − contribution(old), without zero entries or empty rows."""
    out: dict[RowKey, Metrics] = {}
    for sign, rows in ((1, contribution(new)), (-1, contribution(old))):
        for key, metrics in rows.items():
            row = out.setdefault(key, {})
            for name, value in metrics.items():
                row[name] = row.get(name, 0) + sign * value
    cleaned = {}
    for key, metrics in out.items():
        nonzero = {n: v for n, v in metrics.items() if v}
        if nonzero:
            cleaned[key] = nonzero
    return cleaned


def is_exact(name: str) -> bool:
    return name.startswith(EXACT)


def without_exact(metrics: Mapping[str, int]) -> Metrics:
    return {n: int(v) for n, v in metrics.items() if not is_exact(n)}


def exact_kept(fed_back_before: int, overflowed: bool, change: Mapping[str, int]) -> bool:
    """Whether a change to a row may carry its exact values: the row has not overflowed, and
    after the change it holds at most ROW_EXACT_CAP campaigns with feedback."""
    return not overflowed and fed_back_before + max(int(change.get("fed_back", 0)), 0) <= ROW_EXACT_CAP


def capped(metrics: Mapping[str, int]) -> Metrics:
    """A row's absolute metrics as stored (backfills, seeding): past the cap, no values."""
    if int(metrics.get("fed_back", 0)) <= ROW_EXACT_CAP:
        return dict(metrics)
    return {**without_exact(metrics), OVERFLOW: 1}


def comparable(metrics: Mapping[str, int], overflowed: bool) -> Metrics:
    """What a recompute can check of a row: everything, or, once it has overflowed, all but
    its (stale) values and the mark."""
    if not overflowed:
        return {n: int(v) for n, v in metrics.items() if v}
    return {n: v for n, v in without_exact(metrics).items() if v and n != OVERFLOW}


def medians(m: Mapping[str, int]) -> tuple[float | None, float | None]:
    """(median ROI, median cost ratio) of a group's summed metrics: exact from the values when
    the group holds at most EXACT_MEDIAN_UP_TO of them and none of its rows has overflowed,
    else from the sketches (within ±0.9 %)."""
    roi_sketch, cost_sketch = histogram(m, ROI), histogram(m, COST)
    roi_values, cost_values = histogram(m, ROI_VALUES), histogram(m, COST_VALUES)

    def usable(values: dict[int, int], sketch: dict[int, int]) -> dict[int, int] | None:
        n = sum(values.values())
        ok = not int(m.get(OVERFLOW, 0)) and n == sum(sketch.values()) and n <= figures.EXACT_MEDIAN_UP_TO
        return values if ok and n else None

    return (
        figures.median_roi(roi_sketch, usable(roi_values, roi_sketch)),
        figures.median_cost_ratio(cost_sketch, usable(cost_values, cost_sketch)),
    )


def add_into(total: Metrics, metrics: Mapping[str, int]) -> Metrics:
    for name, value in metrics.items():
        total[name] = total.get(name, 0) + int(value)
    return total


def feedback_counts(m: Mapping[str, int], today: str) -> dict[str, int]:
    """passive / active / pending / overdue as of `today` (an Asia/Shanghai date)."""
    pending = overdue = 0
    for name, value in m.items():
        if name.startswith(DUE):
            if name[len(DUE) :] < today:
                overdue += int(value)
            else:
                pending += int(value)
    return {
        "passive": int(m.get("passive", 0)),
        "active": int(m.get("active", 0)),
        "pending": pending,
        "overdue": overdue,
    }


def histogram(m: Mapping[str, int], prefix: str) -> dict[int, int]:
    return {int(name[len(prefix) :]): int(v) for name, v in m.items() if name.startswith(prefix) and v}


def summary_row(group: str, m: Mapping[str, int], today: str) -> dict[str, Any]:
    """A row of GET /reports/summary from the summed metrics of a group."""

    def g(name: str) -> int:
        return int(m.get(name, 0))

    return {
        "group": group,
        "campaigns": g("campaigns"),
        "approved_amount": g("approved_amount"),
        "expected_spend": g("expected_spend"),
        "actual_spend": g("actual_spend"),
        "expected_sales": g("expected_sales"),
        "actual_sales": g("actual_sales"),
        **figures.aggregate(g("expected_spend"), g("expected_sales"), g("actual_spend"), g("actual_sales")),
        "feedback": feedback_counts(m, today),
        "feedback_compliance_rate": compliance_rate(m, today),
        "reimbursed_amount": g("reimbursed_amount"),
        "fed_back": g("fed_back"),
        **dict(zip(("median_roi", "median_cost_ratio"), medians(m), strict=True)),
    }


def compliance_rate(m: Mapping[str, int], today: str) -> float | None:
    """Required feedback delivered ÷ required feedback that is delivered or overdue (feedback not
    yet due counts neither way); null when nothing was due."""
    counts = feedback_counts(m, today)
    delivered = int(m.get("required", 0)) - counts["pending"] - counts["overdue"]
    return figures.ratio(delivered, delivered + counts["overdue"])


def months_between(first: str, last: str) -> list[str]:
    """Every YYYY-MM from `first` to `last` inclusive."""
    y, mo = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{mo:02d}" <= last:
        out.append(f"{y:04d}-{mo:02d}")
        mo += 1
        if mo == 13:
            y, mo = y + 1, 1
    return out
