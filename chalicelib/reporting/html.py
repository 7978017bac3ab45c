"""The HTML report (also the email body): plan vs actual by category, the ROI ranking and the
overdue feedback list, with charts drawn as inline SVG (no chart library: small and fast)."""
from __future__ import annotations

from html import escape

from chalicelib.reporting import ReportData

_CSS = ("body{font-family:-apple-system,'PingFang SC','Microsoft YaHei',Arial,sans-serif;color:#222;"
        "max-width:980px;margin:24px auto;padding:0 12px}table{border-collapse:collapse;width:100%;margin:8px 0 24px}"
        "th,td{border:1px solid #ddd;padding:4px 8px;font-size:13px;text-align:right}th{background:#eef3fa}"
        "td.l,th.l{text-align:left}h1{font-size:22px}h2{font-size:17px;margin-top:28px}.note{color:#666;font-size:12px}")
PLAN, ACTUAL = "#9db7dd", "#2d6cc0"


def yuan(fen) -> str:
    return "—" if fen is None else f"¥{fen / 100:,.2f}"


def num(value) -> str:
    return "—" if value is None else f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def bar_chart(rows: list[dict], pairs: tuple[tuple[str, str, str], ...], width: int = 940) -> str:
    """Grouped bars: for each row, one pair (plan, actual) per (label, plan field, actual field)."""
    if not rows:
        return "<p class='note'>No approved campaigns in this period.</p>"
    peak = max([1] + [int(r.get(f) or 0) for r in rows for _, p, a in pairs for f in (p, a)])
    group_w = (width - 60) / len(rows)
    bar_w = max(4.0, min(28.0, group_w / (2 * len(pairs) + 1)))
    height, top = 220, 20
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height + 60}' role='img'>"]
    parts.append(f"<line x1='50' y1='{top + height}' x2='{width}' y2='{top + height}' stroke='#999'/>")
    for i, row in enumerate(rows):
        x = 55 + i * group_w
        for j, (label, plan_field, actual_field) in enumerate(pairs):
            for k, (field, colour) in enumerate(((plan_field, PLAN), (actual_field, ACTUAL))):
                value = int(row.get(field) or 0)
                h = height * value / peak
                bx = x + (2 * j + k) * bar_w
                parts.append(f"<rect x='{bx:.1f}' y='{top + height - h:.1f}' width='{bar_w - 1:.1f}' "
                             f"height='{h:.1f}' fill='{colour}'><title>{escape(str(row['group']))} {label} "
                             f"{'plan' if k == 0 else 'actual'}: {yuan(value)}</title></rect>")
        parts.append(f"<text x='{x:.1f}' y='{top + height + 16}' font-size='11'>{escape(str(row['group']))[:18]}</text>")
    legend = " · ".join(label for label, _, _ in pairs)
    parts.append(f"<text x='50' y='{top + height + 40}' font-size='11' fill='#555'>pale: plan, dark: actual "
                 f"({escape(legend)}); max {yuan(peak)}</text></svg>")
    return "".join(parts)


def ranking_chart(rows: list[dict], width: int = 940, limit: int = 15) -> str:
    """Horizontal bars of ROI, best first; negative ROI drawn left of the axis."""
    ranked = [r for r in rows if r.get("roi") is not None][:limit]
    if not ranked:
        return "<p class='note'>No feedback with actual figures yet.</p>"
    span = max([0.5] + [abs(r["roi"]) for r in ranked])
    zero, scale, line = 330, (width - 360) / (2 * span), 20
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{line * len(ranked) + 10}' role='img'>"]
    for i, r in enumerate(ranked):
        y = 5 + i * line
        w = abs(r["roi"]) * scale
        x = zero if r["roi"] >= 0 else zero - w
        label = escape(str(r.get("name") or r["group"]))[:40]
        parts.append(f"<text x='0' y='{y + 13}' font-size='12'>{i + 1}. {label}</text>")
        parts.append(f"<rect x='{x:.1f}' y='{y}' width='{max(w, 1):.1f}' height='{line - 5}' "
                     f"fill='{ACTUAL if r['roi'] >= 0 else '#c0392b'}'/>")
        parts.append(f"<text x='{zero + (w if r['roi'] >= 0 else 0) + 6:.1f}' y='{y + 13}' font-size='12'>{num(r['roi'])}</text>")
    parts.append(f"<line x1='{zero}' y1='0' x2='{zero}' y2='{line * len(ranked) + 5}' stroke='#999'/></svg>")
    return "".join(parts)


def _table(rows: list[dict], first: str) -> str:
    head = (f"<tr><th class='l'>{escape(first)}</th><th>campaigns</th><th>approved</th><th>plan spend</th>"
            "<th>actual spend</th><th>plan sales</th><th>actual sales</th><th>plan cost ratio</th>"
            "<th>actual cost ratio</th><th>ROI</th><th>feedback passive/active</th><th>pending</th>"
            "<th>overdue</th><th>reimbursed</th></tr>")
    body = []
    for r in rows:
        fb = r["feedback"]
        name = r.get("name")
        label = escape(str(r["group"])) + (f" <span class='note'>{escape(name)}</span>" if name else "")
        body.append(f"<tr><td class='l'>{label}</td><td>{r['campaigns']}</td><td>{yuan(r['approved_amount'])}</td>"
                    f"<td>{yuan(r['expected_spend'])}</td><td>{yuan(r['actual_spend'])}</td>"
                    f"<td>{yuan(r['expected_sales'])}</td><td>{yuan(r['actual_sales'])}</td>"
                    f"<td>{num(r['expected_cost_ratio'])}</td><td>{num(r['actual_cost_ratio'])}</td>"
                    f"<td>{num(r['roi'])}</td><td>{fb['passive']}/{fb['active']}</td><td>{fb['pending']}</td>"
                    f"<td>{fb['overdue']}</td><td>{yuan(r['reimbursed_amount'])}</td></tr>")
    return f"<table>{head}{''.join(body)}</table>"


def render(data: ReportData, links: dict[str, str] | None = None) -> str:
    t = data.total
    overdue_rows = "".join(
        f"<tr><td class='l'>{escape(o['title'])}</td><td class='l'>{escape(o['owner'])}</td>"
        f"<td class='l'>{escape(o['org'])}</td><td class='l'>{escape(o['customer'])}</td>"
        f"<td>{o['due_date']}</td><td>{o['days_overdue']}</td></tr>" for o in data.overdue)
    more = data.overdue_total - len(data.overdue)
    link_html = ""
    if links:
        link_html = "<p class='note'>" + " · ".join(
            f"<a href='{escape(url)}'>{escape(name)}</a>" for name, url in links.items()) + "</p>"
    notes = "".join(f"<p class='note'>{escape(n)}</p>" for n in data.notes)
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(data.title)}</title>
<style>{_CSS}</style></head><body>
<h1>{escape(data.title)}</h1>
<p>{t['campaigns']} approved campaigns, {yuan(t['approved_amount'])} approved; actual spend {yuan(t['actual_spend'])}
against {yuan(t['actual_sales'])} of sales (ROI {num(t['roi'])}, cost ratio {num(t['actual_cost_ratio'])});
feedback {t['feedback']['passive']} passive, {t['feedback']['active']} active, {t['feedback']['pending']} pending,
<b>{data.overdue_total} overdue</b> as of {escape(data.today)} (Asia/Shanghai).
Generated {escape(data.generated_at)}.</p>{link_html}
<h2>Plan vs actual by category</h2>
{bar_chart(data.by_category, (("spend", "expected_spend", "actual_spend"), ("sales", "expected_sales", "actual_sales")))}
{_table(data.by_category, "category")}
<h2>By {escape(data.org_level)}</h2>
{_table(data.by_org, data.org_level)}
<h2>ROI ranking of reps</h2>
{ranking_chart(data.ranking)}
{_table(data.ranking, "rep")}
<h2>Overdue feedback ({data.overdue_total})</h2>
<table><tr><th class='l'>campaign</th><th class='l'>rep</th><th class='l'>org</th><th class='l'>customer</th>
<th>due</th><th>days overdue</th></tr>{overdue_rows}</table>
{f"<p class='note'>… and {more} more (see the workbook of a narrower scope).</p>" if more > 0 else ""}
{notes}
</body></html>"""
