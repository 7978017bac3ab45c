"""The CSV and the XLSX workbook of a report. Money stays in integer fen, as in the API."""
from __future__ import annotations

import csv
import io

from chalicelib.reporting import COLUMNS, OVERDUE_COLUMNS, ReportData, flat


def sections(data: ReportData) -> list[tuple[str, list[dict]]]:
    return [("total", [data.total]), ("category", data.by_category), (data.org_level, data.by_org),
            ("owner", data.ranking)]


def to_csv(data: ReportData) -> bytes:
    """One table: a `section` column (total, category, region|province, owner) then COLUMNS."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["period", "scope", "section", *COLUMNS])
    for section, rows in sections(data):
        for row in rows:
            w.writerow([data.period, data.scope, section, *["" if v is None else v for v in flat(row)]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")   # BOM: Excel opens UTF-8 (Chinese names) right


def to_xlsx(data: ReportData) -> bytes:
    import xlsxwriter   # imported here: only the report compiler needs it

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    money = book.add_format({"num_format": "#,##0"})
    ratio = book.add_format({"num_format": "0.0000"})
    formats = {c: money for c in COLUMNS if c.endswith(("amount", "spend", "sales"))}
    formats.update({c: ratio for c in ("expected_cost_ratio", "actual_cost_ratio", "roi", "median_roi")})

    def sheet(name: str, columns, rows) -> None:
        ws = book.add_worksheet(name)
        ws.write_row(0, 0, columns, head)
        for r, values in enumerate(rows, start=1):
            for c, value in enumerate(values):
                if value is None:
                    continue
                ws.write(r, c, value, formats.get(columns[c]))
        ws.set_column(0, len(columns) - 1, 14)
        ws.freeze_panes(1, 0)

    sheet("Summary", ["section", *COLUMNS], [[s, *flat(r)] for s, rows in sections(data)[:2] for r in rows])
    sheet(f"By {data.org_level}", list(COLUMNS), [flat(r) for r in data.by_org])
    sheet("ROI ranking", ["rank", *COLUMNS], [[i, *flat(r)] for i, r in enumerate(data.ranking, start=1)])
    sheet("Overdue feedback", list(OVERDUE_COLUMNS), [[o.get(c) for c in OVERDUE_COLUMNS] for o in data.overdue])
    book.close()
    return buf.getvalue()
