"""The leader's journeys, at a desk: the summary dashboard (ROI, cost ratio and feedback
compliance by category, region and month, drawn with their values), A — feedback rules per
campaign, category or all —, and compiled reports: compile one now, open its HTML and XLSX."""

from __future__ import annotations

import re

from tests.browser import scene
from tests.browser.conftest import wait_for


def test_leader_reads_the_dashboard_by_category_region_and_month(console, company):
    co = company
    scene.rule(co, scope="category", category="display", due_days=7)
    tasting = scene.approved(co, title="品鉴 · 东区", start_date=scene.day(-6), end_date=scene.day(-5))
    scene.feedback(co, tasting["id"], actual_spend=150000, actual_sales=900000)  # ROI 500%
    display = scene.approved(
        co,
        who="rep2",
        approver="leader",
        title="陈列 · 西区",
        category="display",
        customer={"id": "WEST-1", "name": "西区门店"},
        start_date=scene.day(-6),
        end_date=scene.day(-5),
    )
    scene.feedback(co, display["id"], who="rep2", actual_spend=100000, actual_sales=300000)  # ROI 200%
    period = f"from={scene.day(-364)[:7]}&to={scene.day(0)[:7]}"  # the dashboard's default: 12 months
    wait_for(
        lambda: (
            [
                r["actual_spend"]
                for r in co.api("leader", "GET", f"/reports/summary?group_by=category&{period}")["items"]
            ]
            == [100000, 150000]
        )
    )  # the roll-ups caught up (display, tasting)

    lead = console("desk")
    lead.sign_in(co.users["leader"])
    p = lead.page
    assert "汇总看板" in p.locator("main h1").inner_text()  # a leader lands on the dashboard
    roi = p.locator("figure.chart").filter(has_text="投资回报率（按活动类型）")
    svg = roi.locator("svg").text_content()
    assert "品鉴" in svg and "500.0%" in svg and "陈列" in svg and "200.0%" in svg  # values on the bars
    ratio = p.locator("figure.chart").filter(has_text="费用率：预计与实际（按活动类型）").locator("svg").text_content()
    assert "16.7%" in ratio and "33.3%" in ratio and "20.0%" in ratio  # actual vs expected
    compliance = p.locator("figure.chart").filter(has_text="反馈及时率（按活动类型）").locator("svg").text_content()
    assert "已反馈 1" in compliance
    assert p.locator(".tiles").filter(has_text="¥2,500.00").count() == 1  # actual spend in total
    lead.check("leader-dashboard-category")

    p.get_by_role("button", name="按大区").click()
    lead.ready()
    roi = p.locator("figure.chart").filter(has_text="投资回报率（按大区）").locator("svg")
    roi.wait_for()
    text = roi.text_content()
    assert f"{co.root}/EAST" in text and f"{co.root}/WEST" in text and "500.0%" in text
    lead.check("leader-dashboard-region")
    p.get_by_role("button", name="按月份").click()
    lead.ready()
    month = p.locator("figure.chart").filter(has_text="投资回报率（按月份）").locator("svg")
    month.wait_for()
    assert re.search(r"\d{4}-\d{2}", month.text_content())
    lead.check("leader-dashboard-month")


def test_leader_sets_feedback_rules_and_compiles_a_report_now(console, company):
    co = company
    target = scene.approved(
        co, title="路演 · 新街口广场", category="roadshow", customer={"id": "PLAZA", "name": "新街口广场"}
    )
    lead = console("desk")
    lead.sign_in(co.users["leader"])
    p = lead.page
    lead.nav("反馈规则")
    assert p.get_by_text("还没有规则。").is_visible()
    p.get_by_role("radio", name="活动类型").check()
    p.get_by_role("combobox", name="活动类型").select_option(label="品鉴")
    p.get_by_label("活动结束后几天内反馈").fill("5")
    p.get_by_label("至少照片数").fill("2")
    p.get_by_role("button", name="创建规则").click()
    p.get_by_text("规则已创建").wait_for()
    rows = p.locator("table.data tbody tr")
    assert rows.count() == 1 and "品鉴" in rows.first.inner_text() and "5" in rows.first.inner_text()

    p.get_by_role("radio", name="指定活动").check()
    p.get_by_role("button", name="创建规则").click()  # no campaign chosen: the API says so
    error = p.locator("#f-campaign_id-err")
    error.wait_for()
    assert "必填" in error.inner_text()
    p.get_by_role("combobox", name="活动", exact=True).select_option(value=target["id"])
    p.get_by_role("button", name="创建规则").click()
    wait_for(lambda: rows.count() == 2)
    assert "路演 · 新街口广场" in p.locator("table.data tbody").inner_text()
    lead.check("leader-rules")
    scene.until(co, target["id"], lambda c: c["feedback"]["required_by"] == "campaign")

    p.get_by_role("radio", name="全部活动").check()
    p.get_by_role("button", name="创建规则").click()
    wait_for(lambda: rows.count() == 3)
    rows.filter(has_text="全部活动").get_by_role("button", name="删除").click()
    p.get_by_role("button", name="确认删除").click()
    p.get_by_text("规则已删除").wait_for()
    wait_for(lambda: rows.count() == 2)
    assert len(co.api("leader", "GET", "/feedback-rules")["items"]) == 2

    lead.nav("报表")
    assert p.get_by_label("月份").input_value() == scene.day(0)[:7]
    p.get_by_role("button", name="生成报表").click()
    p.get_by_text("已开始生成").wait_for()
    links = p.locator("p.links")
    links.wait_for(timeout=60000)  # compiled by the reports stream
    lead.check("leader-reports")
    with lead.context.expect_page() as opened:
        links.get_by_role("link", name="打开 HTML").click()
    report = opened.value
    report.wait_for_load_state()
    assert co.root in report.content()
    report.close()
    with p.expect_download() as download:
        links.get_by_role("link", name="下载 XLSX").click()
    assert download.value.path().read_bytes()[:2] == b"PK"  # a real workbook (zip)
