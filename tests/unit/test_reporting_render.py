"""The page and the email of a report: money in yuan, charts a manager reads at a glance, a
CJK-capable font stack, and an email body without SVG or script."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from chalicelib.domain.pages import PageRequest
from chalicelib.reporting import Chart, Series, charts, html, png, svg, values
from chalicelib.reporting import mail as report_mail
from tests.unit.test_reporting_sections import sample_report


def test_money_is_yuan_with_two_decimals_for_people_and_for_machines():
    assert values.text(1760000, "money") == "¥17,600.00"
    assert values.text(-5, "money") == "-¥0.05" and values.text(-35000, "money") == "-¥350.00"
    assert values.axis(-2000000, "money") == "-¥20,000"
    assert values.csv(1760000, "money") == "17600.00" and values.csv(-5, "money") == "-0.05"
    assert values.text(None, "percent") == values.text(None, "money") == "—"
    assert values.csv(None, "percent") == ""


def test_roi_and_every_ratio_read_as_a_percentage_with_one_decimal_as_the_console_shows_them():
    # the console's format.js percent(): (ratio * 100).toFixed(1) + "%"
    assert values.text(6.925, "percent") == "692.5%" and values.text(4.0, "percent") == "400.0%"
    assert values.text(0.3522, "percent") == "35.2%" and values.text(-0.5, "percent") == "-50.0%"
    assert values.axis(2.5, "percent") == "250%"


def test_categories_have_names_people_read():
    assert values.category_name("in_store_promotion", "zh") == "店内促销"
    assert values.category_name("in_store_promotion", "en") == "In-store promotion"
    assert values.category_name("street_party", "zh") == values.category_name("street_party", "en") == "Street party"


def test_the_page_renders_every_section_with_its_charts_in_the_cjk_font_stack(rollups_in_memory):
    data = sample_report()
    page = html.render(data)
    for section in data.sections:
        assert f"<h2 id='{section.key}'" in page
    assert page.count("<svg") == sum(len(s.charts) for s in data.sections)
    assert "¥17,600.00" in page and "1760000" not in page
    assert ">in_store_promotion<" not in page and "In-store promotion" in page
    assert "Overdue feedback (1)</h2>" in page and "None" not in page
    for family in ("Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei"):
        assert family in svg.FONT_STACK
    assert svg.FONT_STACK in page  # the body's style and every chart's
    assert "figures as of 2026-11-23 00:00 (Asia/Shanghai)" in page


def test_a_bar_chart_has_an_axis_with_round_ticks_and_the_value_of_every_bar(rollups_in_memory):
    chart = sample_report().section("category").charts[0]
    drawing = charts.layout(chart)
    texts = [s.text for s in drawing.shapes if isinstance(s, charts.Text)]
    assert {"¥17,600.00", "¥4,000.00", "¥1,000.00", "¥900.00"} <= set(texts)  # every bar says its value
    assert {"¥0", "¥5,000", "¥10,000", "¥15,000", "¥20,000"} <= set(texts)  # the axis
    assert "— no feedback yet" in texts  # the promotion has no actual spend yet, not ¥0.00
    assert {"Display", "In-store promotion", "Tasting"} <= set(texts)
    assert any(isinstance(s, charts.Line) for s in drawing.shapes)


def test_negative_roi_draws_left_of_zero_with_its_value():
    chart = Chart(
        key="k",
        title="ROI",
        kind="bars",
        labels=("a", "b"),
        series=(Series("ROI", (-0.5, 1.25), charts.ACTUAL),),
        value_kind="percent",
    )
    d = charts.layout(chart)
    bars = [s for s in d.shapes if isinstance(s, charts.Rect)]
    zero = next(s.x1 for s in d.shapes if isinstance(s, charts.Line) and s.x1 == s.x2 and s.stroke == charts.MUTED)
    assert bars[0].fill == charts.NEGATIVE and bars[0].x + bars[0].w == pytest.approx(zero)
    assert bars[1].x == pytest.approx(zero)
    assert {"-50.0%", "125.0%"} <= {s.text for s in d.shapes if isinstance(s, charts.Text)}


def test_round_ticks_cover_the_values_and_zero():
    assert charts.nice_ticks(0, 1760000) == [0, 500000, 1000000, 1500000, 2000000]
    assert charts.nice_ticks(-0.5, 4.0)[0] <= -0.5 and 0 in charts.nice_ticks(-0.5, 4.0)


def test_the_email_body_has_tables_and_png_charts_and_no_svg_or_script(rollups_in_memory):
    data = sample_report()
    body = report_mail.body(data, "01REPORT", "example.com")
    assert "<svg" not in body.html and "<script" not in body.html.lower() and "<table" in body.html
    cids = re.findall(r"src='cid:([^']+)'", body.html)
    assert cids == [i.cid for i in body.images] and len(set(cids)) == len(cids)
    charts_ = [i for i in body.images if i.cid.startswith("chart")]
    photos = [i for i in body.images if i.cid.startswith("photo")]
    assert len(charts_) == sum(1 for s in data.sections for c in s.charts if c.in_email)
    assert all(i.content.startswith(b"\x89PNG\r\n\x1a\n") and i.mime_type == "image/png" for i in charts_)
    # the best campaign's photo travels inside the message: mail clients block remote images
    assert [(i.mime_type, i.content[:2]) for i in photos] == [("image/jpeg", b"\xff\xd8")]
    assert len(charts_) + len(photos) == len(body.images)
    assert "None" not in body.html and "None" not in body.text
    assert "Overdue feedback (1):" in body.text and "店内促销 Suguo" in body.text
    assert re.search(r"^Approved amount +¥21,200\.00$", body.text, re.M)


def test_email_tables_keep_the_columns_that_fit_a_mail_client_and_the_workbook_keeps_all(rollups_in_memory):
    data = sample_report()
    body = report_mail.body(data, "01REPORT", "example.com")
    category = body.html.split("<h2 id='category'")[1].split("<h2")[0]
    headings = re.findall(r"<th[^>]*>([^<]+)</th>", category)
    assert headings == ["Category", "Approved amount", "Actual spend", "ROI", "Overdue", "Feedback compliance"]
    assert "The email shows the main columns; the attached workbook has every column." in category
    assert "Expected spend" in html.render(data)


def test_long_lists_are_cut_in_the_email_and_point_to_the_workbook(rollups_in_memory):
    data = sample_report()
    overdue = data.section("overdue")
    overdue.rows = overdue.rows * 30
    overdue.count = len(overdue.rows)
    body = report_mail.body(data, "01REPORT", "example.com")
    assert body.html.count("店内促销 Suguo") == overdue.email_rows
    assert "… and 10 more in the attached workbook." in body.html
    assert "… and 10 more in the attached workbook." in body.text
    assert html.render(data).count("店内促销 Suguo") == 30  # the page lists all of them


def test_a_bar_thinner_than_a_pixel_still_renders(monkeypatch):
    """A share too small to span a pixel (10,000 fen consumed of a budget of millions) once made
    the mailed report fail to compile (Pillow refuses a rectangle that ends before it starts)."""
    thin = charts.Drawing(
        640, 80, "t", (charts.Rect(10, 10, 0.1, 0.2, charts.ACTUAL), charts.Rect(20, 10, 0, 5, "#fff"))
    )
    monkeypatch.setattr(png, "layout", lambda chart, width: thin)
    content, width, height = png.render(charts_for_test())
    assert content.startswith(b"\x89PNG") and width >= 640 and height >= 80


def test_png_labels_fall_back_to_ascii_where_the_font_has_no_chinese(monkeypatch):
    monkeypatch.setattr(png, "PACKAGED_DIRS", ())  # as on a bare Lambda runtime without the layer
    monkeypatch.setattr(png, "SYSTEM_FONT_FILES", ())
    png.reset()
    try:
        f = png.font(24)
        assert png.drawable(f, "Tasting 1,000.00") and not png.drawable(f, "品鉴")
        assert png.label(charts.Text(0, 0, "Tasting 品鉴", ascii="Tasting"), f) == "Tasting"
        assert png.label(charts.Text(0, 0, "¥17,600.00"), f) == "CNY 17,600.00"  # the bundled font has no ¥
        assert png.label(charts.Text(0, 0, "1. 李雷"), f) == "1. ??"
        content, width, height = png.render(charts_for_test())
        assert content.startswith(b"\x89PNG") and width > 600 and height > 60
    finally:
        png.reset()


def test_png_draws_chinese_and_yuan_where_a_cjk_font_is_installed():
    f = png.font(24)
    if not png.drawable(f, "品鉴"):
        pytest.skip("no CJK font on this machine (fonts-noto-cjk draws it)")
    assert png.label(charts.Text(0, 0, "Tasting 品鉴 ¥1.00", ascii="Tasting"), f) == "Tasting 品鉴 ¥1.00"


def charts_for_test() -> Chart:
    return Chart(
        key="k",
        title="Spend",
        kind="bars",
        labels=("Tasting 品鉴",),
        ascii_labels=("Tasting",),
        series=(Series("Actual", (100000,), charts.ACTUAL),),
        value_kind="money",
    )


def test_reporting_is_loaded_only_by_the_report_compiler():
    code = (
        "import sys, app, chalicelib.logic.reports; "
        "print(sorted(m for m in sys.modules if m.startswith('chalicelib.reporting') or m == 'xlsxwriter'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_page_shows_the_budgets_in_yuan_with_their_use_charted(rollups_in_memory):
    data = sample_report()
    page = html.render(data)
    section = page.split("<h2 id='budget'")[1]
    headings = re.findall(r"<th[^>]*>([^<]+)</th>", section)
    assert headings == [
        "Org",
        "Period",
        "Category",
        "Amount",
        "Carved out",
        "Reserved",
        "Consumed",
        "Available",
        "Utilisation",
    ]
    assert "¥30,000.00" in section and "¥26,400.00" in section and "12.0%" in section and "88.0%" in section
    assert "Every category" in section and "3000000" not in section and "None" not in section
    assert re.search(r">Budget available</div><div[^>]*>¥74,800\.00</div>", page)
    chart = data.section("budget").charts[0]
    texts = [s.text for s in charts.layout(chart).shapes if isinstance(s, charts.Text)]
    assert {"Consumed", "Reserved", "Carved out", "Available", "12.0%", "88.0%", "¥17,600.00"} <= set(texts)
    assert not any(t.isdigit() and len(t) > 3 for t in texts)  # no bare fen anywhere


def test_the_email_has_a_compact_budget_table(rollups_in_memory):
    data = sample_report()
    body = report_mail.body(data, "01REPORT", "example.com")
    section = body.html.split("<h2 id='budget'")[1]
    headings = re.findall(r"<th[^>]*>([^<]+)</th>", section)
    assert headings == ["Org", "Period", "Category", "Available", "Utilisation"]
    assert "<svg" not in section and "cid:" in section and "B-GROUP" not in section
    assert re.search(r"^Budget available +¥74,800\.00$", body.text, re.M)
    # a company with many budgets: the email lists the first 20 (the group and regions first)
    budget = data.section("budget")
    budget.rows = budget.rows * 10
    section = report_mail.body(data, "01REPORT", "example.com").html.split("<h2 id='budget'")[1]
    assert section.count("Every category") == 2 * 5 and "… and 20 more in the attached workbook." in section


def sample_budget_chart_labels() -> tuple[str, ...]:
    from chalicelib.reporting import sections
    from tests.unit.test_reporting_sections import sample_budgets

    found = [b.as_dict() for b in sample_budgets().list("ACME", "ACME", (), None, None, PageRequest(200)).items]
    return (
        sections.budgets(
            [b for b in found if b["period"] in ("2026", "2026-Q4", "2026-11")], "2026-11", "ACME", "ACME", "en"
        )
        .charts[0]
        .labels
    )


def test_budget_chart_labels_are_cut_short_and_at_most_fifteen_budgets_are_drawn():
    from chalicelib.reporting import sections

    budgets = [
        {
            "id": f"B{i:02d}",
            "org": f"ACME/EAST/JS/NANJING/GULOU/{i:02d}",
            "period": "2026-11",
            "category": "in_store_promotion",
            "amount": 1000 * (i + 1),
            "allocated": 0,
            "reserved": 500,
            "consumed": 0,
            "available": 1000 * (i + 1) - 500,
            "parent_id": None,
        }
        for i in range(20)
    ]
    chart = sections.budgets(budgets, "2026-11", "ACME", "ACME", "en").charts[0]
    assert len(chart.labels) == 15 and "(the 15 largest)" in chart.title
    assert all(charts.text_width(label, 12) <= charts.LABEL_WIDTH for label in chart.labels)
    assert chart.labels[0].startswith("…") and chart.labels[0].endswith("/05 2026-11 In-store promotion")
    ordinary = sample_budget_chart_labels()
    assert ordinary == ("ACME 2026", "EAST 2026-Q4", "EAST/JS 2026-11 Tasting", "WEST 2026-11 In-store promotion")
