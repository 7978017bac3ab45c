"""Money control in the console (API.md v2), each journey as a person would make it:

- a manager weighs an application on the approval card — the budget with what is available
  now, an overlapping application (opened from the warning and cancelled), the chain — and
  approves within the budget after a 409 budget_exceeded shown next to the amount;
- a province manager delegates while away (an error by field first); the region manager takes
  the province step in their name, then is refused the region step (already_approved), having
  been refused it before the delegation (not_your_step); the delegation is revoked;
- a leader sets the approval policy (an error next to level 2's limit first), allocates a
  budget, carves a child out of it (over the parent's available first), resizes it (below what
  is committed first), reads its ledger oldest first page by page, and filters the list;
- a rep cancels an approved campaign on a phone and reads its audit trail, verified.
"""

from __future__ import annotations

from tests.browser import scene
from tests.browser.conftest import wait_for


def test_manager_weighs_budget_and_overlap_on_the_approval_card(console, company):
    co = company
    start = scene.day(5)
    b = scene.budget(co, 300000, period=start[:4])  # ¥3,000
    scene.approved(
        co,
        title="陈列 · 金鹰",
        category="display",
        customer={"id": "JINYING", "name": "金鹰"},
        amount=180000,
        start_date=start,
        end_date=scene.day(6),
    )  # reserves ¥1,800
    first = scene.submitted(co, title="周末品鉴 · 苏果新街口", start_date=start, end_date=scene.day(6))
    second = scene.submitted(co, title="品鉴加场 · 苏果新街口", start_date=start, end_date=scene.day(7))

    mgr = console("desk")
    mgr.sign_in(co.users["manager"])
    p = mgr.page
    rows = p.locator("table.data tbody tr")
    assert rows.count() == 2 and "周末品鉴" in rows.nth(0).inner_text()  # GET /me/approvals, oldest first
    assert f"上级经理 · {co.root}/EAST/JS" in rows.nth(1).inner_text()  # the step it waits for
    rows.nth(1).get_by_role("link").click()
    mgr.ready()
    budget = p.locator("section.budget-card")
    assert "¥3,000.00" in budget.inner_text() and "¥1,200.00" in budget.inner_text()
    assert "申请金额超过当前可用预算" in budget.inner_text()
    chain = p.locator("ol.chain")
    assert f"上级经理 · {co.root}/EAST/JS" in chain.inner_text() and "待审批" in chain.inner_text()
    warning = p.locator(".warnings")
    assert "时间重叠" in warning.inner_text()
    mgr.check("money-approval-card")

    # the overlapping application, opened from the warning, is cancelled with a reason
    warning.get_by_role("link", name="周末品鉴 · 苏果新街口").click()
    mgr.ready()
    p.get_by_role("button", name="取消活动").click()
    p.get_by_role("button", name="确认取消活动").click()
    error = p.locator("#f-reason-err")
    error.wait_for()
    assert "至少 1 个字符" in error.inner_text()
    p.get_by_label("取消原因").fill("与「品鉴加场」重复，合并为一场。")
    p.get_by_role("button", name="确认取消活动").click()
    p.get_by_text("活动已取消。").wait_for()
    assert "已取消" in p.locator(".status-line").inner_text()
    assert "合并为一场" in p.locator("section").filter(has_text="取消原因").inner_text()
    mgr.check("money-campaign-cancelled")
    assert scene.campaign(co, first["id"])["status"] == "cancelled"

    mgr.nav("待审批")
    assert rows.count() == 1
    rows.first.get_by_role("link").click()
    mgr.ready()
    assert p.locator(".warnings").count() == 0  # a cancelled application overlaps nothing
    assert p.get_by_label("批准金额").input_value() == "2000"
    p.get_by_role("button", name="批准").click()
    error = p.locator("#f-approved_amount-err")
    error.wait_for()
    assert "超出预算：当前可用 ¥1,200.00" in error.inner_text()  # 409 budget_exceeded, next to the amount
    mgr.check("money-approval-over-budget")
    p.get_by_label("批准金额").fill("1200")
    p.get_by_role("button", name="批准").click()
    p.get_by_text("已批准。").wait_for()
    mgr.ready()
    assert p.get_by_text("没有待审批的申请。").is_visible()
    assert scene.campaign(co, second["id"])["approved_amount"] == 120000
    assert co.api("leader", "GET", f"/budgets/{b['id']}")["available"] == 0


def test_a_colleague_takes_the_province_step_while_its_manager_is_away(console, company):
    co = company
    scene.policy(co, (500000, "province"), (None, "region"))
    pm = co.add("pm", "钱五", "manager", f"{co.root}/EAST/JS")
    c = scene.submitted(
        co,
        title="开业路演 · 德基广场",
        category="roadshow",
        customer={"id": "MALL", "name": "德基广场"},
        start_date=scene.day(10),
        end_date=scene.day(11),
        requested_amount=800000,
        plan={"expected_spend": 800000, "expected_sales": 4000000},
    )
    assert [s["level"] for s in c["approval"]["chain"]] == ["province", "region"]

    # the region manager may not take the province's step
    region = console("phone")
    region.sign_in(co.users["manager"])
    p = region.page
    assert p.get_by_text("没有待审批的申请。").is_visible()
    region.nav("活动")
    p.get_by_role("link", name="开业路演 · 德基广场").click()
    region.ready()
    p.get_by_role("link", name="审批", exact=True).click()
    region.ready()
    assert "此步骤属于 省办经理" in p.locator("form.decision").inner_text()
    p.get_by_role("button", name="批准").click()
    refused = p.locator("form.decision .form-error")
    refused.wait_for()
    assert "这一步不归您审批" in refused.inner_text() and f"省办经理 · {co.root}/EAST/JS" in refused.inner_text()
    region.check("money-not-your-step")

    # the province manager delegates while away: a period ending before it starts is refused by field
    away = console("desk")
    away.sign_in(pm)
    q = away.page
    away.nav("代理审批")
    assert q.get_by_text("您没有设置代理。").is_visible()
    q.get_by_label("同事的用户 ID").fill(co.users["manager"]["sub"])
    q.get_by_label("同事姓名").fill("赵四")
    q.get_by_label("开始日期").fill(scene.day(0))
    q.get_by_label("结束日期").fill(scene.day(-1))
    q.get_by_role("button", name="保存代理").click()
    error = q.locator("#f-until-err")
    error.wait_for()
    assert "不能早于开始日期" in error.inner_text()
    q.get_by_label("结束日期").fill(scene.day(3))
    q.get_by_role("button", name="保存代理").click()
    q.get_by_text("已设置代理：赵四").wait_for()
    current = q.locator("section.current-delegation")
    assert "生效中" in current.inner_text() and scene.day(3) in current.inner_text()
    away.check("money-delegation")
    assert co.api("pm", "GET", "/me/delegation")["to"]["id"] == co.users["manager"]["sub"]

    # the delegate sees it in the queue, marked, and approves in the delegator's name
    region.nav("待审批")
    rows = p.locator("table.data tbody tr")
    assert rows.count() == 1 and "代理 · 钱五" in rows.first.inner_text()  # the API names the delegator
    rows.first.get_by_role("link").click()
    region.ready()
    assert "您作为 钱五 的代理人审批此步骤" in p.locator("form.decision").inner_text()
    p.get_by_label("批准金额").fill("7500")
    p.get_by_role("button", name="批准").click()
    p.get_by_text("已审批本步骤，等待下一步：大区经理").wait_for()
    assert "以被代理人的名义：钱五" in p.locator(".notice").inner_text()
    region.ready()
    step = scene.campaign(co, c["id"])["approval"]["steps"][0]
    assert step["by"]["id"] == co.users["manager"]["sub"] and step["acting_for"]["id"] == pm["sub"]
    assert step["amount"] == 750000

    # the region step is now theirs in their own right, but nobody approves twice: the queue
    # leaves it out (nothing there they may do), and the card refuses it
    assert rows.count() == 0
    region.open(f"/approvals/{c['id']}")
    region.ready()
    chain = p.locator("ol.chain")
    assert "赵四 （代 钱五）" in chain.inner_text() and "¥7,500.00" in chain.inner_text()
    assert p.get_by_label("批准金额").input_value() == "7500"  # at most the previous step's amount
    p.get_by_role("button", name="批准").click()
    refused.wait_for()
    assert "同一人不能审批两次" in refused.inner_text()
    region.check("money-already-approved")

    # back from leave: the delegation is revoked
    q.get_by_role("button", name="撤销代理").click()
    q.get_by_role("button", name="确认撤销").click()
    q.get_by_text("代理已撤销。").wait_for()
    assert q.get_by_text("您没有设置代理。").is_visible()
    assert co.stack.call("GET", "/me/delegation", co.tokens["pm"])[0] == 404


def test_leader_sets_the_policy_and_allocates_carves_and_resizes_budgets(console, company):
    co = company
    year = scene.day(0)[:4]
    lead = console("desk")
    lead.sign_in(co.users["leader"])
    p = lead.page

    lead.nav("审批政策")
    assert p.get_by_text("尚未设置审批政策").first.is_visible()
    p.get_by_label("金额上限").fill("5000")
    p.get_by_label("审批人").select_option(label="省办经理")
    p.get_by_role("button", name="添加一级").click()
    p.locator("#f-levels-1-up_to").fill("4000")
    p.locator("#f-levels-1-approver").select_option(label="大区经理")
    p.get_by_role("button", name="添加一级").click()
    p.locator("#f-levels-2-approver").select_option(label="集团领导")
    p.get_by_role("button", name="保存审批政策").click()
    error = p.locator("#f-levels-1-up_to-err")
    error.wait_for()
    assert "必须大于上一级的 ¥5,000.00" in error.inner_text()  # levels.1.up_to, next to level 2
    lead.check("money-policy-error")
    p.locator("#f-levels-1-up_to").fill("50000")
    p.get_by_role("button", name="保存审批政策").click()
    p.get_by_text("审批政策已保存").wait_for()
    assert co.api("leader", "GET", "/approval-policy")["levels"] == [
        {"up_to": 500000, "approver": "province"},
        {"up_to": 5000000, "approver": "region"},
        {"up_to": None, "approver": "leader"},
    ]
    assert p.locator("#f-levels-1-up_to").input_value() == "50000"
    lead.check("money-policy")

    lead.nav("预算")
    assert p.get_by_text("没有符合条件的预算。").is_visible()
    allocate = p.get_by_role("form", name="分配新预算")
    allocate.get_by_label("组织").fill(co.root)
    allocate.get_by_label("期间").fill(year)
    allocate.get_by_label("预算总额").fill("100000")
    allocate.get_by_role("button", name="分配预算").click()
    p.get_by_text(f"已分配预算 {co.root} · {year} · 全部类型").wait_for()
    rows = p.locator("table.data tbody tr")
    rows.first.wait_for()
    assert "¥100,000.00" in rows.first.inner_text()

    rows.first.get_by_role("link").click()
    lead.ready()
    carve = p.get_by_role("form", name="划拨子预算")
    carve.get_by_label("组织").fill(f"{co.root}/EAST")
    carve.get_by_label("期间").fill(f"{year}-Q4")
    carve.get_by_label("预算总额").fill("120000")
    carve.get_by_role("button", name="划拨").click()
    error = p.locator("#f-carve-amount-err")
    error.wait_for()
    assert "超出预算：当前可用 ¥100,000.00" in error.inner_text()  # 409 budget_exceeded from the parent
    carve.get_by_label("预算总额").fill("30000")
    carve.get_by_role("button", name="划拨").click()
    p.get_by_text(f"已划拨子预算 {co.root}/EAST · {year}-Q4").wait_for()

    resize = p.get_by_role("form", name="调整预算总额")
    resize.get_by_label("新的预算总额").fill("20000")
    resize.get_by_role("button", name="保存总额").click()
    error = p.locator("#f-amount-err")
    error.wait_for()
    assert "不能低于已占用的 ¥30,000.00" in error.inner_text()  # 409 budget_below_committed
    lead.check("money-budget-resize-error")
    resize.get_by_label("新的预算总额").fill("120000")
    resize.get_by_role("button", name="保存总额").click()
    p.get_by_text("预算总额已调整为 ¥120,000.00").wait_for()
    lead.ready()
    figures = p.locator("section").filter(has_text="预算情况")
    wait = figures.get_by_text("¥90,000.00")  # available: 120,000 − 30,000
    wait.wait_for()

    # others carve four more; the ledger reads oldest first, five to a page
    top = co.api("leader", "GET", "/budgets")["items"]
    parent = next(b for b in top if b["parent_id"] is None)
    for q in range(1, 5):
        co.api(
            "leader",
            "POST",
            "/budgets",
            {"org": f"{co.root}/WEST", "period": f"{year}-Q{q}", "amount": 100000, "parent_id": parent["id"]},
        )
    p.get_by_label("每页条数").select_option("5")
    ledger = p.locator("section.ledger tbody tr")
    wait_for(lambda: ledger.count() == 5)
    kinds = [ledger.nth(i).locator("td").nth(1).inner_text() for i in range(5)]
    assert kinds == ["分配", "划拨子预算", "调整总额", "划拨子预算", "划拨子预算"], kinds
    assert "¥100,000.00" in ledger.first.inner_text() and "孙七" in ledger.first.inner_text()
    lead.check("money-budget")
    p.locator("section.ledger").get_by_role("button", name="下一页").click()
    wait_for(lambda: ledger.count() == 2)
    p.locator("section.ledger").get_by_role("button", name="上一页").click()
    wait_for(lambda: ledger.count() == 5)

    # the list, by org and by period (a bad period answered next to its filter)
    lead.nav("预算")
    p.get_by_role("search").get_by_label("组织").fill(f"{co.root}/EAST")
    p.get_by_role("button", name="查询").click()
    wait_for(lambda: rows.count() == 1 and f"{co.root}/EAST · {year}-Q4" in rows.first.inner_text())
    p.get_by_role("search").get_by_label("组织").fill("")
    p.get_by_role("search").get_by_label("期间").fill(f"{year}-13")
    p.get_by_role("button", name="查询").click()
    error = p.locator("#f-period-err")
    error.wait_for()
    assert "期间格式为" in error.inner_text()
    p.get_by_role("search").get_by_label("期间").fill(f"{year}-Q2")
    p.get_by_role("button", name="查询").click()
    wait_for(lambda: rows.count() == 1 and f"{co.root}/WEST · {year}-Q2" in rows.first.inner_text())
    lead.check("money-budgets")


def test_rep_cancels_an_approved_campaign_and_reads_its_verified_audit_trail(console, company):
    co = company
    b = scene.budget(co, 500000)
    c = scene.approved(co, title="周末品鉴 · 苏果新街口", amount=180000)
    rep = console("phone")
    rep.sign_in(co.users["rep"])
    p = rep.page
    p.get_by_role("link", name="周末品鉴 · 苏果新街口").click()
    rep.ready()
    assert "¥1,800.00" in p.locator("section").filter(has_text="已预留").inner_text()
    p.get_by_role("button", name="取消活动").click()
    assert "预留的预算全部释放" in p.locator("form.cancel-form").inner_text()
    p.get_by_label("取消原因").fill("门店装修，活动取消。")
    p.get_by_role("button", name="确认取消活动").click()
    p.get_by_text("活动已取消。").wait_for()
    assert "已取消" in p.locator(".status-line").inner_text()
    rep.check("money-rep-cancelled")
    assert co.api("leader", "GET", f"/budgets/{b['id']}")["available"] == 500000

    p.get_by_role("link", name="审计轨迹").click()
    rep.ready()
    assert "已验证" in p.locator(".verified-line").inner_text()
    rows = p.locator("table.data tbody tr")
    rows.first.wait_for()
    actions = [rows.nth(i).locator("td").nth(2).inner_text() for i in range(rows.count())]
    assert actions == ["创建", "提交", "审批步骤", "批准", "预留预算", "取消", "释放预算"], actions
    assert "赵四" in rows.nth(3).inner_text() and "¥1,800.00" in rows.nth(3).inner_text()
    assert "门店装修" in rows.nth(5).inner_text()
    rep.check("money-audit")
    p.get_by_label("每页条数").select_option("5")
    wait_for(lambda: rows.count() == 5)
    p.get_by_role("button", name="下一页").click()
    wait_for(lambda: rows.count() == 2)
    assert "释放预算" in rows.nth(1).inner_text()
    assert co.api("leader", "GET", f"/campaigns/{c['id']}/audit")["verified"] is True
