"""Check-ins at the store over HTTP (moto): recorded with the server's time, flagged and never
refused, scoped like their campaign, in the campaign's audit trail; bad input names its field
and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import business_date

XINJIEKOU = {"lat": 32.0415, "lon": 118.7849}  # the campaign's location (conftest.campaign_body)


def _today_campaign(flow, **overrides) -> dict:
    today = business_date().isoformat()
    return flow.approved(start_date=today, end_date=today, **overrides)


def _trail(api, company, campaign_id) -> list[dict]:
    r = api.get(f"/campaigns/{campaign_id}/audit?limit=200", company.leader)
    assert r.status_code == 200 and r.json["verified"] is True, r.json
    return r.json["items"]


def test_a_check_in_is_recorded_with_the_servers_time_and_flagged_against_place_and_dates(api, company, flow):
    c = _today_campaign(flow)
    before = dt.datetime.now(dt.UTC)
    r = api.post(f"/campaigns/{c['id']}/visits", company.rep, {"lat": 32.0420, "lon": 118.7850, "accuracy_m": 8})
    assert r.status_code == 201, r.json
    v = r.json
    assert set(v) == {
        "id",
        "campaign_id",
        "at",
        "lat",
        "lon",
        "accuracy_m",
        "distance_km",
        "far_from_location",
        "within_campaign_dates",
        "expires_at",
    }
    at = dt.datetime.fromisoformat(v["at"].replace("Z", "+00:00"))
    assert before - dt.timedelta(seconds=1) <= at <= dt.datetime.now(dt.UTC)
    expires = dt.datetime.fromisoformat(v["expires_at"].replace("Z", "+00:00"))
    assert expires - at == dt.timedelta(hours=2)
    assert v["campaign_id"] == c["id"] and (v["lat"], v["lon"], v["accuracy_m"]) == (32.042, 118.785, 8)
    assert 0 < v["distance_km"] < 0.1 and v["far_from_location"] is False and v["within_campaign_dates"] is True
    entry = _trail(api, company, c["id"])[-1]
    assert entry["action"] == "visit_recorded" and entry["actor"]["id"] == company.sub("rep")
    assert entry["changes"]["visit_id"] == [None, v["id"]]


def test_far_away_and_out_of_dates_check_ins_are_recorded_and_flagged_not_refused(api, company, flow):
    c = flow.approved()  # 2026-11-01 … 2026-11-03, long past
    r = api.post(f"/campaigns/{c['id']}/visits", company.rep, {"lat": 31.2304, "lon": 121.4737})  # Shanghai
    assert r.status_code == 201, r.json
    assert r.json["distance_km"] > 200 and r.json["far_from_location"] is True
    assert r.json["within_campaign_dates"] is False and r.json["accuracy_m"] is None


def test_without_the_campaigns_coordinates_the_distance_is_null(api, company, flow):
    c = _today_campaign(flow, location={"address": "Xinjiekou, Nanjing"})
    r = api.post(f"/campaigns/{c['id']}/visits", company.rep, XINJIEKOU)
    assert r.status_code == 201, r.json
    assert r.json["distance_km"] is None and r.json["far_from_location"] is None


@pytest.mark.parametrize("state", ["draft", "submitted", "rejected", "cancelled"])
def test_only_an_approved_campaign_takes_check_ins(api, company, flow, state):
    c = flow.draft() if state == "draft" else flow.submitted()
    if state == "rejected":
        assert api.post(f"/campaigns/{c['id']}/reject", company.manager, {"comment": "no"}).status_code == 200
    if state == "cancelled":
        assert api.post(f"/campaigns/{c['id']}/cancel", company.rep, {"reason": "closed"}).status_code == 200
    r = api.post(f"/campaigns/{c['id']}/visits", company.rep, XINJIEKOU)
    assert r.status_code == 409 and r.json["code"] == "invalid_state"
    assert api.get(f"/campaigns/{c['id']}/visits", company.rep).json["items"] == []


@pytest.mark.parametrize("who", ["rep2", "manager", "province_manager", "leader", "finance", "rep_west"])
def test_only_the_owner_checks_in(api, company, flow, who):
    c = flow.approved()
    r = api.post(f"/campaigns/{c['id']}/visits", getattr(company, who), XINJIEKOU)
    assert r.status_code == 403 and r.json["code"] == "forbidden"
    assert api.get(f"/campaigns/{c['id']}/visits", company.leader).json["items"] == []


def test_visits_are_listed_newest_first_page_by_page_and_scoped_like_the_campaign(api, company, flow):
    c = flow.approved()
    made = [api.post(f"/campaigns/{c['id']}/visits", company.rep, XINJIEKOU).json["id"] for _ in range(3)]
    for who in ("rep", "province_manager", "manager", "leader", "finance"):
        r = api.get(f"/campaigns/{c['id']}/visits", getattr(company, who))
        assert r.status_code == 200 and [v["id"] for v in r.json["items"]] == made[::-1], who
    first = api.get(f"/campaigns/{c['id']}/visits?limit=2", company.rep).json
    assert [v["id"] for v in first["items"]] == made[:0:-1] and first["next_cursor"]
    rest = api.get(f"/campaigns/{c['id']}/visits?limit=2&cursor={first['next_cursor']}", company.rep).json
    assert [v["id"] for v in rest["items"]] == made[:1]
    for who in ("rep2", "west_manager", "rep_west"):
        r = api.get(f"/campaigns/{c['id']}/visits", getattr(company, who))
        assert r.status_code == 403, who


def test_a_retried_check_in_records_one_visit(api, company, flow):
    c = flow.approved()
    key = {"Idempotency-Key": "checkin-1"}
    first = api.post(f"/campaigns/{c['id']}/visits", company.rep, XINJIEKOU, headers=key)
    again = api.post(f"/campaigns/{c['id']}/visits", company.rep, XINJIEKOU, headers=key)
    assert first.status_code == again.status_code == 201 and first.json == again.json
    assert len(api.get(f"/campaigns/{c['id']}/visits", company.rep).json["items"]) == 1
    assert [e["action"] for e in _trail(api, company, c["id"])].count("visit_recorded") == 1


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"lat": 90.5, "lon": 118.0}, "lat", "too_large"),
        ({"lat": -91, "lon": 118.0}, "lat", "too_small"),
        ({"lat": 32.0, "lon": 180.01}, "lon", "too_large"),
        ({"lat": 32.0, "lon": -181}, "lon", "too_small"),
        ({"lat": "32.0", "lon": 118.0}, "lat", "wrong_type"),
        ({"lat": 32.0, "lon": None}, "lon", "wrong_type"),
        ({"lat": True, "lon": 118.0}, "lat", "wrong_type"),
        ({"lon": 118.0}, "lat", "required"),
        ({"lat": 32.0, "lon": 118.0, "accuracy_m": -1}, "accuracy_m", "too_small"),
        ({"lat": 32.0, "lon": 118.0, "accuracy_m": "5"}, "accuracy_m", "wrong_type"),
        ({"lat": 32.0, "lon": 118.0, "at": "2026-11-02T10:00:00Z"}, "at", "not_allowed"),
    ],
)
def test_bad_coordinates_are_400s_naming_the_field_and_write_nothing(api, company, flow, body, field, code):
    c = flow.approved()
    seq = _trail(api, company, c["id"])[-1]["seq"]
    r = api.post(f"/campaigns/{c['id']}/visits", company.rep, body)
    assert r.status_code == 400 and {e["field"]: e["code"] for e in r.json["errors"]} == {field: code}, r.json
    assert api.get(f"/campaigns/{c['id']}/visits", company.rep).json["items"] == []
    assert _trail(api, company, c["id"])[-1]["seq"] == seq


@pytest.mark.parametrize(
    "raw", ['{"lat": NaN, "lon": 118.0}', '{"lat": 32.0, "lon": Infinity}', '{"lat": 1e999, "lon": 1}']
)
def test_coordinates_that_are_not_finite_numbers_are_400s(api, company, flow, raw):
    c = flow.approved()
    r = api.post(f"/campaigns/{c['id']}/visits", company.rep, raw=raw)
    assert r.status_code == 400 and {e["code"] for e in r.json["errors"]} == {"wrong_type"}, r.json


def test_a_forged_visits_cursor_is_a_400_naming_the_cursor(api, company, flow):
    c, other = flow.approved(), flow.approved()
    for _ in range(2):
        api.post(f"/campaigns/{other['id']}/visits", company.rep, XINJIEKOU)
    cursor = api.get(f"/campaigns/{other['id']}/visits?limit=1", company.rep).json["next_cursor"]
    for bad in (cursor, "not-a-cursor", cursor[:-4]):
        r = api.get(f"/campaigns/{c['id']}/visits?cursor={bad}", company.rep)
        assert r.status_code == 400 and r.json["errors"][0]["field"] == "cursor", bad


def test_an_unknown_campaign_is_a_404(api, company):
    assert api.post("/campaigns/NOPE/visits", company.rep, XINJIEKOU).status_code == 404
    assert api.get("/campaigns/NOPE/visits", company.rep).status_code == 404
