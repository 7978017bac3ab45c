"""Finance's evidence pack and vouchers, in Chromium at a desk and on a phone: the settlement
card shows the campaign's dates, plan against actual, the rep's reflections, the photos with
their checks, the invoices with their total and the budget effect before the amount and the button; the
voucher screen sets the accounts, makes a batch (how many, how much), offers both files, and
records the voucher number, which the campaign then shows."""

from __future__ import annotations

import csv
import io
import random

import pytest
import requests

from tests.browser import scene
from tests.browser.conftest import wait_for


@pytest.mark.parametrize("device", ["desk", "phone"])
def test_finance_reads_the_evidence_pack_settles_and_books_the_voucher(console, company, device):
    co = company
    scene.budget(co, 1000000)
    c = scene.approved(co, title="周末品鉴 · 苏果新街口", amount=180000)
    scene.upload_photo(co, c)
    scene.feedback(co, c["id"], actual_spend=150000, actual_sales=900000, reflections="新口味很受欢迎，试饮排队。")
    scene.until(co, c["id"], lambda x: x["reimbursement"]["status"] == "unlocked")
    issued = c["start_date"].replace("-", "")
    qr = f"01,04,3200162130,{random.randrange(10**8):08d},1500.00,{issued},,4FD5"
    invoice = co.api("rep", "POST", f"/campaigns/{c['id']}/invoices", {"qr": qr})

    fin = console(device)
    if device == "desk":
        fin.page.set_viewport_size({"width": 1280, "height": 900})  # finance's desk, as the screens were reviewed
    fin.sign_in(co.users["finance"])
    p = fin.page
    card = p.locator("ol.cards > li").first
    card.locator(".evidence .attachments").wait_for()
    text = card.inner_text()
    assert "已结束" in text and c["start_date"] in text  # the dates, and that it has ended
    assert "新口味很受欢迎，试饮排队。" in text  # the rep's reflections
    assert "¥2,000.00" in text and "¥1,500.00" in text  # plan against actual spend
    assert "检查通过" in card.locator(".attachments").inner_text() or card.locator(".flags").count() > 0
    assert "1 张发票，合计 ¥1,500.00" in text and "已覆盖实际花费" in text  # the invoices against actual spend
    card.locator("details.invoices-box summary").click()
    assert invoice["number"] in card.locator("li.invoice").inner_text()
    assert "消耗 ¥1,500.00，释放 ¥300.00" in card.locator(".budget-effect").inner_text()
    card.get_by_label("核销金额").fill("1400")
    assert "消耗 ¥1,400.00，释放 ¥400.00" in card.locator(".budget-effect").inner_text()
    fin.check("vouchers-evidence-pack")
    card.get_by_role("button", name="核销").click()
    p.get_by_text("已核销「周末品鉴 · 苏果新街口」：¥1,400.00").wait_for()

    # the voucher screen: no accounts yet, then set them, then a batch of what was settled
    fin.nav("记账凭证")
    p.get_by_text("还没有设置凭证科目").wait_for()
    fin.check("vouchers-no-accounts")
    p.get_by_label("费用科目（默认）").fill("6601")
    p.get_by_label("应付科目").fill("22 02")
    p.get_by_role("button", name="保存科目").click()
    assert "不是科目代码" in p.locator(".field-error").first.inner_text()
    p.get_by_label("应付科目").fill("2202")
    p.get_by_label("品鉴", exact=True).fill("6601.01")
    p.get_by_role("button", name="保存科目").click()
    p.get_by_text("科目已保存。").wait_for()
    p.get_by_role("button", name="生成批次").click()
    p.get_by_text("已生成批次：1 个活动，合计 ¥1,400.00").wait_for()
    row = p.locator("table.data tbody tr").first
    row.get_by_role("link", name="CSV").wait_for()
    fin.check("vouchers-batch")
    raw = requests.get(row.get_by_role("link", name="CSV").get_attribute("href"), timeout=10).content
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert raw[:3] == b"\xef\xbb\xbf" and [r[1:4] + r[8:] for r in lines[1:]] == [
        ["6601.01", "1400.00", "0.00", invoice["number"]],
        ["2202", "0.00", "1400.00", invoice["number"]],
    ]
    # another batch now: nothing left
    p.get_by_role("button", name="生成批次").click()
    p.get_by_text("都已在凭证批次中").wait_for()

    row.get_by_role("textbox", name="凭证号").fill("记-2026-12-0042")
    row.get_by_role("button", name="记录凭证号").click()
    p.get_by_text("已记录凭证号 记-2026-12-0042").wait_for()
    assert "已记账：记-2026-12-0042" in p.locator("table.data tbody tr").first.inner_text()
    fin.check("vouchers-posted")
    scene.until(co, c["id"], lambda x: x["reimbursement"]["voucher_no"] == "记-2026-12-0042")
    fin.page.goto(f"{fin.stack.url}/console/#/campaigns/{c['id']}")
    fin.ready()
    wait_for(lambda: "记-2026-12-0042" in p.locator("main").inner_text())
    fin.check("vouchers-campaign")
