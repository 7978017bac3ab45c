"""Setting the scene through the API before a journey starts (what other people did earlier):
campaigns in each state, rules, feedback. The journeys themselves go through the browser."""

from __future__ import annotations

import datetime as dt
import io
import uuid

from tests.browser.conftest import Company, wait_for

XINJIEKOU = (32.0415, 118.7849)


def day(offset: int) -> str:
    """A date relative to today in Asia/Shanghai (the API's business day)."""
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    return (now + dt.timedelta(days=offset)).isoformat()


def campaign_body(**overrides) -> dict:
    body = {
        "title": "周末品鉴 · 苏果新街口",
        "category": "tasting",
        "customer": {"id": "SUGUO-XJK", "name": "苏果新街口店"},
        "start_date": day(-3),
        "end_date": day(-2),
        "location": {"address": "南京新街口", "lat": XINJIEKOU[0], "lon": XINJIEKOU[1]},
        "plan": {"expected_spend": 200000, "expected_sales": 1000000, "expected_units": 500},
        "requested_amount": 200000,
    }
    body.update(overrides)
    return body


def draft(co: Company, who: str = "rep", **overrides) -> dict:
    return co.api(who, "POST", "/campaigns", campaign_body(**overrides), key=str(uuid.uuid4()))


def submitted(co: Company, who: str = "rep", **overrides) -> dict:
    c = draft(co, who, **overrides)
    return co.api(who, "POST", f"/campaigns/{c['id']}/submit")


def approved(co: Company, amount: int = 180000, who: str = "rep", approver: str = "manager", **overrides) -> dict:
    c = submitted(co, who, **overrides)
    return co.api(approver, "POST", f"/campaigns/{c['id']}/approve", {"approved_amount": amount})


def rule(co: Company, **body) -> dict:
    return co.api("leader", "POST", "/feedback-rules", body)


def feedback(co: Company, campaign_id: str, who: str = "rep", **figures) -> dict:
    values = {"actual_spend": 150000, "actual_sales": 900000, "effect_rating": 4, "reflections": "人气不错"}
    values.update(figures)
    return co.api(who, "POST", f"/campaigns/{campaign_id}/feedback/submit", values)


def campaign(co: Company, campaign_id: str) -> dict:
    return co.api("leader", "GET", f"/campaigns/{campaign_id}")


def until(co: Company, campaign_id: str, predicate, timeout: float = 15.0) -> dict:
    """Wait until the stream runners have moved the campaign where the predicate wants it."""
    return wait_for(lambda: (lambda c: c if predicate(c) else None)(campaign(co, campaign_id)), timeout)


def photo(taken: str, lat: float, lon: float, seed: int = 7) -> bytes:
    """A real JPEG (a generated shop-display scene) with EXIF date and GPS."""
    from tests import corpus

    return corpus.jpeg(corpus.scene(seed, size=(640, 480)), exif=corpus.exif(taken, lat, lon))


def exif_time(date: str, hour: int = 10) -> str:
    return f"{date.replace('-', ':')} {hour:02d}:30:00"


def not_a_photo() -> bytes:
    out = io.BytesIO()
    out.write(b"this is a text file with a .jpg name\n" * 20)
    return out.getvalue()


def many(make, count: int, workers: int = 6) -> list:
    """count results of make(i), made concurrently (the stack serves requests in threads)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(make, range(count)))


def upload_photo(co: Company, c: dict, who: str = "rep") -> dict:
    """An accepted photo for campaign c, uploaded through the presigned POST as a client would."""
    import requests

    data = photo(exif_time(c["start_date"]), *XINJIEKOU)
    grant = co.api(
        who,
        "POST",
        f"/campaigns/{c['id']}/attachments",
        {"filename": "display.jpg", "content_type": "image/jpeg", "size_bytes": len(data)},
    )
    posted = requests.post(
        grant["upload"]["url"],
        data=grant["upload"]["fields"],
        files={"file": ("display.jpg", data, "image/jpeg")},
        timeout=30,
    )
    assert posted.status_code in (200, 201, 204), posted.text
    return wait_for(
        lambda: next(
            (
                a
                for a in co.api(who, "GET", f"/campaigns/{c['id']}/attachments")["items"]
                if a["id"] == grant["attachment"]["id"] and a["status"] == "ready"
            ),
            None,
        ),
        30,
    )


def budget(co: Company, amount: int, org: str | None = None, period: str | None = None, **extra) -> dict:
    """A budget allocated by the leader (period: the year of the campaigns' default start)."""
    body = {"org": org or co.root, "period": period or day(-3)[:4], "amount": amount, **extra}
    return co.api("leader", "POST", "/budgets", body, key=str(uuid.uuid4()))


def policy(co: Company, *levels: tuple[int | None, str]) -> dict:
    return co.api("leader", "PUT", "/approval-policy", {"levels": [{"up_to": u, "approver": a} for u, a in levels]})
