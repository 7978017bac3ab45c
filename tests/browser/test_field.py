"""In the field, on a phone: the rep checks in at the store from the feedback form (我已到店) —
a refused position says why and what to do, a granted one records a visit the server flags —
and photos taken during the visit are requested with its id and their SHA-256: the one taken
there is attested, for the rep and for finance at a desk; the one taken elsewhere says why not.
The rep's main screens at 1280 px, offline and the outbox included."""

from __future__ import annotations

import datetime as dt
import hashlib

from tests.browser import scene

NEAR_THE_STORE = {"latitude": 32.0416, "longitude": 118.7850, "accuracy": 15}


def test_a_rep_checks_in_at_the_store_and_a_refused_position_says_why(console, company, stack):
    co = company
    c = scene.approved(co, title="周末品鉴 · 苏果新街口", start_date=scene.day(-1), end_date=scene.day(0))
    rep = console("phone")
    rep.sign_in(co.users["rep"])
    p = rep.page
    p.goto(f"{stack.url}/console/#/campaigns/{c['id']}/feedback")
    rep.ready()
    checkin = p.locator("section.checkin")
    assert "到店后签到" in checkin.inner_text()

    # The browser has no permission to locate the rep: the section says why and what to do.
    checkin.get_by_role("button", name="我已到店").click()
    checkin.get_by_role("alert").wait_for()
    assert "定位权限被拒绝" in checkin.get_by_role("alert").inner_text()
    assert co.api("rep", "GET", f"/campaigns/{c['id']}/visits")["items"] == []
    rep.check("checkin-denied")

    # Permission given, at the store: the server records the visit and flags it.
    rep.context.grant_permissions(["geolocation"], origin=stack.url)
    rep.context.set_geolocation(NEAR_THE_STORE)
    checkin.get_by_role("button", name="我已到店").click()
    checkin.locator(".visit-at").wait_for()
    text = checkin.inner_text()
    assert "已于" in text and "有效至" in text
    assert "距活动地点 0.01 公里" in text and "在活动日期内" in text
    assert "期间添加的照片会关联本次签到" in p.locator("main").inner_text()
    visits = co.api("rep", "GET", f"/campaigns/{c['id']}/visits")["items"]
    assert len(visits) == 1 and visits[0]["accuracy_m"] == 15 and visits[0]["far_from_location"] is False
    rep.check("checkin")

    # The check-in is there on the next visit of the form, in force.
    p.reload()
    p.wait_for_selector("html[data-ready]")
    rep.sign_in(co.users["rep"])
    checkin.locator(".visit-at").wait_for()


def _photo_at(tmp_path, name: str, lat: float, lon: float, seed: int) -> tuple[str, bytes]:
    """A JPEG taken a minute from now (Asia/Shanghai, as EXIF has no zone) at (lat, lon)."""
    taken = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(minutes=1)).strftime(
        "%Y:%m:%d %H:%M:%S"
    )
    data = scene.photo(taken, lat, lon, seed=seed)
    path = tmp_path / name
    path.write_bytes(data)
    return str(path), data


def test_photos_taken_during_a_check_in_are_attested_for_the_rep_and_for_finance(console, company, stack, tmp_path):
    co = company
    c = scene.approved(co, title="周末品鉴 · 苏果新街口", start_date=scene.day(-1), end_date=scene.day(0))
    rep = console("phone")
    rep.context.grant_permissions(["geolocation"], origin=stack.url)
    rep.context.set_geolocation(NEAR_THE_STORE)
    rep.sign_in(co.users["rep"])
    p = rep.page
    p.goto(f"{stack.url}/console/#/campaigns/{c['id']}/feedback")
    rep.ready()
    p.get_by_role("button", name="我已到店").click()
    p.locator("section.checkin .visit-at").wait_for()

    # Two photos during the visit: one at the store, one taken 300 km away.
    at_store, at_store_bytes = _photo_at(tmp_path, "门头陈列.jpg", 32.0417, 118.7851, seed=21)
    elsewhere, _ = _photo_at(tmp_path, "别处.jpg", 31.2304, 121.4737, seed=22)
    with p.expect_file_chooser() as chooser:
        p.get_by_text("选择照片或文件").click()
    chooser.value.set_files([at_store, elsewhere])
    ready = p.locator("li.attachment-ready")
    ready.nth(1).wait_for(timeout=60000)
    attested = p.locator("li.attachment-ready").filter(has_text="门头陈列.jpg")
    assert "到店拍摄 · 已认证" in attested.inner_text()
    assert f"SHA-256 {hashlib.sha256(at_store_bytes).hexdigest()[:16]}" in attested.inner_text()
    other = p.locator("li.attachment-ready").filter(has_text="别处.jpg")
    assert "已认证" not in other.inner_text() and "拍摄位置距签到位置超过 0.5 公里" in other.inner_text()
    rep.check("attested-photo")

    files = {a["filename"]: a for a in co.api("rep", "GET", f"/campaigns/{c['id']}/attachments")["items"]}
    visit = co.api("rep", "GET", f"/campaigns/{c['id']}/visits")["items"][0]
    assert files["门头陈列.jpg"]["attested"] is True and files["门头陈列.jpg"]["attestation"]["visit_id"] == visit["id"]
    assert files["门头陈列.jpg"]["sha256"] == hashlib.sha256(at_store_bytes).hexdigest()
    assert files["别处.jpg"]["attested"] is False and files["别处.jpg"]["attestation"]["near_visit"] is False

    # Finance at a desk sees the same badge on the campaign.
    fin = console("laptop")
    fin.sign_in(co.users["finance"])
    fin.page.goto(f"{stack.url}/console/#/campaigns/{c['id']}")
    fin.ready()
    card = fin.page.locator("li.attachment").filter(has_text="门头陈列.jpg")
    card.wait_for()
    assert "到店拍摄 · 已认证" in card.inner_text()
    fin.check("finance-attested-photo")


def test_the_reps_main_screens_at_a_desk(console, company, stack):
    """The rep's screens, offline state and outbox included, on a 1280 px screen."""
    co = company
    c = scene.approved(co, title="周末品鉴 · 苏果新街口")
    scene.rule(co, scope="category", category="tasting", due_days=7)
    scene.until(co, c["id"], lambda x: x["feedback"]["required"])
    rep = console("laptop")
    rep.sign_in(co.users["rep"])
    p = rep.page
    p.locator(".offline-bar").get_by_text("本机数据同步于").wait_for()
    rep.check("desk-campaigns")
    rep.installed()
    rep.context.set_offline(True)
    rep.nav("待反馈")
    rep.check("desk-requests-offline")
    p.get_by_role("link", name="填写反馈").first.click()
    rep.ready()
    p.get_by_label("实际花费").fill("1500")
    p.get_by_label("实际销售额").fill("9000")
    p.get_by_role("button", name="提交反馈").click()
    p.get_by_text("反馈报告已保存在本机").wait_for()
    rep.check("desk-campaign-queued")
    rep.nav("待发送")
    assert p.locator("ol.outbox > li").count() == 1
    rep.check("desk-outbox")
    rep.context.set_offline(False)  # the console notices by itself and sends
    p.get_by_text("没有等待发送的内容。").wait_for(timeout=30000)
    assert co.api("rep", "GET", f"/campaigns/{c['id']}/feedback")["submitted"]["revision"] == 1
