"""Report artifacts: an HTML page with inline SVG charts, an XLSX workbook and a CSV, each
rendered from one `ReportData`. Only the report compiler imports this package (and only the
workbook imports XlsxWriter), so no other function pays for it at cold start."""
from __future__ import annotations

from dataclasses import dataclass, field

COLUMNS = ("group", "name", "campaigns", "approved_amount", "expected_spend", "actual_spend", "expected_sales",
           "actual_sales", "expected_cost_ratio", "actual_cost_ratio", "roi", "median_roi", "passive", "active",
           "pending", "overdue", "reimbursed_amount")
OVERDUE_COLUMNS = ("campaign_id", "title", "owner", "org", "customer", "due_date", "days_overdue")


@dataclass
class ReportData:
    tenant: str
    scope: str
    period: str
    kind: str                       # month_to_date | final | on_demand
    generated_at: str
    today: str
    total: dict
    by_category: list[dict]
    org_level: str                  # region | province
    by_org: list[dict]
    ranking: list[dict]             # reps by ROI, best first
    overdue: list[dict]
    overdue_total: int
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        what = {"final": "final report", "month_to_date": "month to date"}.get(self.kind, "report")
        return f"Huixiang campaign report {self.period} ({what}) — {self.scope}"


def flat(row: dict) -> list:
    """A summary row as the values of COLUMNS (feedback counts flattened)."""
    fb = row.get("feedback", {})
    return [fb.get(c) if c in ("passive", "active", "pending", "overdue") else row.get(c) for c in COLUMNS]
