"""Finance's journeys, at a desk: the settlement queue (unlocked, oldest approval first) with
the amount proposed from the latest feedback, settling with that default and a note or with
another amount (an amount above the approved one is refused next to the field), the locked
settlements with why they are locked, and — beside the queue — the budgets, read only: what the
settlements consumed and released, in the budget's ledger."""

from __future__ import annotations

from tests.browser import scene
from tests.browser.conftest import wait_for


def test_finance_settles_the_queue_and_sees_why_the_rest_is_locked(console, company):
    co = company
    scene.rule(co, scope="category", category="roadshow", due_days=3, min_photos=1)
    budget = scene.budget(co, 1000000)  # ¥10,000 this year
    plain = scene.approved(co, title="品鉴 · 无需反馈", amount=180000)  # unlocked at once
    fed = scene.approved(
        co, title="路演 · 已反馈", category="roadshow", amount=150000, customer={"id": "PLAZA", "name": "新街口广场"}
    )
    late = scene.approved(
        co,
        title="路演 · 未反馈",
        category="roadshow",
        amount=150000,
        customer={"id": "MALL", "name": "德基广场"},
        start_date=scene.day(-20),
        end_date=scene.day(-19),
    )
    scene.until(co, late["id"], lambda c: c["reimbursement"]["status"] == "locked")
    scene.until(co, fed["id"], lambda c: c["reimbursement"]["status"] == "locked")
    # a photo is required by the rule: submit the feedback with one accepted photo through the API
    scene.upload_photo(co, fed)
    scene.feedback(co, fed["id"], actual_spend=120000, actual_sales=600000)
    scene.until(co, fed["id"], lambda c: c["reimbursement"]["status"] == "unlocked")

    fin = console("desk")
    fin.sign_in(co.users["finance"])
    p = fin.page
    assert "待核销" in p.locator("main h1").inner_text()
    cards = p.locator("ol.cards > li")
    assert cards.count() == 2
    assert cards.nth(0).get_attribute("data-campaign") == plain["id"]  # oldest approval first
    assert "¥1,800.00" in cards.nth(0).locator(".facts").first.inner_text()  # proposed: the approved amount
    assert "¥1,200.00" in cards.nth(1).locator(".facts").first.inner_text()  # proposed: the actual spend
    assert cards.nth(1).get_by_label("核销金额").input_value() == "1200"
    fin.check("finance-queue")

    second = cards.nth(1)
    second.get_by_label("备注").fill("随 11 月费用一起支付")
    second.get_by_role("button", name="核销").click()
    p.get_by_text("已核销「路演 · 已反馈」：¥1,200.00").wait_for()
    wait_for(lambda: cards.count() == 1)
    settled = scene.campaign(co, fed["id"])["reimbursement"]
    assert (
        settled["status"] == "reimbursed" and settled["amount"] == 120000 and settled["note"] == "随 11 月费用一起支付"
    )

    first = cards.nth(0)
    first.get_by_label("核销金额").fill("2000")
    first.get_by_role("button", name="核销").click()
    error = first.locator(".field-error")
    error.wait_for()
    assert "不能超过批准金额 ¥1,800.00" in error.inner_text()
    fin.check("finance-settle-error")
    first.get_by_label("核销金额").fill("1750.50")
    first.get_by_role("button", name="核销").click()
    p.get_by_text("没有待核销的活动。").wait_for()
    assert scene.campaign(co, plain["id"])["reimbursement"]["amount"] == 175050

    p.locator(".page-actions").get_by_role("link", name="锁定的核销").click()
    fin.ready()
    rows = p.locator("table.data tbody tr")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert (
        "路演 · 未反馈" in text
        and "按照领导对所有「路演」活动的规定需要反馈，尚未提交。" in text
        and "至少 1 张照片" in text
    )
    assert "逾期 16 天" in text
    fin.check("finance-locked")

    # beside the queue: the budgets, read only, with what settlement consumed and released
    fin.nav("预算")
    assert p.get_by_text("预算由集团领导分配").is_visible() and p.get_by_role("button", name="分配预算").count() == 0
    row = p.locator("table.data tbody tr").filter(has_text=f"{co.root} · {budget['period']}")
    assert "¥10,000.00" in row.inner_text() and "¥2,950.50" in row.inner_text()  # consumed: 1,200 + 1,750.50
    row.get_by_role("link").click()
    fin.ready()
    assert p.get_by_role("form").count() == 0  # no resize, no carve
    ledger = p.locator("section.ledger tbody").inner_text()
    assert "分配" in ledger and "预留" in ledger and "核销" in ledger and "释放" in ledger
    assert "¥1,750.50" in ledger and "¥49.50" in ledger  # consumed, and the rest released
    fin.check("finance-budget")
