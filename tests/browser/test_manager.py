"""The manager's journeys, at a desk: the approval queue (oldest first), the approval card with
the customer's history, approve an amount or reject with a comment (errors next to their
fields), then D — all feedback — and E — all feedback requests — with the contract's filters,
ageing in days and paging."""

from __future__ import annotations

import re

from tests.browser import scene
from tests.browser.conftest import wait_for


def test_manager_decides_applications_on_the_approval_card(console, company):
    co = company
    past = scene.approved(co, title="中秋品鉴 · 苏果新街口", start_date=scene.day(-60), end_date=scene.day(-59))
    scene.upload_photo(co, past)
    scene.feedback(co, past["id"], actual_spend=150000, actual_sales=900000)
    first = scene.submitted(co, title="周末品鉴 · 苏果新街口", start_date=scene.day(5), end_date=scene.day(6))
    second = scene.submitted(
        co, title="店内促销 · 苏果新街口", category="in_store_promotion", start_date=scene.day(8), end_date=scene.day(9)
    )
    wait_for(lambda: co.api("manager", "GET", "/customers/SUGUO-XJK/history")["summary"]["campaigns"] >= 1)

    mgr = console("desk")
    mgr.sign_in(co.users["manager"])
    p = mgr.page
    assert "待审批" in p.locator("main h1").inner_text()  # a manager lands on the queue
    rows = p.locator("table.data tbody tr")
    assert rows.count() == 2
    assert "周末品鉴" in rows.nth(0).inner_text() and "店内促销" in rows.nth(1).inner_text()  # oldest first
    mgr.check("manager-approvals")

    rows.nth(0).get_by_role("link").click()
    mgr.ready()
    history = p.locator("section").filter(has_text="客户历史")
    assert "苏果新街口店" in history.inner_text()
    past = p.locator("section").filter(has_text="该客户以往的活动").locator("tbody tr").filter(has_text="中秋品鉴")
    assert "500.0%" in past.inner_text() and "已批准" in past.inner_text()  # plan against actual: its ROI
    past.get_by_role("button", name="查看照片").click()
    photo = past.locator(".past-photos img")
    photo.wait_for()
    wait_for(lambda: photo.evaluate("img => img.complete && img.naturalWidth > 0"))  # the past campaign's photo
    assert p.get_by_label("批准金额").input_value() == "2000"  # the requested amount by default
    p.get_by_label("批准金额").fill("2500")
    p.get_by_role("button", name="批准").click()
    error = p.locator("#f-approved_amount-err")
    error.wait_for()
    assert "不能超过申请金额 ¥2,000.00" in error.inner_text()
    mgr.check("manager-approval-card")
    p.get_by_label("批准金额").fill("1800")
    p.get_by_label("审批意见").fill("按 1800 批准，注意控制试饮成本。")
    p.get_by_role("button", name="批准").click()
    p.get_by_text("已批准。").wait_for()
    mgr.ready()
    assert p.locator("table.data tbody tr").count() == 1
    decided = scene.campaign(co, first["id"])
    assert decided["status"] == "approved" and decided["approved_amount"] == 180000

    p.locator("table.data tbody tr").first.get_by_role("link").click()
    mgr.ready()
    p.get_by_role("button", name="驳回").click()
    error = p.locator("#f-comment-err")
    error.wait_for()
    assert "至少 1 个字符" in error.inner_text()
    p.get_by_label("审批意见").fill("同一客户本月已有品鉴活动，请合并。")
    p.get_by_role("button", name="驳回").click()
    p.get_by_text("已驳回。").wait_for()
    mgr.ready()
    assert p.get_by_text("没有待审批的申请。").is_visible()
    assert scene.campaign(co, second["id"])["status"] == "rejected"


def test_manager_searches_all_feedback_and_feedback_requests_with_filters_and_pages(console, company):
    co = company
    scene.rule(co, scope="category", category="display", due_days=3)

    def display(i):
        late = i < 2
        return scene.approved(
            co,
            title=f"陈列 {i:02d}",
            category="display",
            customer={"id": f"STORE-{i:02d}", "name": f"门店 {i:02d}"},
            start_date=scene.day(-30 + i if late else -3 + i % 3),
            end_date=scene.day(-20 + i if late else -2 + i % 3),
        )

    made = scene.many(display, 8)
    for c in made:
        scene.until(co, c["id"], lambda x: x["feedback"]["required"])
    for c in made[6:]:
        scene.feedback(co, c["id"])
    voluntary = scene.approved(co, title="品鉴（自愿反馈）", start_date=scene.day(-9), end_date=scene.day(-8))
    scene.feedback(co, voluntary["id"])

    mgr = console("desk")
    mgr.sign_in(co.users["manager"])
    p = mgr.page
    mgr.nav("全部反馈")
    p.get_by_label("组织").fill("not an org!")
    p.get_by_role("button", name="查询").click()
    error = p.locator("#f-org-err")
    error.wait_for()
    assert "组织路径格式" in error.inner_text()  # the API's 400, next to the filter
    p.get_by_label("组织").fill(f"{co.root}/EAST")
    p.get_by_label("活动类型").select_option(label="陈列")
    p.get_by_label("反馈类型").select_option(label="按规定反馈")
    p.get_by_role("button", name="查询").click()
    mgr.ready()
    assert "category=display" in p.url and "kind=passive" in p.url  # a filtered list is a link
    rows = p.locator("table.data tbody tr")
    wait_for(lambda: rows.count() == 2)
    assert "¥1,500.00" in rows.first.inner_text() and "500.0%" in rows.first.inner_text()
    mgr.check("manager-feedback-search")

    mgr.nav("反馈跟踪")
    p.get_by_label("活动类型").select_option(label="陈列")
    p.get_by_label("每页条数").select_option("5")
    p.get_by_role("button", name="查询").click()
    mgr.ready()
    rows = p.locator("table.data tbody tr")
    wait_for(lambda: rows.count() == 5)
    assert "第 1 页" in p.locator(".pager").inner_text()
    p.get_by_role("button", name="下一页").click()
    mgr.ready()
    wait_for(lambda: rows.count() == 1)
    p.get_by_role("button", name="上一页").click()
    mgr.ready()
    wait_for(lambda: rows.count() == 5)
    text = p.locator("table.data tbody").inner_text()
    assert "逾期 17 天" in text and "逾期 16 天" in text and re.search(r"还有 \d+ 天", text)  # ageing in days
    mgr.check("manager-feedback-requests")
    p.get_by_label("反馈状态").select_option(label="已反馈")
    p.get_by_role("button", name="查询").click()
    mgr.ready()
    wait_for(lambda: rows.count() == 2)
    assert "已反馈" in rows.first.inner_text()
    p.get_by_label("反馈状态").select_option(label="已逾期")
    p.get_by_role("button", name="查询").click()
    mgr.ready()
    wait_for(lambda: rows.count() == 2 and "逾期 17 天" in rows.first.inner_text())
