"""Invoices in the console (以票核销): the rep photographs an invoice on the feedback screen (the
checker reads its QR code, the console claims it), is told plainly when a photo holds no QR code,
types one by hand, is refused a duplicate in words naming the campaign that holds it, and
deletes one; finance turns on settlement on invoices and sees each card's invoices, their total
and that they fall short, then settles on what they prove. On a phone (375 px) and a desk
(1280 px)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import corpus
from tests.browser import scene
from tests.browser.conftest import wait_for

WIDTH = {"phone": 375, "desk": 1280}


def qr(number: int, yuan: str) -> str:
    issued = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date() - dt.timedelta(days=3)).strftime("%Y%m%d")
    return f"01,04,3200162130,{number:08d},{yuan},{issued},,4FD5,"


@pytest.mark.parametrize("device", ["phone", "desk"])
def test_rep_adds_invoices_by_photo_and_by_hand_and_a_duplicate_is_refused_in_words(console, company, tmp_path, device):
    co = company
    c = scene.approved(co, title="周末品鉴 · 苏果新街口", start_date=scene.day(-3), end_date=scene.day(-2))
    earlier = scene.approved(co, title="国庆路演 · 金鹰", customer={"id": "JINYING", "name": "金鹰新街口"})
    co.api("rep", "POST", f"/campaigns/{earlier['id']}/invoices", {"qr": qr(77, "88.00")})

    rep = console(device)
    rep.page.set_viewport_size({"width": WIDTH[device], "height": 812 if device == "phone" else 900})
    rep.sign_in(co.users["rep"])
    rep.open(f"/campaigns/{c['id']}/feedback")
    rep.ready()
    p = rep.page
    panel = p.locator("section.invoice-panel")
    assert "还没有发票" in panel.inner_text()
    p.get_by_label("实际花费").fill("1500")

    # a photographed invoice: uploaded, its QR code read by the checker, claimed
    photo = tmp_path / "发票.jpg"
    photo.write_bytes(corpus.invoice_photo(qr(1, "1234.50"), width=2400, fill=0.9, angle=6, quality=88))
    with p.expect_file_chooser() as chooser:
        panel.get_by_text("拍发票").click()
    chooser.value.set_files(str(photo))
    first = panel.locator("li.invoice")
    first.wait_for(timeout=30000)
    assert "¥1,234.50" in first.inner_text() and "拍照识别" in first.inner_text()
    assert "1 张发票，合计 ¥1,234.50" in panel.locator(".invoice-total").inner_text()
    assert "还差 ¥265.50" in panel.locator(".invoice-total").inner_text()  # against the ¥1,500 typed above

    # a photo without any QR code: said plainly, and the form to type it opens
    plain = tmp_path / "货架.jpg"
    plain.write_bytes(corpus.jpeg(corpus.scene(3, (1600, 1200))))
    with p.expect_file_chooser() as chooser:
        panel.get_by_text("拍发票").click()
    chooser.value.set_files(str(plain))
    panel.get_by_text("照片里没有找到发票二维码").wait_for(timeout=30000)
    rep.check("rep-invoice-no-qr")

    # typed by hand: a fully digital invoice has no code
    form = panel.locator("form.invoice-form")
    form.get_by_label("发票类型").select_option("32")
    assert form.get_by_label("发票代码").is_disabled()
    form.get_by_label("发票号码").fill("26322000000000000042")
    form.get_by_label("金额（价税合计）").fill("265.5")
    form.get_by_label("开票日期").fill(scene.day(-3))
    form.get_by_role("button", name="登记这张发票").click()
    wait_for(lambda: panel.locator("li.invoice").count() == 2)
    assert "已覆盖实际花费" in panel.locator(".invoice-total").inner_text()

    # the invoice another of the rep's campaigns holds: refused, naming that campaign
    form.get_by_label("发票类型").select_option("04")
    form.get_by_label("发票代码").fill("3200162130")
    form.get_by_label("发票号码").fill("00000077")
    form.get_by_label("金额（价税合计）").fill("88")
    form.get_by_label("开票日期").fill(scene.day(-3))
    form.get_by_role("button", name="登记这张发票").click()
    panel.get_by_text("这张发票已在活动《国庆路演 · 金鹰》中报销过").wait_for()
    assert panel.locator("li.invoice").count() == 2
    rep.check("rep-invoices")

    # deleted before settlement: the list and the total follow
    panel.locator("li.invoice").nth(1).get_by_role("button", name="删除").click()
    wait_for(lambda: panel.locator("li.invoice").count() == 1)
    listed = co.api("rep", "GET", f"/campaigns/{c['id']}/invoices")
    assert listed["total"] == 123450 and [i["source"] for i in listed["items"]] == ["attachment"]


@pytest.mark.parametrize("device", ["phone", "desk"])
def test_finance_requires_invoices_and_settles_on_what_they_prove(console, company, device):
    co = company
    c = scene.approved(co, title="路演 · 发票不足", amount=180000, start_date=scene.day(-3), end_date=scene.day(-2))
    scene.feedback(co, c["id"], actual_spend=150000, actual_sales=600000)
    scene.until(co, c["id"], lambda x: x["reimbursement"]["status"] == "unlocked")
    co.api("rep", "POST", f"/campaigns/{c['id']}/invoices", {"qr": qr(5, "800.00")})
    co.api("rep", "POST", f"/campaigns/{c['id']}/invoices", {"qr": qr(6, "400.00")})

    fin = console(device)
    fin.page.set_viewport_size({"width": WIDTH[device], "height": 812 if device == "phone" else 900})
    fin.sign_in(co.users["finance"])
    p = fin.page
    switch = p.get_by_label("核销必须有发票：金额不超过发票合计")
    assert not switch.is_checked()
    card = p.locator(f"li[data-campaign='{c['id']}']")
    assert card.get_by_label("核销金额").input_value() == "1500"  # the actual spend, invoices not required
    switch.check()
    p.get_by_text("已开启").wait_for()
    assert co.api("finance", "GET", "/settlement-policy")["invoices_required"] is True
    wait_for(lambda: card.get_by_label("核销金额").input_value() == "1200")  # no more than the invoices
    assert "发票合计只有 ¥1,200.00" in card.inner_text()
    card.locator("details.invoices-box summary").click()
    wait_for(lambda: card.locator("li.invoice").count() == 2)
    assert "2 张发票，合计 ¥1,200.00" in card.inner_text() and "还差 ¥300.00" in card.inner_text()
    fin.check("finance-settlement-invoices")

    # above what they prove: refused in words, with the invoices' total
    card.get_by_label("核销金额").fill("1300")
    card.get_by_role("button", name="核销").click()
    card.get_by_text("发票不足：发票合计 ¥1,200.00，不足以核销 ¥1,300.00").wait_for()
    fin.check("finance-settlement-invoices-short")
    card.get_by_label("核销金额").fill("1200")
    card.get_by_role("button", name="核销").click()
    p.get_by_text("已核销「路演 · 发票不足」：¥1,200.00").wait_for()
    settled = co.api("finance", "GET", f"/campaigns/{c['id']}/invoices")
    assert {i["status"] for i in settled["items"]} == {"settled"}
