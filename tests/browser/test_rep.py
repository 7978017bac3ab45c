"""The rep's journeys, on a phone: apply (live cost ratio, a retry that creates nothing twice,
errors next to their fields, a draft that survives a reload), then B — feedback requests —,
the feedback report with photos uploaded through the presigned form, and C — revisions."""

from __future__ import annotations

import re

from tests.browser import scene
from tests.browser.conftest import wait_for


def test_rep_applies_with_a_live_cost_ratio_and_one_campaign_despite_a_lost_answer(console, company):
    rep = console("phone")
    rep.open()
    rep.check("signin")
    rep.sign_in(company.users["rep"])
    p = rep.page
    assert "我的活动" in p.locator("main h1").inner_text()
    rep.check("rep-campaigns-empty")

    p.locator(".page-actions").get_by_role("link", name="申请活动").click()
    rep.ready()
    p.get_by_label("活动名称").fill("周末品鉴 · 苏果新街口")
    p.get_by_label("活动类型").select_option(label="品鉴")
    p.get_by_label("客户编号").fill("SUGUO-XJK")
    p.get_by_label("客户名称").fill("苏果新街口店")
    p.get_by_label("开始日期").fill(scene.day(10))
    p.get_by_label("结束日期").fill(scene.day(9))  # before the start: the API says so
    p.get_by_label("活动地点").fill("南京新街口")
    p.get_by_label("纬度").fill("32.0415")
    p.get_by_label("经度").fill("118.7849")
    p.get_by_label("预计花费").fill("2000")
    p.get_by_label("预计销售额").fill("8000")
    ratio = p.get_by_test_id("expected-cost-ratio")
    assert ratio.inner_text() == "25.00%"  # live, as the rep types
    p.get_by_label("预计销售额").fill("10000")
    assert ratio.inner_text() == "20.00%"
    p.get_by_label("预计销量（件）").fill("500")
    assert p.get_by_label("申请金额").input_value() == "2000"  # filled from the expected spend
    p.get_by_role("button", name="提交申请").click()
    error = p.locator("#f-end_date-err")
    error.wait_for()
    assert "不能早于开始日期" in error.inner_text()  # the API's message, next to the field at fault
    assert p.get_by_label("结束日期").get_attribute("aria-invalid") == "true"
    rep.check("rep-apply-error")
    p.get_by_label("结束日期").fill(scene.day(11))

    # The request reaches the server, but its answer is lost on the way back.
    def lose_the_answer(route):
        if route.request.method == "POST":
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    p.route("**/campaigns", lose_the_answer)
    p.get_by_role("button", name="提交申请").click()
    p.locator(".form-error").filter(has_text="网络中断").wait_for()
    rep.check("rep-apply-network-lost")
    p.unroute("**/campaigns")

    # A reload (tokens live in memory only: sign in again) brings the draft back.
    p.reload()
    p.wait_for_selector("html[data-ready]")
    rep.sign_in(company.users["rep"])
    assert p.get_by_label("活动名称").input_value() == "周末品鉴 · 苏果新街口"
    assert p.get_by_label("预计销售额").input_value() == "10000"
    assert p.get_by_text("已恢复本机保存的未提交内容").is_visible()
    rep.check("rep-apply-restored")

    p.get_by_role("button", name="提交申请").click()  # the same Idempotency-Key again
    p.get_by_text("申请已提交，等待审批。").wait_for()
    rep.ready()
    assert p.locator(".badge").filter(has_text="待审批").count() >= 1
    rep.check("rep-campaign-submitted")

    mine = company.api("rep", "GET", "/campaigns")["items"]
    assert [c["status"] for c in mine] == ["submitted"]  # one campaign, not two
    assert mine[0]["plan"]["expected_spend"] == 200000 and mine[0]["requested_amount"] == 200000

    rep.nav("我的活动")
    assert p.locator("table.data tbody tr").count() == 1
    rep.check("rep-campaigns")


def test_rep_writes_feedback_with_photos_keeps_it_offline_and_maintains_revisions(console, company, stack, tmp_path):
    co = company
    scene.rule(co, scope="category", category="tasting", due_days=7, min_photos=1)
    late = scene.approved(co, title="国庆品鉴 · 苏果新街口", start_date=scene.day(-25), end_date=scene.day(-20))
    soon = scene.approved(
        co,
        title="周末品鉴 · 金鹰",
        start_date=scene.day(-3),
        end_date=scene.day(-2),
        customer={"id": "JINYING", "name": "金鹰新街口"},
    )
    for c in (late, soon):
        scene.until(co, c["id"], lambda x: x["feedback"]["required"])

    rep = console("phone")
    rep.sign_in(co.users["rep"])
    p = rep.page
    rep.nav("待反馈")
    cards = p.locator("ol.requests > li")
    assert cards.count() == 2
    assert cards.nth(0).get_attribute("data-campaign") == late["id"]  # soonest due first
    assert "is-overdue" in cards.nth(0).get_attribute("class")
    assert "逾期 13 天" in cards.nth(0).inner_text()
    assert "还有 5 天" in cards.nth(1).inner_text()
    rep.check("rep-feedback-requests")

    cards.nth(0).get_by_role("link", name=re.compile("填写反馈")).click()
    rep.ready()
    p.get_by_label("实际花费").fill("1500")
    assert "1500" in p.get_by_label("实际花费").input_value()
    rep.check("rep-feedback-form")

    # The network drops while the form is half done: the draft waits on the device, and after a
    # reload and a sign-in it is saved on the server.
    rep.installed()
    rep.context.set_offline(True)
    p.get_by_role("button", name="保存草稿").click()
    p.get_by_text("草稿已保存在本机，联网后自动保存到服务器。").wait_for()
    assert "等待发送（1）" in p.locator(".offline-bar").inner_text()
    rep.context.set_offline(False)
    p.reload()
    p.wait_for_selector("html[data-ready]")
    rep.sign_in(co.users["rep"])
    assert p.get_by_label("实际花费").input_value() == "1500"
    wait_for(
        lambda: (co.api("rep", "GET", f"/campaigns/{late['id']}/feedback")["draft"] or {}).get("actual_spend") == 150000
    )

    # A photo straight to storage: the first attempt fails on the way, Retry sends it.
    good = tmp_path / "陈列照片.jpg"
    good.write_bytes(scene.photo(scene.exif_time(late["start_date"]), *scene.XINJIEKOU))
    attempts = []

    def fail_first_upload(route):
        if route.request.method == "POST":
            attempts.append(route.request.url)
            if len(attempts) == 1:
                return route.abort("connectionreset")
        return route.continue_()

    p.route(f"{stack.storage}/**", fail_first_upload)
    with p.expect_file_chooser() as chooser:
        p.get_by_text("选择照片或文件").click()
    chooser.value.set_files(str(good))
    failed = p.locator("li.upload-failed")
    failed.wait_for()
    assert "网络中断" in failed.inner_text()
    rep.check("rep-feedback-upload-failed")
    failed.get_by_role("button", name=re.compile("重试")).click()
    ready = p.locator("li.attachment-ready")
    ready.wait_for(timeout=30000)
    assert len(attempts) == 2
    assert "检查通过" in ready.inner_text() and "陈列照片.jpg" in ready.inner_text()
    thumbnail = ready.locator("img")
    assert thumbnail.get_attribute("src").startswith(stack.storage)
    wait_for(lambda: thumbnail.evaluate("img => img.complete && img.naturalWidth > 0"))
    p.unroute(f"{stack.storage}/**")

    # A file that only pretends to be a photo is rejected, with the reason.
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(scene.not_a_photo())
    with p.expect_file_chooser() as chooser:
        p.get_by_text("选择照片或文件").click()
    chooser.value.set_files(str(fake))
    rejected = p.locator("li.attachment-rejected")
    rejected.wait_for(timeout=30000)
    assert "已拒收" in rejected.inner_text() and "文件不是 JPEG" in rejected.inner_text()
    rep.check("rep-feedback-photos")

    # Submitting without actual sales: the API's error sits next to that field.
    p.get_by_role("button", name="提交反馈").click()
    error = p.locator("#f-actual_sales-err")
    error.wait_for()
    assert "提交反馈前必须填写" in error.inner_text()
    rep.check("rep-feedback-error")
    p.get_by_label("实际销售额").fill("9000")
    p.get_by_label("4 良好").check()
    p.get_by_label("心得体会").fill("周末客流大，新口味很受欢迎。")
    p.get_by_role("button", name="提交反馈").click()
    p.get_by_text("反馈报告已提交。").wait_for()
    rep.ready()
    assert p.locator(".badge").filter(has_text="已反馈").count() >= 1
    rep.check("rep-feedback-submitted")
    scene.until(co, late["id"], lambda c: c["reimbursement"]["status"] == "unlocked")

    # C — maintain the report: a second revision.
    rep.nav("我的反馈报告")
    card = p.locator(f"li[data-campaign='{late['id']}']")
    assert "第 1 版" in card.inner_text()
    card.get_by_role("link", name=re.compile("维护报告")).click()
    rep.ready()
    assert p.get_by_label("心得体会").input_value() == "周末客流大，新口味很受欢迎。"
    p.get_by_label("心得体会").fill("周末客流大，新口味很受欢迎；下次多备试饮杯。")
    p.get_by_role("button", name="提交反馈").click()
    p.get_by_text("反馈报告已提交。").wait_for()
    rep.nav("我的反馈报告")
    card = p.locator(f"li[data-campaign='{late['id']}']")
    assert "第 2 版" in card.inner_text()
    card.get_by_role("button", name=re.compile("历史版本")).click()
    revisions = card.locator("ol.revisions > li")
    revisions.first.wait_for()
    assert revisions.count() == 2
    rep.check("rep-reports")
    wait_for(lambda: scene.campaign(co, late["id"])["feedback"]["revision"] == 2)
