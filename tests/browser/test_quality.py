"""What people trying the console found, each as they found it: a rep whose address was refused
and whose 使用我的位置 did nothing, lists where two applications looked the same, rules in
jargon, a decision 2,500 px down a phone, finance paying for a campaign that had not happened,
settled campaigns shown as 已批准, a ledger of bare 「活动」 links, and an audit trail in half
English. Screens are looked at on a phone (375 px) and a laptop (1280 px)."""

from __future__ import annotations

import re

from tests.browser import conftest, scene
from tests.browser.conftest import wait_for

conftest.DEVICES.setdefault("laptop", {"width": 1280, "height": 800})


def test_a_rep_applies_with_an_address_alone_and_is_told_why_the_location_failed(console, company):
    co = company
    rep = console("phone")
    rep.sign_in(co.users["rep"])
    p = rep.page
    rep.open("/campaigns/new")
    rep.ready()
    # "使用我的位置" without the browser's permission: it says why, and the address alone will do
    p.get_by_role("button", name="使用我的位置").click()
    status = p.locator("#geo-status")
    wait_for(lambda: "定位权限" in status.inner_text() or "无法获取" in status.inner_text())
    p.get_by_label("活动名称").fill("周末品鉴 · 苏果新街口")
    p.get_by_label("活动类型").select_option("tasting")
    p.get_by_label("客户编号").fill("SUGUO-XJK")
    p.get_by_label("开始日期").fill(scene.day(3))
    p.get_by_label("结束日期").fill(scene.day(4))
    p.get_by_label("活动地点").fill("南京市新街口苏果超市")
    p.get_by_label("预计花费").fill("2000")
    p.get_by_label("预计销售额").fill("10000")
    rep.check("quality-apply-address-only")
    p.get_by_role("button", name="存为草稿").click()
    p.get_by_text("已存为草稿。").wait_for()
    rep.ready()
    created = co.api("rep", "GET", "/campaigns")["items"][0]
    assert created["location"] == {"address": "南京市新街口苏果超市", "lat": None, "lon": None}
    # half a coordinate pair is refused next to the missing one
    rep.open("/campaigns/new")
    rep.ready()
    p.get_by_label("纬度").fill("32.04")
    p.get_by_role("button", name="存为草稿").click()
    assert "一起填写" in p.locator("#f-location-lon-err").inner_text()


def test_a_rep_tells_applications_apart_and_cannot_report_a_campaign_before_it_ends(console, company):
    co = company
    scene.rule(co, scope="category", category="tasting", due_days=7)
    paid = scene.approved(co, title="周末品鉴 · 苏果新街口", amount=180000)
    scene.feedback(co, paid["id"], actual_spend=150000, actual_sales=900000)
    scene.until(co, paid["id"], lambda c: c["reimbursement"]["status"] == "unlocked")
    co.api("finance", "POST", f"/campaigns/{paid['id']}/reimbursement", {"note": "随 12 月费用支付"})
    coming = scene.approved(
        co, title="周末品鉴 · 苏果新街口", amount=150000, start_date=scene.day(6), end_date=scene.day(7)
    )

    for device in ("phone", "laptop"):
        rep = console(device)
        rep.sign_in(co.users["rep"])
        p = rep.page
        rep.nav("我的活动")
        rows = p.locator("table.data tbody tr")
        assert rows.count() == 2
        settled = rows.filter(has_text="已核销")
        assert "已核销 ¥1,500.00" in settled.inner_text()  # not 已批准: it has been paid
        assert "¥1,800.00" in settled.inner_text()  # approved
        assert p.locator("table.data thead").inner_text().count("创建于") == 1
        rep.check(f"quality-my-campaigns-{device}")

    # the campaign not yet held: the rule in words, and submit says from which day it works
    rep.open(f"/campaigns/{coming['id']}")
    rep.ready()
    assert "按照领导对所有「品鉴」活动的规定，需要提交反馈" in p.locator("main").inner_text()
    assert "需要反馈（活动类型）" not in p.locator("main").inner_text()
    rep.open(f"/campaigns/{coming['id']}/feedback")
    rep.ready()
    submit = p.get_by_role("button", name="提交反馈")
    assert submit.is_disabled()
    assert f"活动 {coming['end_date']} 结束，当天起可以提交反馈" in p.locator("#submit-from").inner_text()
    assert "计划：¥2,000.00" in p.locator("main").inner_text()  # the plan, written as money is everywhere
    rep.check("quality-feedback-not-yet")

    # the settled campaign's trail: every field in words, money as money, full-width colons
    rep.open(f"/campaigns/{paid['id']}/audit")
    rep.ready()
    trail = p.locator("main").inner_text()
    assert "反馈版本" in trail and "revision" not in trail
    assert not re.search(r"[\u4e00-\u9fff]: ", trail), "an ASCII colon after a Chinese label"
    assert "¥1,500.00" in trail and "¥-" not in trail
    rep.check("quality-audit")


def test_the_manager_decides_on_a_phone_without_scrolling_to_the_bottom(console, company):
    co = company
    done = scene.approved(
        co, title="中秋品鉴 · 苏果新街口", amount=180000, start_date=scene.day(-60), end_date=scene.day(-59)
    )
    scene.feedback(co, done["id"], actual_spend=100000, actual_sales=800000)  # ROI 700.0 %
    twin = scene.approved(
        co, title="国庆品鉴 · 苏果新街口", amount=180000, start_date=scene.day(-30), end_date=scene.day(-29)
    )
    scene.feedback(co, twin["id"], actual_spend=200000 // 2, actual_sales=800000)  # 700.0 % too
    co.api("finance", "POST", f"/campaigns/{done['id']}/reimbursement", {})
    late = scene.submitted(co, title="事后补报 · 苏果新街口", start_date=scene.day(-2), end_date=scene.day(-1))
    wait_for(lambda: co.api("manager", "GET", "/customers/SUGUO-XJK/history")["summary"]["fed_back"] >= 2)

    for device in ("phone", "laptop"):
        mgr = console(device)
        mgr.sign_in(co.users["manager"])
        p = mgr.page
        mgr.open(f"/approvals/{late['id']}")
        mgr.ready()
        assert "事后申请：提交时活动已经开始。" in p.locator(".warnings").inner_text()
        summary = p.locator("section").filter(has_text="客户历史").first.inner_text()
        assert "700.0%" in summary and "12.50%" in summary  # the medians agree with the campaigns below
        past = p.locator("section").filter(has_text="该客户以往的活动")
        assert "已核销 ¥1,000.00" in past.locator("tbody tr").filter(has_text="中秋品鉴").inner_text()
        approve = p.get_by_role("button", name="批准", exact=True)
        if device == "phone":  # at the top of the page, the decision is already in reach
            box, height = approve.bounding_box(), p.viewport_size["height"]
            assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= height, box
        mgr.check(f"quality-approval-card-{device}")
    p.get_by_label("批准金额").fill("1500")
    approve.click()
    p.get_by_text("已批准。").wait_for()
    assert scene.campaign(co, late["id"])["approved_amount"] == 150000


def test_finance_waits_for_the_campaign_sees_who_settled_and_exports_the_ledger(console, company):
    co = company
    budget = scene.budget(co, 1_000_000)
    held = scene.approved(co, title="品鉴 · 已举办", amount=180000)
    coming = scene.approved(co, title="品鉴 · 下周举办", amount=120000, start_date=scene.day(6), end_date=scene.day(7))
    fin = console("laptop")
    fin.sign_in(co.users["finance"])
    p = fin.page
    cards = p.locator("ol.cards > li")
    waiting = cards.filter(has_text="品鉴 · 下周举办")
    assert waiting.get_by_role("button", name="核销").is_disabled()
    assert f"活动 {coming['end_date']} 结束，当天起才能核销" in waiting.inner_text()
    fin.check("quality-settlement-waits")
    ready = cards.filter(has_text="品鉴 · 已举办")
    ready.get_by_label("备注").fill("随 12 月费用支付")
    ready.get_by_role("button", name="核销").click()
    p.get_by_text("已核销「品鉴 · 已举办」").wait_for()

    fin.open(f"/campaigns/{held['id']}")
    fin.ready()
    settlement = p.locator("section").filter(has_text="核销人").inner_text()
    assert "周八" in settlement and "随 12 月费用支付" in settlement
    fin.check("quality-campaign-settled")

    co.api("leader", "PATCH", f"/budgets/{budget['id']}", {"amount": 965_000})  # shrunk by ¥350
    fin.open(f"/budgets/{budget['id']}")
    fin.ready()
    ledger = p.locator("section.ledger")
    ledger.locator("table.data").wait_for()
    text = ledger.inner_text()
    assert "品鉴 · 已举办" in text and held["id"] in text and "品鉴 · 下周举办" in text
    assert "-¥350.00" in text and "¥-350.00" not in text
    with p.expect_download() as got:
        ledger.get_by_role("button", name="导出 CSV").click()
    data = open(got.value.path(), "rb").read()  # noqa: SIM115 - a download's file, read once
    assert data.startswith("\ufeff".encode()) and got.value.suggested_filename.endswith(".csv")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("时间,类型,金额（元）,活动,活动编号")
    assert any("品鉴 · 已举办" in line and held["id"] in line and "1800.00" in line for line in lines[1:])
    fin.check("quality-ledger")
