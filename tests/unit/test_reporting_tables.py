"""The workbook and the CSV of a report: yuan under a currency format, dates as dates, frozen
headers, printing one page wide, and a CSV that carries every row the workbook carries."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl

from chalicelib.reporting import tables
from tests.unit.test_reporting_sections import sample_report


def book_of(data) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(tables.to_xlsx(data)))


def table_rows(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    out = []
    for row in rows[1:]:
        if all(v is None for v in row[:2]):
            break
        out.append(dict(zip(rows[0], row, strict=False)))
    return out


def test_the_workbook_opens_with_the_report_and_a_sheet_per_section(rollups_in_memory):
    data = sample_report()
    book = book_of(data)
    assert book.sheetnames == [
        "Report",
        "By category",
        "By region",
        "Best ROI",
        "Worst ROI",
        "Trend",
        "ROI ranking",
        "Overdue feedback",
        "Budgets",
    ]
    report = book["Report"]
    assert report["A1"].value == data.title
    assert report["B6"].value == dt.datetime(2026, 11, 23, 0, 0) and report["B6"].is_date
    figures = {row[0]: row for row in report.iter_rows(min_row=10, max_row=9 + len(data.headline), values_only=True)}
    assert figures["Approved amount"][1] == 21200.00 and figures["Overdue feedback"][1] == 1
    assert figures["Overdue feedback"][2] == "Overdue feedback"  # the sheet that details it
    row = 10 + [f.key for f in data.headline].index("overdue")
    assert report[f"C{row}"].hyperlink.location == "'Overdue feedback'!A1"
    assert figures["Budget available"][1] == 74800.00 and figures["Budget available"][2] == "Budgets"


def test_money_is_stored_in_yuan_under_a_currency_format_so_sums_work(rollups_in_memory):
    ws = book_of(sample_report())["By category"]
    header = [c.value for c in ws[1]]
    assert "Approved amount (CNY)" in header and not any(h == "approved_amount" for h in header)
    col = header.index("Approved amount (CNY)")
    rows = list(ws.iter_rows(min_row=2, max_row=5))
    amounts = [r[col].value for r in rows]
    assert amounts == [900.00, 17600.00, 2700.00, 21200.00]  # display, promotion, tasting, total
    assert sum(amounts[:3]) == amounts[3]
    assert all(r[col].number_format == tables.MONEY_FORMAT for r in rows)
    assert "¥" in tables.MONEY_FORMAT and "0.00" in tables.MONEY_FORMAT
    ratio = rows[0][header.index("Expected cost ratio")]
    assert ratio.value == 0.3 and ratio.number_format == "0.0%"
    roi = rows[2][header.index("ROI")]  # the tasting: ROI 4, stored as the fraction, shown as 400.0%
    assert roi.value == 4 and roi.number_format == "0.0%"
    assert rows[2][header.index("Median ROI")].number_format == "0.0%"
    missing = rows[1][header.index("ROI")]
    assert missing.value == "—"  # no feedback: no ROI, not 0 nor None


def test_dates_are_dates_and_headers_stay_frozen_and_printing_fits_the_page_width(rollups_in_memory):
    book = book_of(sample_report())
    overdue = book["Overdue feedback"]
    (row,) = table_rows(overdue)
    assert row["Feedback due"] == dt.datetime(2026, 11, 4) and row["Start date"] == dt.datetime(2026, 11, 1)
    assert overdue["G2"].number_format == "yyyy-mm-dd"
    trend = book["Trend"]
    assert trend["A2"].value == dt.datetime(2026, 6, 1) and trend["A2"].number_format == "yyyy-mm"
    for ws in book.worksheets[1:]:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.print_title_rows.replace("$", "") == "1:1", ws.title
        assert ws.auto_filter.ref is not None, ws.title
    for ws in book.worksheets:
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0), ws.title  # 1 is the default
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9


def read_csv(data) -> list[dict]:
    return list(csv.DictReader(io.StringIO(tables.to_csv(data).decode("utf-8-sig"))))


def test_the_csv_carries_every_row_of_every_section_sheet_with_units_in_the_column_names(rollups_in_memory):
    data = sample_report()
    book = book_of(data)
    table = read_csv(data)
    for section in data.sections:
        sheet_rows = table_rows(book[section.sheet])
        assert len([r for r in table if r["Section"] == section.key]) == len(sheet_rows), section.key
    header = list(table[0])
    assert header[:4] == ["Report period", "Scope", "As of", "Section"]
    assert {"Approved amount (CNY)", "Actual spend (CNY)", "Settled amount (CNY)"} <= set(header)
    assert len(set(header)) == len(header)
    total = next(r for r in table if r["Section"] == "category" and r["Group"] == "total")
    assert total["Approved amount (CNY)"] == "21200.00" and total["Overdue"] == "1"
    assert total["As of"] == "2026-11-23T00:00:00+08:00"
    (overdue,) = [r for r in table if r["Section"] == "overdue"]
    assert overdue["Feedback due"] == "2026-11-04" and overdue["Customer"] == "苏果 Xinjiekou"
    promotion = next(r for r in table if r["Group"] == "in_store_promotion")
    assert promotion["ROI"] == "" and promotion["Name"] == "In-store promotion"
    tasting = next(r for r in table if r["Group"] == "tasting")
    assert tasting["ROI"] == "4.0"  # a fraction for machines (the page says 400.0%)
    assert "CSV" in book["Report"]["A" + str(book["Report"].max_row)].value  # says what it leaves out


def test_the_budget_sheet_stores_yuan_under_the_currency_format_and_utilisation_as_a_percentage(rollups_in_memory):
    ws = book_of(sample_report())["Budgets"]
    rows = table_rows(ws)
    assert list(rows[0]) == [
        "Budget id",
        "Org",
        "Period",
        "Category id",
        "Category",
        "Amount (CNY)",
        "Carved out (CNY)",
        "Reserved (CNY)",
        "Consumed (CNY)",
        "Available (CNY)",
        "Utilisation",
        "Carved from (budget id)",
    ]
    east = next(r for r in rows if r["Budget id"] == "B-EAST-Q4")
    assert (east["Amount (CNY)"], east["Reserved (CNY)"], east["Consumed (CNY)"], east["Available (CNY)"]) == (
        30000.00,
        2700.00,
        900.00,
        26400.00,
    )
    assert east["Utilisation"] == 0.12 and east["Period"] == "2026-Q4" and east["Carved from (budget id)"] == "B-GROUP"
    assert rows[-1]["Org"] == "Total" and rows[-1]["Available (CNY)"] == 74800.00
    header = [c.value for c in ws[1]]
    for name in ("Amount (CNY)", "Carved out (CNY)", "Reserved (CNY)", "Consumed (CNY)", "Available (CNY)"):
        assert all(
            ws.cell(row=r, column=header.index(name) + 1).number_format == tables.MONEY_FORMAT
            for r in range(2, len(rows) + 2)
        ), name
    assert ws.cell(row=2, column=header.index("Utilisation") + 1).number_format == "0.0%"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref is not None


def test_the_csv_has_the_budget_rows_with_money_in_yuan_and_utilisation_as_a_fraction(rollups_in_memory):
    data = sample_report()
    table = read_csv(data)
    budgets = [r for r in table if r["Section"] == "budget"]
    assert [r["Budget id"] for r in budgets] == ["B-GROUP", "B-EAST-Q4", "B-JS", "B-WEST", "total"]
    west = budgets[3]
    assert (west["Org"], west["Period"], west["Category id"], west["Report period"]) == (
        "ACME/WEST",
        "2026-11",
        "in_store_promotion",
        "2026-11",
    )
    assert (west["Amount (CNY)"], west["Reserved (CNY)"], west["Consumed (CNY)"], west["Available (CNY)"]) == (
        "20000.00",
        "17600.00",
        "0.00",
        "2400.00",
    )
    assert west["Utilisation"] == "0.88" and west["Carved from (budget id)"] == "B-GROUP"
    assert budgets[0]["Category id"] == "" and budgets[0]["Category"] == "Every category"
    assert budgets[-1]["Amount (CNY)"] == "101000.00" and budgets[-1]["Utilisation"] == "0.2099"


def test_the_workbook_and_the_csv_are_in_chinese_by_default(rollups_in_memory):
    data = sample_report(language="zh")
    book = book_of(data)
    assert book.sheetnames == [
        "报表",
        "按活动类型",
        "按大区",
        "回报率最高",
        "回报率最低",
        "趋势",
        "投资回报率排名",
        "逾期未反馈",
        "预算",
    ]
    header = [c.value for c in book["按活动类型"][1]]
    assert header[:5] == ["活动类型 ID", "活动类型", "活动场次", "批准金额（元）", "预计花费（元）"]
    assert {"投资回报率", "实际费用率", "反馈及时率", "按规定反馈", "自愿反馈", "已逾期"} <= set(header)
    names = [r["活动类型"] for r in table_rows(book["按活动类型"])]
    assert names == ["陈列", "店内促销", "品鉴", "合计"]
    table = read_csv(data)
    assert list(table[0])[:4] == ["报表月份", "范围", "数据截至", "分表"]
    assert len(set(table[0])) == len(table[0])
    tasting = next(r for r in table if r["分组"] == "tasting")
    assert tasting["名称"] == "品鉴" and tasting["批准金额（元）"] == "2700.00" and tasting["投资回报率"] == "4.0"
