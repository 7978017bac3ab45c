"""In the field, on a phone: the rep checks in at the store from the feedback form (我已到店) —
a refused position says why and what to do, a granted one records a visit the server flags —
and photos taken during the visit are requested with its id."""

from __future__ import annotations

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
