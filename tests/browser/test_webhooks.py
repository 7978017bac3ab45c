"""Events out in the console (API.md v3), as a leader and a finance person would use it:

- a leader at a desk (1280 px) connects the ERP: a refused URL first (the error next to the
  field), then a receiver on 127.0.0.1; the secret is shown once and copied with the button,
  and the receiver verifies the campaign's event with the copied secret (standardwebhooks);
  the delivery log shows it delivered; a receiver that is down leaves a failed delivery with
  its attempts, sent again by hand once it is back (the same webhook-id); the secret is
  rotated (a new one shown once, both signing) and the webhook deleted;
- finance on a phone (375 px) adds a WeCom robot, reads the list and a webhook's deliveries,
  in Chinese and in English.
"""

from __future__ import annotations

import re

from standardwebhooks.webhooks import Webhook as Verifier

from devstack.receiver import Behaviour, Receiver
from tests.browser import scene
from tests.browser.conftest import wait_for

DESK_1280 = {"width": 1280, "height": 900}


def _copied_secret(page) -> str:
    page.get_by_role("button", name="复制密钥").click()
    page.get_by_text("已复制。").wait_for()
    return page.evaluate("navigator.clipboard.readText()")


def _refresh_until(page, text: str) -> None:
    """The delivery log as a person watches it: Refresh until `text` shows up."""

    def shown() -> bool:
        page.get_by_role("button", name="刷新").click()
        page.wait_for_selector("main .page[data-busy=false]")
        rows = page.locator("table.data tbody tr")
        return any(text in rows.nth(i).inner_text() for i in range(rows.count()))

    wait_for(shown, timeout=30, interval=0.5)


def test_a_leader_connects_a_receiver_watches_its_deliveries_retries_rotates_and_deletes(console, company, stack):
    co = company
    receiver = Receiver().start()
    try:
        lead = console("desk")
        lead.page.set_viewport_size(DESK_1280)
        lead.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
        lead.sign_in(co.users["leader"])
        lead.nav("事件推送")
        p = lead.page
        assert p.get_by_text("还没有推送。").is_visible()

        # a URL into the cloud's metadata service is refused, next to the field
        p.get_by_label("推送地址").fill("https://169.254.169.254/latest/meta-data")
        p.get_by_role("button", name="创建").click()
        error = p.locator("#f-url-err")
        error.wait_for()
        assert "云平台元数据地址" in error.inner_text()
        lead.check("webhooks-refused-url")

        p.get_by_label("推送地址").fill(receiver.url)
        p.get_by_label("说明（选填）").fill("ERP 对接")
        p.get_by_label("活动已批准").uncheck()  # only submissions
        p.get_by_role("button", name="创建").click()
        p.get_by_text(f"已创建推送：{receiver.url}").wait_for()
        lead.ready()
        secret = _copied_secret(p)
        assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]{32,}", secret), secret
        assert p.locator("#f-webhook-secret").input_value() == secret
        row = p.locator("table.data tbody tr")
        assert row.count() == 1 and "标准 Webhook" in row.inner_text() and "活动已提交" in row.inner_text()
        assert "活动已批准" not in row.inner_text()
        lead.check("webhooks-created")

        # a campaign is submitted: the receiver verifies it with the secret the console copied
        c = scene.submitted(co, title="周末品鉴 · 苏果新街口")
        (got,) = receiver.wait_for(1, timeout=30)
        event = Verifier(secret).verify(got.body, got.headers)
        assert event["type"] == "campaign.submitted" and event["data"]["id"] == c["id"]

        row.get_by_role("link", name="ERP 对接").click()
        lead.ready()
        _refresh_until(p, "已送达")
        assert "活动已提交" in p.locator("table.data tbody tr").first.inner_text()
        lead.check("webhook-delivered")

        # the receiver is down: the delivery fails after its (compressed) retries
        receiver.behave(Behaviour.status(503))
        scene.submitted(co, title="陈列 · 金鹰", category="display", customer={"id": "JINYING", "name": "金鹰"})
        _refresh_until(p, "推送失败")
        failed = p.locator("table.data tbody tr").filter(has_text="推送失败")
        assert "HTTP 503" in failed.inner_text()
        failed.locator("details.attempts summary").click()
        assert failed.locator("details.attempts li").count() >= 2
        lead.check("webhook-failed")
        first_try = receiver.received[-1].headers["webhook-id"]

        # back up: sent again by hand, with the same webhook-id
        receiver.behave(Behaviour.status(204))
        failed.get_by_role("button", name="重新推送").click()
        p.get_by_text("已重新排队推送：活动已提交").wait_for()
        wait_for(lambda: receiver.answered and receiver.answered[-1].status == 204, timeout=30)
        assert receiver.received[-1].headers["webhook-id"] == first_try
        _refresh_until(p, "已送达")
        assert p.locator("table.data tbody tr").filter(has_text="推送失败").count() == 0

        # the filter by status is in the URL
        p.get_by_label("状态").select_option("delivered")
        p.get_by_role("button", name="查询").click()
        lead.ready()
        assert "status=delivered" in p.url
        assert p.locator("table.data tbody tr").count() == 2

        # a new secret, shown once; both sign for 24 hours
        p.get_by_role("button", name="更换密钥").click()
        p.get_by_role("button", name="确认更换").click()
        p.get_by_text("新的签名密钥（只显示这一次）").wait_for()
        rotated = _copied_secret(p)
        assert rotated != secret and rotated.startswith("whsec_")
        lead.check("webhook-rotated")
        scene.submitted(co, title="路演 · 德基广场", category="roadshow", customer={"id": "MALL", "name": "德基广场"})
        last = wait_for(lambda: [r for r in receiver.received if b"MALL" in r.body])[-1]
        assert len(last.headers["webhook-signature"].split(" ")) == 2
        assert Verifier(secret).verify(last.body, last.headers)["type"] == "campaign.submitted"
        assert Verifier(rotated).verify(last.body, last.headers)["type"] == "campaign.submitted"

        p.get_by_role("button", name="删除推送").click()
        p.get_by_role("button", name="确认删除").click()
        p.get_by_text("推送已删除。").wait_for()
        lead.ready()
        assert p.get_by_text("还没有推送。").is_visible()
        assert co.api("leader", "GET", "/webhooks")["items"] == []
    finally:
        receiver.stop()


def test_finance_adds_a_wecom_robot_on_a_phone_in_both_languages(console, company):
    co = company
    fin = console("phone")
    fin.sign_in(co.users["finance"])
    fin.nav("事件推送")
    p = fin.page
    fin.check("webhooks-phone-empty")
    p.get_by_label("企业微信群机器人").check()
    p.get_by_label("推送地址").fill("http://127.0.0.1:9/cgi-bin/webhook/send?key=local-test")
    p.get_by_label("已核销").check()
    p.get_by_role("button", name="创建").click()
    p.get_by_text("已创建推送").wait_for()
    fin.ready()
    assert p.locator("#f-webhook-secret").count() == 0  # a robot has no secret of ours to show
    assert "企业微信群机器人" in p.locator("table.data tbody tr").inner_text()
    fin.check("webhooks-phone-list")

    p.locator("table.data tbody tr").get_by_role("link").click()
    fin.ready()
    assert p.get_by_role("button", name="更换密钥").count() == 0  # only a standard webhook's
    facts = p.locator(".webhook-facts").inner_text()
    assert "活动已提交" in facts and "活动已批准" in facts and "已核销" in facts and "活动被驳回" not in facts
    fin.check("webhook-phone")

    p.get_by_role("button", name="English").click()
    assert p.get_by_role("heading", name="Deliveries").is_visible()
    facts = p.locator(".webhook-facts").inner_text()
    assert "WeCom group robot" in facts and "Campaign submitted, Campaign approved, Settled" in facts
    fin.check("webhook-phone-en")
    p.get_by_role("link", name="Back").click()
    fin.ready()
    assert p.locator("main h1").inner_text() == "Webhooks"
    fin.check("webhooks-phone-en")
    p.get_by_role("button", name="中文").click()

    # not a manager's or a rep's screen
    rep = console("phone")
    rep.sign_in(co.users["rep"])
    rep.page.locator(".menu-toggle").click()
    assert rep.page.locator("#nav").get_by_role("link", name="事件推送").count() == 0
