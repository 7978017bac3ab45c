"""The console offline, on a phone with the network cut (`context.set_offline(True)`): the rep's
data of the last sync, feedback and photos written into the outbox, a reload with no network
(the console opens as the rep, the outbox still there), and on reconnection every write sent
once — answers lost on the way back retried with their own keys —, a refusal kept on its item,
exactly one revision and one attachment per photo on the server. Another person signing in on
the same device never sees the first one's data."""

from __future__ import annotations

import datetime as dt
import json
import re

from tests.browser import scene
from tests.browser.conftest import DEVICES, Company, wait_for


def _photos(tmp_path, c: dict, n: int, first_seed: int) -> list[str]:
    files = []
    for i in range(n):
        path = tmp_path / f"门头陈列-{first_seed + i}.jpg"
        path.write_bytes(scene.photo(scene.exif_time(c["start_date"]), *scene.XINJIEKOU, seed=first_seed + i))
        files.append(str(path))
    return files


def _lose_first_answer(context, pattern: str) -> list[str]:
    """The first POST matching reaches the server, its answer is lost on the way back (routed on
    the context: a page's routes miss requests that pass a service worker)."""
    seen: list[str] = []

    def handle(route):
        if route.request.method != "POST":
            return route.continue_()
        seen.append(route.request.headers.get("idempotency-key", ""))
        if len(seen) == 1:
            route.fetch()
            return route.abort("connectionreset")
        return route.continue_()

    context.route(pattern, handle)
    return seen


def test_a_rep_works_offline_through_a_reload_and_each_write_reaches_the_server_once(console, company, tmp_path):
    co = company
    scene.rule(co, scope="category", category="tasting", due_days=7, min_photos=2)
    tasting = scene.approved(co, title="周末品鉴 · 苏果新街口")
    display = scene.approved(
        co, title="端架陈列 · 金鹰", category="display", customer={"id": "JINYING", "name": "金鹰新街口"}
    )
    scene.until(co, tasting["id"], lambda c: c["feedback"]["required"])
    scene.until(co, display["id"], lambda c: c["reimbursement"]["status"] == "unlocked")

    rep = console("phone")
    rep.sign_in(co.users["rep"])
    p = rep.page
    bar = p.locator(".offline-bar")
    bar.get_by_text("本机数据同步于").wait_for()  # the first sync, at sign-in

    # The network goes: the lists of the last sync are still there.
    rep.installed()
    bar.get_by_text("无网络也能用").wait_for()  # the bar says so once the console is kept and synced
    assert "离线" not in bar.inner_text()  # which is not the word of the offline state
    rep.context.set_offline(True)
    rep.nav("待反馈")
    assert "离线" in bar.inner_text()
    cards = p.locator("ol.requests > li")
    assert cards.count() == 1 and cards.first.get_attribute("data-campaign") == tasting["id"]
    rep.check("offline-requests")

    # Feedback with two photos for the tasting, written offline and submitted: it waits.
    cards.first.get_by_role("link", name=re.compile("填写反馈")).click()
    rep.ready()
    assert "签到需要网络" in p.locator("section.checkin").inner_text()
    p.get_by_label("实际花费").fill("1500")
    p.get_by_label("实际销售额").fill("9000")
    p.get_by_label("4 良好").check()
    p.get_by_label("心得体会").fill("地下超市没有信号，周末客流大。")
    with p.expect_file_chooser() as chooser:
        p.get_by_text("选择照片或文件").click()
    chooser.value.set_files(_photos(tmp_path, tasting, 2, first_seed=11))
    waiting = p.locator("li.upload-waiting")
    wait_for(lambda: waiting.count() == 2)
    rep.check("offline-feedback-form")
    p.get_by_role("button", name="提交反馈").click()
    p.get_by_text("反馈报告已保存在本机，联网并登录后自动提交。").wait_for()
    rep.ready()
    assert "提交反馈报告 · 2 个文件" in p.locator("p.queued").inner_text()

    # A report for the display campaign too (no rule asks for it), from the campaign list.
    rep.nav("我的活动")
    p.get_by_role("link", name="端架陈列 · 金鹰").click()
    rep.ready()
    p.locator("main").get_by_role("link", name="填写反馈").click()
    rep.ready()
    p.get_by_label("实际花费").fill("800")
    p.get_by_label("实际销售额").fill("5000")
    p.get_by_role("button", name="提交反馈").click()
    p.get_by_text("反馈报告已保存在本机").wait_for()
    assert "等待发送（4）" in bar.inner_text()

    # A reload with no network: the console opens as the rep, from the device, outbox intact.
    p.reload()
    p.wait_for_selector("html[data-ready]")
    rep.ready()
    assert "等待发送（4）" in bar.inner_text() and "离线" in bar.inner_text()
    bar.get_by_role("link", name="等待发送（4）").click()
    rep.ready()
    items = p.locator("ol.outbox > li")
    assert [items.nth(i).get_attribute("data-kind") for i in range(4)] == [
        "photo",
        "photo",
        "feedback_submit",
        "feedback_submit",
    ]
    rep.check("offline-outbox")

    # Meanwhile finance settles the display campaign: its report will be refused.
    co.api("finance", "POST", f"/campaigns/{display['id']}/reimbursement", {"note": "月底结算"})

    # The network returns; the first attachment request, the first upload to storage and the
    # first submit each lose their answer on the way back.
    photo_keys = _lose_first_answer(rep.context, f"**/campaigns/{tasting['id']}/attachments")
    uploads = _lose_first_answer(rep.context, f"{rep.stack.storage}/**")
    submit_keys = _lose_first_answer(rep.context, f"**/campaigns/{tasting['id']}/feedback/submit")
    rep.context.set_offline(False)
    bar.get_by_role("button", name="网络已恢复：登录后发送").click()
    p.get_by_text("网络已恢复。请重新登录").wait_for()
    rep.sign_in(co.users["rep"])
    rep.ready()
    # a lost answer looks like the network gone: the queue stops, and goes on by itself once the
    # network answers again
    refused = p.locator("ol.outbox > li.is-refused")
    refused.wait_for(timeout=60000)
    wait_for(lambda: items.count() == 1, 60)
    assert refused.get_attribute("data-campaign") == display["id"]
    assert "被拒绝" in refused.inner_text() and "已核销，反馈不能再修改。" in refused.inner_text()
    assert "被拒绝（1）" in bar.inner_text() and "等待发送" not in bar.inner_text()
    rep.check("offline-outbox-refused")

    # Each retry carried its item's key; the server has each write once.
    assert len(photo_keys) == 3 and photo_keys[0] == photo_keys[1] != photo_keys[2]
    assert len(submit_keys) == 2 and submit_keys[0] == submit_keys[1]
    assert 2 <= len(uploads) <= 3  # a lost upload is sent again only to its own form, if it had not landed
    revisions = co.api("rep", "GET", f"/campaigns/{tasting['id']}/feedback/revisions")["items"]
    assert [r["revision"] for r in revisions] == [1]
    assert revisions[0]["actual_spend"] == 150000 and revisions[0]["reflections"] == "地下超市没有信号，周末客流大。"
    files = co.api("rep", "GET", f"/campaigns/{tasting['id']}/attachments")["items"]
    assert sorted(a["filename"] for a in files) == ["门头陈列-11.jpg", "门头陈列-12.jpg"]
    assert {a["status"] for a in files} == {"ready"}
    assert co.api("rep", "GET", f"/campaigns/{display['id']}/feedback")["submitted"] is None
    scene.until(co, tasting["id"], lambda c: c["reimbursement"]["status"] == "unlocked")

    # The refusal is the rep's to settle: discarded after a confirmation, the outbox is empty.
    refused.get_by_role("button", name="丢弃").click()
    refused.get_by_role("button", name="确认丢弃（不可恢复）").click()
    p.get_by_text("没有等待发送的内容。").wait_for()
    assert "被拒绝" not in bar.inner_text()


def test_another_person_on_the_same_device_never_sees_the_first_ones_data(console, company, tmp_path):
    co = company
    mine = scene.approved(co, title="品鉴 · 李雷的活动")
    theirs = scene.approved(co, who="rep2", approver="leader", title="路演 · 韩梅梅的活动")
    rep = console("phone")
    rep.sign_in(co.users["rep"])
    p = rep.page
    p.locator(".offline-bar").get_by_text("本机数据同步于").wait_for()

    # Li Lei saves a draft offline, and signs out once it waits.
    rep.installed()
    rep.context.set_offline(True)
    p.get_by_role("link", name="品鉴 · 李雷的活动").click()
    rep.ready()
    p.locator("main").get_by_role("link", name="填写反馈").click()
    rep.ready()
    p.get_by_label("实际花费").fill("1200")
    p.get_by_role("button", name="保存草稿").click()
    p.get_by_text("草稿已保存在本机").wait_for()
    rep.context.set_offline(False)
    p.get_by_role("button", name="退出").click()

    # Han Meimei signs in on the same phone: her campaigns only, online and offline.
    rep.sign_in(co.users["rep2"])
    rep.nav("我的活动")
    bar = p.locator(".offline-bar")
    bar.get_by_text("本机数据同步于").wait_for()
    assert "等待发送" not in bar.inner_text()
    rows = p.locator("table.data tbody tr")
    assert rows.count() == 1 and "韩梅梅的活动" in rows.first.inner_text()
    rep.context.set_offline(True)
    p.reload()
    p.wait_for_selector("html[data-ready]")
    rep.ready()
    assert "韩梅梅" in p.locator("header").inner_text()
    assert rows.count() == 1 and "韩梅梅的活动" in rows.first.inner_text()
    assert "李雷" not in p.locator("main").inner_text()
    p.goto(f"{rep.stack.url}/console/#/campaigns/{mine['id']}")
    p.wait_for_selector("main .load-error")  # not in her copy, and no network to ask
    rep.nav("待发送")
    p.get_by_text("没有等待发送的内容。").wait_for()

    # Li Lei signs in again: his draft is still waiting, and goes.
    rep.context.set_offline(False)
    p.get_by_role("button", name="退出").click()
    rep.sign_in(co.users["rep"])
    wait_for(
        lambda: (co.api("rep", "GET", f"/campaigns/{mine['id']}/feedback")["draft"] or {}).get("actual_spend") == 120000
    )
    assert co.api("rep2", "GET", f"/campaigns/{theirs['id']}/feedback")["draft"] is None


def _changes(co: Company, who: str) -> list[dict]:
    """Everything in a person's changes feed, from its oldest change."""
    items, cursor = [], None
    while True:
        page = co.api(who, "GET", "/me/changes?limit=200" + (f"&cursor={cursor}" if cursor else ""))
        items += page["items"]
        if len(page["items"]) < 200:
            return items
        cursor = page["next_cursor"]


def test_the_device_copy_follows_the_changes_feed_and_starts_again_when_told_to(console, company):
    """After the first sync the copy moves by the changes feed alone, from the cursor it kept: a
    campaign approved meanwhile arrives, a cancelled one leaves, no list is read again. A 410
    `resync_required` (a cursor older than the 7 days kept; answered in the server's place here,
    the only way to age a signed cursor from a browser test) reloads the lists and follows the
    feed again from its oldest change, removes included."""
    co = company
    kept = scene.approved(co, title="品鉴 · 留下的活动")
    cancelled = scene.approved(co, title="路演 · 要取消的活动")
    scene.approved(co, who="rep2", approver="leader", title="路演 · 韩梅梅的活动")
    rep = console("phone")
    reads: list[str] = []  # the sync's reads, as the page sent them

    def seen(request) -> None:
        if request.method == "GET" and re.search(r"/me/changes|/campaigns\?", request.url):
            reads.append(request.url)

    rep.context.on("request", seen)
    rep.sign_in(co.users["rep"])
    p = rep.page
    bar = p.locator(".offline-bar")
    bar.get_by_text("本机数据同步于").wait_for()
    rep.nav("待反馈")  # a screen that reads no campaign list: what is read now is the sync's

    def sync_now() -> None:
        reads.clear()
        with p.expect_response(lambda r: "/me/changes" in r.url and r.status == 200):
            bar.get_by_role("button", name="立即同步").click()
        bar.get_by_text("本机数据同步于").wait_for()

    # Meanwhile: a new campaign approved, one cancelled; the feed has both.
    arrived = scene.approved(co, title="陈列 · 新批准的活动")
    co.api("rep", "POST", f"/campaigns/{cancelled['id']}/cancel", {"reason": "门店装修，活动取消"})
    wait_for(
        lambda: (
            {(c["entity"], c["id"], c["op"]) for c in _changes(co, "rep")}
            >= {("campaign", arrived["id"], "upsert"), ("campaign", cancelled["id"], "remove")}
        )
    )
    sync_now()
    assert reads and all("cursor=" in url for url in reads), reads  # from the saved cursor
    assert not [url for url in reads if "/campaigns?" in url], reads  # no list reloaded

    def device_titles() -> list[str]:
        rep.installed()
        rep.context.set_offline(True)
        rep.nav("我的活动")
        assert "离线" in bar.inner_text()
        titles = p.locator("table.data tbody tr").all_inner_texts()
        rep.context.set_offline(False)
        wait_for(lambda: "离线" not in bar.inner_text(), 20)
        rep.nav("待反馈")
        return titles

    titles = " ".join(device_titles())
    assert kept["title"] in titles and arrived["title"] in titles
    assert cancelled["title"] not in titles and "韩梅梅" not in titles

    # The server answers the saved cursor 410 once: the lists are read again, then the feed
    # from its start (without a cursor), whose remove takes the cancelled campaign away again.
    told: list[str] = []

    def gone_once(route) -> None:
        if "cursor=" in route.request.url and not told:
            told.append(route.request.url)
            body = {
                "code": "resync_required",
                "message": "changes after this cursor are no longer kept",
                "params": {"retention_days": 7},
            }
            return route.fulfill(status=410, content_type="application/json", body=json.dumps(body))
        return route.continue_()

    rep.context.route("**/me/changes*", gone_once)
    later = scene.approved(co, title="品鉴 · 重新加载后出现")
    sync_now()
    assert len(told) == 1
    reloaded = [i for i, url in enumerate(reads) if "/campaigns?" in url]
    fresh = [i for i, url in enumerate(reads) if "/me/changes" in url and "cursor=" not in url]
    assert reloaded and fresh and reloaded[0] < fresh[0], reads
    titles = " ".join(device_titles())
    assert kept["title"] in titles and arrived["title"] in titles and later["title"] in titles
    assert cancelled["title"] not in titles


def _qr(number: int, yuan: str) -> str:
    issued = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date() - dt.timedelta(days=3)).strftime("%Y%m%d")
    return f"01,04,3200162130,{number:08d},{yuan},{issued},,4FD5,"


def test_invoices_typed_offline_wait_on_the_device_and_are_claimed_once_back_online(console, company):
    """The invoices of the last sync are on the device; one typed with no network waits (in the
    panel and the outbox) and is claimed once when the network is back; one that another
    campaign holds is refused then, in words, and holds nothing else up."""
    co = company
    c = scene.approved(co, title="周末品鉴 · 苏果新街口", start_date=scene.day(-3), end_date=scene.day(-2))
    other = scene.approved(co, title="国庆路演 · 金鹰", customer={"id": "JINYING", "name": "金鹰新街口"})
    co.api("rep", "POST", f"/campaigns/{c['id']}/invoices", {"qr": _qr(1, "300.00")})
    co.api("rep", "POST", f"/campaigns/{other['id']}/invoices", {"qr": _qr(77, "88.00")})

    rep = console("phone")
    rep.sign_in(co.users["rep"])
    p = rep.page
    bar = p.locator(".offline-bar")
    bar.get_by_text("无网络也能用").wait_for()
    rep.installed()
    rep.context.set_offline(True)
    rep.nav("我的活动")
    p.get_by_role("link", name=c["title"]).click()
    rep.ready()
    p.locator("main").get_by_role("link", name="填写反馈").click()
    rep.ready()

    # the device's copy: the invoice claimed before, and only typing (a photo's QR needs the server)
    panel = p.locator("section.invoice-panel")
    claimed = panel.locator("li[data-invoice]")
    assert claimed.count() == 1 and "¥300.00" in claimed.inner_text()
    assert "拍照识别发票需要网络" in panel.inner_text() and panel.get_by_text("拍发票").count() == 0

    def type_invoice(kind: str, code: str, number: str, yuan: str) -> None:
        form = panel.locator("form.invoice-form")
        form.get_by_label("发票类型").select_option(kind)
        if code:
            form.get_by_label("发票代码").fill(code)
        form.get_by_label("发票号码").fill(number)
        form.get_by_label("金额（价税合计）").fill(yuan)
        form.get_by_label("开票日期").fill(scene.day(-3))
        form.get_by_role("button", name="登记这张发票").click()

    panel.get_by_role("button", name="手工录入发票").click()
    type_invoice("32", "", "26322000000000000042", "265.5")
    panel.get_by_text("发票已保存在本机，联网并登录后自动登记。").wait_for()
    type_invoice("04", "3200162130", "00000077", "88")  # the one the other campaign holds
    waiting = panel.locator("li.invoice-waiting")
    wait_for(lambda: waiting.count() == 2)
    assert "¥265.50" in waiting.first.inner_text() and "等待发送" in waiting.first.inner_text()
    assert "等待发送（2）" in bar.inner_text()
    rep.check("offline-invoices")
    p.set_viewport_size(DEVICES["desk"])  # the same screen on a desk
    rep.check("offline-invoices-at-desk-width")
    p.set_viewport_size(DEVICES["phone"])

    # back online: the first claimed (once), the duplicate refused in words, kept to discard
    rep.context.set_offline(False)
    wait_for(lambda: panel.locator("li[data-invoice]").count() == 2, 30)
    wait_for(lambda: "被拒绝" in waiting.inner_text(), 30)
    assert waiting.count() == 1 and "这张发票已被公司内其他活动使用" in waiting.inner_text()
    listed = co.api("rep", "GET", f"/campaigns/{c['id']}/invoices")
    assert [i["number"] for i in listed["items"]] == ["00000001", "26322000000000000042"]
    assert listed["total"] == 56550
    assert [i["number"] for i in co.api("rep", "GET", f"/campaigns/{other['id']}/invoices")["items"]] == ["00000077"]
    assert panel.get_by_text("拍发票").count() == 1  # a photo's QR can be read again
    rep.check("offline-invoice-refused")

    bar.get_by_role("link", name="被拒绝（1）").click()
    rep.ready()
    item = p.locator("ol.outbox > li")
    assert item.count() == 1 and item.get_attribute("data-kind") == "invoice"
    assert "登记发票 · ¥88.00 · 00000077" in item.inner_text()
    assert item.get_by_role("link", name="修改后重新提交").count() == 0  # nothing to fix: it is someone else's
    rep.check("offline-outbox-invoice-refused")
    item.get_by_role("button", name="丢弃").click()
    item.get_by_role("button", name="确认丢弃（不可恢复）").click()
    wait_for(lambda: p.locator("ol.outbox > li").count() == 0)


_VERSION_1 = """(name) => new Promise((resolve, reject) => {
  const r = indexedDB.open(name, 1);
  r.onupgradeneeded = () => {
    const db = r.result;
    db.createObjectStore("campaigns", { keyPath: "id" });
    db.createObjectStore("feedback", { keyPath: "campaign_id" });
    for (const s of ["attachments", "visits"]) db.createObjectStore(s, { keyPath: "id" }).createIndex("campaign_id", "campaign_id");
    db.createObjectStore("meta", { keyPath: "key" });
    db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
  };
  r.onsuccess = () => {
    const t = r.result.transaction("meta", "readwrite");
    t.objectStore("meta").put({ key: "synced_at", value: "2026-12-01T02:00:00.000Z" });
    t.objectStore("meta").put({ key: "cursor", value: null });
    t.oncomplete = () => { r.result.close(); resolve(true); };
    t.onerror = () => reject(t.error);
  };
  r.onerror = () => reject(r.error);
})"""


def test_a_device_copy_made_before_invoices_were_kept_is_reloaded_whole_at_the_next_sync(console, company):
    """A rep's database as the release before wrote it (version 1: no invoices kept, synced once)
    is upgraded when the console opens it, and its next sync reloads the lists, each campaign's
    invoices included, instead of following the feed from where it was."""
    co = company
    c = scene.approved(co, title="周末品鉴 · 苏果新街口", start_date=scene.day(-3), end_date=scene.day(-2))
    co.api("rep", "POST", f"/campaigns/{c['id']}/invoices", {"qr": _qr(5, "120.00")})
    rep = console("phone")
    rep.open()
    user = co.users["rep"]
    assert rep.page.evaluate(_VERSION_1, f"huixiang/{co.root}/{user['sub']}")
    reads: list[str] = []
    rep.context.on("request", lambda r: r.method == "GET" and reads.append(r.url))
    rep.sign_in(user)
    rep.page.locator(".offline-bar").get_by_text("本机数据同步于").wait_for()
    wait_for(lambda: any(f"/campaigns/{c['id']}/invoices" in url for url in reads))
    assert any("/campaigns?" in url for url in reads), reads  # the lists, read whole again
