"""Every screen at the size its journey does not use (the rep at a desk; the others on a
phone): a screenshot, axe-core with no serious or critical violation, no sideways scrolling.
The language switch, and every text in both languages."""

from __future__ import annotations

import re

from tests.browser import scene
from tests.browser.conftest import ROOT
from tests.machine_paths import machine_paths


def _scene(co):
    scene.rule(co, scope="category", category="roadshow", due_days=3)
    fed = scene.approved(co, title="品鉴 · 苏果新街口")
    scene.feedback(co, fed["id"])
    due = scene.approved(
        co,
        title="路演 · 德基广场",
        category="roadshow",
        customer={"id": "MALL", "name": "德基广场"},
        start_date=scene.day(-12),
        end_date=scene.day(-11),
    )
    waiting = scene.submitted(
        co,
        title="陈列 · 金鹰",
        category="display",
        customer={"id": "JINYING", "name": "金鹰"},
        start_date=scene.day(3),
        end_date=scene.day(4),
    )
    scene.until(co, due["id"], lambda c: c["reimbursement"]["status"] == "locked")
    scene.until(co, fed["id"], lambda c: c["reimbursement"]["status"] == "unlocked")
    scene.budget(co, 1000000, period=scene.day(3)[:4])
    return fed, due, waiting


def test_every_screen_fits_a_phone_and_a_desk_and_passes_axe(console, company):
    co = company
    fed, due, waiting = _scene(co)

    rep = console("desk")
    rep.sign_in(co.users["rep"])
    rep.check("tour-rep-campaigns")
    for label, name in (
        ("申请活动", "tour-rep-apply"),
        ("待反馈", "tour-rep-requests"),
        ("我的反馈报告", "tour-rep-reports"),
    ):
        rep.nav(label)
        rep.check(name)
    rep.nav("待反馈")
    rep.page.get_by_role("link", name=re.compile("填写反馈")).first.click()
    rep.ready()
    rep.check("tour-rep-feedback")
    rep.nav("我的活动")
    rep.page.get_by_role("link", name="品鉴 · 苏果新街口").click()
    rep.ready()
    rep.check("tour-rep-campaign")
    rep.page.get_by_role("link", name="审计轨迹").click()
    rep.ready()
    rep.check("tour-rep-audit")

    mgr = console("phone")
    mgr.sign_in(co.users["manager"])
    mgr.check("tour-manager-approvals")
    mgr.page.get_by_role("link", name="陈列 · 金鹰").click()
    mgr.ready()
    mgr.check("tour-manager-approval-card")
    for label, name in (
        ("全部反馈", "tour-manager-feedback"),
        ("反馈跟踪", "tour-manager-feedback-requests"),
        ("汇总看板", "tour-manager-dashboard"),
        ("报表", "tour-manager-reports"),
        ("代理审批", "tour-manager-delegation"),
        ("审批政策", "tour-manager-policy"),
        ("预算", "tour-manager-budgets"),
    ):
        mgr.nav(label)
        mgr.check(name)
    mgr.page.locator(".menu-toggle").click()
    mgr.check("tour-manager-menu-open")
    mgr.page.locator(".menu-toggle").click()

    # English by the switch, on the same screen; back to Chinese
    mgr.page.get_by_role("button", name="English").click()
    assert mgr.page.locator("main h1").inner_text() == "Budgets"
    mgr.check("tour-manager-budgets-en")
    mgr.page.get_by_role("button", name="中文").click()
    assert mgr.page.locator("main h1").inner_text() == "预算"

    lead = console("phone")
    lead.sign_in(co.users["leader"])
    lead.check("tour-leader-dashboard")
    lead.page.locator("details.chart-data").first.locator("summary").click()
    lead.check("tour-leader-dashboard-data")
    for label, name in (
        ("反馈规则", "tour-leader-rules"),
        ("报表", "tour-leader-reports"),
        ("审批政策", "tour-leader-policy"),
        ("预算", "tour-leader-budgets"),
    ):
        lead.nav(label)
        lead.check(name)
    lead.page.locator("table.data tbody tr").first.get_by_role("link").click()
    lead.ready()
    lead.check("tour-leader-budget")
    lead.page.get_by_role("button", name="English").click()
    assert lead.page.get_by_role("heading", name="Ledger").is_visible()
    lead.check("tour-leader-budget-en")
    lead.page.get_by_role("button", name="中文").click()

    fin = console("phone")
    fin.sign_in(co.users["finance"])
    fin.check("tour-finance-settlement")
    fin.nav("锁定的核销")
    fin.check("tour-finance-locked")
    fin.nav("活动")
    fin.check("tour-finance-campaigns")
    fin.nav("预算")
    fin.check("tour-finance-budgets")


def test_every_text_of_the_console_exists_in_chinese_and_english(console):
    page = console("phone")
    page.open()
    tables = page.page.evaluate("""async () => {
        const m = await import('./js/i18n.js');
        return {zh: Object.keys(m.TABLE.zh), en: Object.keys(m.TABLE.en)};
    }""")
    zh, en = set(tables["zh"]), set(tables["en"])
    assert zh - en == set() and en - zh == set()
    used = set()
    for path in (ROOT / "console" / "js").rglob("*.js"):
        used |= set(re.findall(r"\bt\(\"([a-z0-9_.]+)\"", path.read_text(encoding="utf-8")))
    assert used - zh == set(), f"texts used but missing from the i18n table: {sorted(used - zh)}"


def test_no_tracked_console_file_names_a_machine_path_or_another_origin():
    """Nothing is loaded from another origin at run time; no absolute machine path is tracked."""
    offenders = []
    for path in (ROOT / "console").rglob("*"):
        if path.is_file() and path.suffix in {".js", ".css", ".html", ".json", ".svg", ".md"}:
            text = path.read_text(encoding="utf-8")
            if machine_paths(text) or re.search(r"""(src|href)=["']https?://""", text) or "@import url(http" in text:
                offenders.append(str(path.relative_to(ROOT)))
            if path.suffix in {".js"} and re.search(r"""import\s*\(?\s*["']https?://""", text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
