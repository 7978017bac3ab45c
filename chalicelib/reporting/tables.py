"""The XLSX workbook and the CSV of a report.

The workbook opens with a Report sheet (what, whose, as of when, the headline figures, notes)
and has one sheet per section. The CSV holds every row of those section sheets in one table,
told apart by a `section` column; it leaves out only the Report sheet, whose figures are the
sections' total rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

from chalicelib.reporting import Column, ReportData, Row, Section, values
from chalicelib.reporting.words import Language, say

# Excel's yuan currency format (locale 804 = zh-CN); negative amounts in red.
MONEY_FORMAT = "[$¥-804]#,##0.00;[Red]-[$¥-804]#,##0.00"
NUMBER_FORMATS = {
    "money": MONEY_FORMAT,
    "ratio": "0.0%",
    "percent": "0.0%",
    "count": "#,##0",
    "date": "yyyy-mm-dd",
    "month": "yyyy-mm",
}
WIDTHS = {"money": 14, "ratio": 9, "percent": 10, "count": 10, "date": 11, "month": 9, "id": 14, "text": 22}
WIDE_TEXT = {"title": 32, "name": 22, "customer": 22, "org": 20, "campaign_id": 28, "reflections": 60}


def cell_value(value: values.Value, kind: str) -> Any:
    """What the workbook stores: yuan numbers for money (so sums work), dates as dates."""
    if value is None or value == "":
        return None
    if kind == "money":
        return float(values.yuan(int(value)))
    if kind == "date":
        return dt.date.fromisoformat(str(value))
    if kind == "month":
        return dt.date.fromisoformat(f"{value}-01")
    return value


def heading(col: Column, lang: Language) -> str:
    return say(lang, "report.wb.cny", label=col.label) if col.kind == "money" else col.label


def sheet_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", name)[:31] or "Sheet"
    out, n = base, 2
    while out.lower() in taken:
        out = f"{base[:28]} {n}"
        n += 1
    taken.add(out.lower())
    return out


def to_xlsx(data: ReportData) -> bytes:
    import xlsxwriter  # imported here: only the report compiler needs it

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    book.set_properties({"title": data.title, "subject": f"{data.scope} {data.period}", "author": "Huixiang"})
    lang = data.language
    fmt = {}
    for bold in (False, True):
        for kind in (*NUMBER_FORMATS, "text"):
            props = {"bold": bold, "valign": "top"}
            if kind in NUMBER_FORMATS:
                props["num_format"] = NUMBER_FORMATS[kind]
            fmt[kind, bold] = book.add_format(props)
        fmt["missing", bold] = book.add_format({"bold": bold, "align": "right", "font_color": "#888888"})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True, "valign": "top"})
    title = book.add_format({"bold": True, "font_size": 14})
    label = book.add_format({"bold": True})
    as_of = book.add_format({"num_format": "yyyy-mm-dd hh:mm", "align": "left"})
    link = book.add_format({"font_color": "#2D6CC0", "underline": 1})
    taken: set[str] = set()
    report_sheet = say(lang, "report.sheet.report")
    names = {s.key: sheet_name(s.sheet, taken | {report_sheet.lower()}) for s in data.sections}

    def write(ws: Any, r: int, c: int, value: values.Value, kind: str, bold: bool = False) -> None:
        stored = cell_value(value, kind)
        if stored is None:
            ws.write_string(r, c, values.MISSING, fmt["missing", bold])
        elif kind in ("date", "month"):
            ws.write_datetime(r, c, stored, fmt[kind, bold])
        elif isinstance(stored, str):
            ws.write_string(r, c, stored, fmt["text", bold])
        else:
            ws.write_number(r, c, stored, fmt.get((kind, bold), fmt["text", bold]))

    def page_setup(ws: Any, heading_rows: int) -> None:
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)  # as wide as one page, as many pages long as it takes
        ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
        if heading_rows:
            ws.repeat_rows(0, heading_rows - 1)
        as_of_text = say(lang, "report.wb.header_as_of", as_of=data.as_of_text)
        ws.set_header(f"&L{_escape_header(data.title)}&R{_escape_header(as_of_text)}")
        ws.set_footer("&C" + say(lang, "report.wb.footer_page"))

    # the Report sheet
    ws = book.add_worksheet(report_sheet)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 30)
    ws.write_string(0, 0, data.title, title)
    meta = [("report.wb.scope", data.scope), ("report.wb.period", data.period), ("report.wb.kind", data.kind_text)]
    for i, (name, value) in enumerate(meta, start=2):
        ws.write_string(i, 0, say(lang, name), label)
        ws.write_string(i, 1, value)
    ws.write_string(5, 0, say(lang, "report.wb.as_of"), label)
    ws.write_datetime(5, 1, data.as_of.replace(tzinfo=None), as_of)
    ws.write_string(6, 0, say(lang, "report.wb.generated"), label)
    ws.write_string(6, 1, data.generated_at)
    r = 8
    ws.write_row(r, 0, [say(lang, "report.h.figure"), say(lang, "report.h.value"), say(lang, "report.h.detail")], head)
    for f in data.headline:
        r += 1
        ws.write_string(r, 0, f.label)
        write(ws, r, 1, f.value, f.kind)
        sheet = names[f.section]
        ws.write_url(r, 2, f"internal:'{sheet}'!A1", link, string=sheet)
    r += 2
    for note in [*data.notes, say(lang, "report.wb.money_note"), say(lang, "report.wb.csv_note")]:
        ws.write_string(r, 0, note)
        r += 1
    page_setup(ws, 0)

    for s in data.sections:
        ws = book.add_worksheet(names[s.key])
        _section_sheet(ws, s, write, head, lang)
        page_setup(ws, 1)
    book.close()
    return buf.getvalue()


def _section_sheet(ws: Any, s: Section, write: Any, head: Any, lang: Language) -> None:
    ws.write_row(0, 0, [heading(c, lang) for c in s.columns], head)
    ws.set_row(0, 30)
    for c, col in enumerate(s.columns):
        ws.set_column(c, c, WIDE_TEXT.get(col.key, WIDTHS.get(col.kind, 14)))
    r = 0
    for r, row in enumerate(s.rows, start=1):
        for c, col in enumerate(s.columns):
            write(ws, r, c, row.get(col.key), col.kind)
    if s.rows:
        ws.autofilter(0, 0, r, len(s.columns) - 1)
    if s.total is not None:
        r += 1
        for c, col in enumerate(s.columns):
            write(ws, r, c, s.total.get(col.key), col.kind, bold=True)
    if not s.rows:
        ws.write_string(1, 0, s.empty)
    r = max(r, 1) + 1
    for note in s.notes:
        r += 1
        ws.write_string(r, 0, note)
    ws.freeze_panes(1, 0)


def _escape_header(s: str) -> str:
    return s.replace("&", "&&")


def csv_columns(data: ReportData) -> list[Column]:
    """Every column of every section once, in order of first appearance."""
    seen: dict[str, Column] = {}
    for s in data.sections:
        for col in s.columns:
            seen.setdefault(col.csv_name, col)
    return list(seen.values())


# columns several sections share under headings of their own (a category's name, a region's, a rep's)
CSV_SHARED = ("group", "name")


def csv_heading(col: Column, lang: Language) -> str:
    return say(lang, f"report.csv.{col.key}") if col.key in CSV_SHARED else heading(col, lang)


def to_csv(data: ReportData) -> bytes:
    """One table: period, scope, as_of, section, then the union of the sections' columns. The
    headings are the workbook's, in the report's language; the values are for machines (plain
    numbers, ISO dates, ids, the section's key)."""
    lang = data.language
    columns = csv_columns(data)
    out = io.StringIO()
    w = csv.writer(out)
    own_columns = [say(lang, f"report.csv.{k}") for k in ("period", "scope", "as_of", "section")]
    w.writerow([*own_columns, *[csv_heading(c, lang) for c in columns]])
    as_of = data.as_of.isoformat(timespec="seconds")
    for s in data.sections:
        own = {c.csv_name for c in s.columns}
        rows: list[Row] = s.rows + ([s.total] if s.total is not None else [])
        for row in rows:
            w.writerow(
                [
                    data.period,
                    data.scope,
                    as_of,
                    s.key,
                    *[values.csv(row.get(c.key), c.kind) if c.csv_name in own else "" for c in columns],
                ]
            )
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 (Chinese names) right
