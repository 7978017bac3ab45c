"""A compiled report is whole on the page: no table, chart or photo reaches past the window, in
Chinese and in English, for the page in a 1280 px window (and a 600 px one) and for the email
in a 600 px mail client (and a 1280 px one). Screenshots of each land in var/screenshots/.

The report is the unit tests' sample (tests/unit/test_reporting_sections.py) with its money
made ten thousand times larger (¥212,000,000.00: the widest figures a company's month shows)
and more regions, reps and overdue campaigns with long names, so the widest cells are drawn.
"""

from __future__ import annotations

import base64
import re

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.unit.test_reporting_sections import PERIOD, TENANT, TODAY, rollups_in_memory  # noqa: F401 (a fixture)

MONEY = (
    "approved_amount",
    "expected_spend",
    "actual_spend",
    "expected_sales",
    "actual_sales",
    "reimbursed_amount",
    "amount",
    "allocated",
    "reserved",
    "consumed",
    "available",
)
WIDTHS = {"page": (1280, 600), "email": (600, 1280)}

# what reaches past the window: the document, any visible table, cell, image or chart
OVERFLOW = """() => {
  const vw = document.documentElement.clientWidth;
  const out = [];
  if (document.documentElement.scrollWidth > vw) out.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${vw}`);
  const where = (el) => {
    let e = el;
    while (e && !(e.previousElementSibling && e.previousElementSibling.tagName === "H2")) e = e.parentElement || null;
    const h = e && e.previousElementSibling;
    return h ? h.textContent.slice(0, 30) : el.tagName;
  };
  for (const el of document.querySelectorAll("table, td, th, img, svg")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;  // hidden (a narrow window's media query)
    if (r.right > vw + 0.5 || r.left < -0.5) out.push(`${el.tagName} under "${where(el)}" spans ${Math.round(r.left)}–${Math.round(r.right)} of ${vw}`);
  }
  for (const el of document.querySelectorAll("div")) {
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible") out.push(`a box under "${where(el)}" scrolls sideways`);
  }
  return out;
}"""


def wide_facts():
    """The sample's facts with the widest figures and longest names a report meets."""
    from dataclasses import replace

    from chalicelib.logic import reports

    facts = reports.report_facts(TENANT, TENANT, PERIOD, "final", TODAY)

    def big(row: dict) -> dict:
        out = {k: (v * 10_000 if k in MONEY and isinstance(v, int) else v) for k, v in row.items()}
        return out

    regions = [
        {**big(r), "group": f"{TENANT}/R{i}", "name": name}
        for i, (r, name) in enumerate(
            zip(
                facts.orgs * 4,
                (
                    "华东大区（江苏、浙江、上海）",
                    "West & South-West region",
                    "华北",
                    "东北",
                    "华南",
                    "西北",
                    "华中",
                    "西南",
                ),
                strict=True,
            )
        )
    ]
    overdue = [
        {
            **o,
            "title": f"{o['title']}：周末大型路演与品鉴活动 Weekend roadshow and tasting",
            "customer": "苏果超市新街口旗舰店",
        }
        for o in facts.overdue
    ] * 5
    return replace(
        facts,
        months=[big(m) for m in facts.months],
        categories=[big(c) for c in facts.categories],
        orgs=regions,
        ranking=[big(r) for r in facts.ranking] * 4,
        overdue=overdue,
        budgets=[big(b) for b in facts.budgets],
        best=[big(b) for b in facts.best],
        worst=[big(w) for w in facts.worst],
    )


def email_html(data) -> str:
    """The email's HTML as a mail client shows it: its cid: images resolved to the parts."""
    from chalicelib.reporting import mail as report_mail

    body = report_mail.body(data, "01REPORT", "example.com")
    out = body.html
    for image in body.images:
        uri = f"data:{image.mime_type};base64," + base64.b64encode(image.content).decode("ascii")
        out = out.replace(f"cid:{image.cid}", uri)
    assert "cid:" not in out
    return out


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_table_reaches_past_the_window_on_the_page_or_in_the_email(browser, rollups_in_memory, language):  # noqa: F811
    from chalicelib.reporting import html
    from chalicelib.reporting.compose import compose

    data = compose(wide_facts(), language)
    documents = {"page": html.render(data), "email": email_html(data)}
    assert "¥212,000,000.00" in documents["page"]  # the widest figure is there to be drawn
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for kind, document in documents.items():
        for width in WIDTHS[kind]:
            context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
            page = context.new_page()
            page.set_content(document, wait_until="load")
            problems += [f"{kind} at {width} px: {p}" for p in page.evaluate(OVERFLOW)]
            page.screenshot(path=str(SCREENSHOTS / f"report-{kind}-{language}-{width}.png"), full_page=True)
            if kind == "page" and width < 700:
                # a narrow window keeps the email's columns and says where the others are
                assert page.locator("p.nw").first.is_visible()
                assert page.locator("th.wide").first.is_hidden()
            context.close()
    assert problems == []


def test_the_page_shows_every_column_in_a_1280_px_window(browser, rollups_in_memory):  # noqa: F811
    """Whole means every column, not a narrower table: at 1280 px no column of the page is hidden."""
    from chalicelib.reporting import html
    from chalicelib.reporting.compose import compose

    data = compose(wide_facts(), "zh")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_content(html.render(data), wait_until="load")
    shown = page.evaluate(
        """() => [...document.querySelectorAll("h2#category ~ table")].slice(0, 2)
              .flatMap(t => [...t.querySelectorAll("tr:first-child th")])
              .filter(th => th.getBoundingClientRect().width > 0).map(th => th.textContent)"""
    )
    context.close()
    category = data.section("category")
    expected = {c.label for c in category.columns if c.html}
    assert expected <= set(shown), expected - set(shown)
    assert re.search(r"批准金额", " ".join(shown))
