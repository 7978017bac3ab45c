"""Presigned links that outlive their intent, and header injection through filenames.

A presigned link is a bearer credential: whoever holds it may use it until it expires, with the
signer's rights. So the upload form must expire within 15 minutes and allow one key, one type and
one size; download, thumbnail and report links must expire within minutes; and a link must stop
working once the attachment it points at is deleted. A filename is user text that ends up in the
Content-Disposition header S3 sends with a download: it must not be able to add a header line,
a second parameter, or turn the download into an inline page.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests import corpus as C
from tests.functional.evidence_support import Evidence

UPLOAD_LIMIT = dt.timedelta(minutes=15)
LINK_LIMIT_SECONDS = 15 * 60


@pytest.fixture
def ev(api, lambda_client, company) -> Evidence:
    return Evidence(api, lambda_client, company)


def _lifetime_seconds(url: str) -> int:
    """How long a presigned GET stays valid. SigV4 only: S3 refuses SigV2 links on buckets
    created since mid-2020, and a SigV2 link states no lifetime of its own (just an epoch)."""
    query = parse_qs(urlsplit(url).query)
    assert query.get("X-Amz-Algorithm") == ["AWS4-HMAC-SHA256"], url
    signed_at = dt.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    assert abs((dt.datetime.now(dt.UTC) - signed_at).total_seconds()) < 120
    return int(query["X-Amz-Expires"][0])


# -- presigned links ---------------------------------------------------------------------------
def test_the_upload_form_expires_within_15_minutes_and_fits_one_object(ev, flow):
    c = flow.approved()
    r = ev.ask(c["id"], 4321)
    assert r.status_code == 201, r.json
    upload = r.json["upload"]
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    expires = dt.datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    now = dt.datetime.now(dt.UTC)
    assert dt.timedelta(0) < expires - now <= UPLOAD_LIMIT
    # the API says when, and says the truth
    announced = dt.datetime.fromisoformat(upload["expires_at"].replace("Z", "+00:00"))
    assert abs((announced - expires).total_seconds()) <= 2
    # one exact key (no starts-with), one type, one size: the form cannot upload anything else
    # (S3 enforces these conditions; the local moto server does not, so they are checked here)
    conditions = policy["conditions"]
    assert {"key": upload["fields"]["key"]} in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert not [cond for cond in conditions if isinstance(cond, list) and cond[0] == "starts-with"]
    assert ["content-length-range", 4321, 4321] in conditions


def test_download_and_thumbnail_links_live_minutes_not_hours(ev, flow):
    c = flow.approved()
    photo = ev.upload(c["id"], C.jpeg(C.scene(3, (640, 480))))
    assert photo["status"] == "ready"
    for link in (photo["download_url"], photo["thumbnail_url"]):
        assert 0 < _lifetime_seconds(link) <= LINK_LIMIT_SECONDS, link
        assert requests.get(link, timeout=30).status_code == 200


def test_no_link_is_handed_out_for_a_rejected_or_pending_upload(ev, flow):
    c = flow.approved()
    pending = ev.ask(c["id"], 1000).json["attachment"]
    rejected = ev.upload(c["id"], C.pdf(), content_type="image/jpeg")
    listed = {a["id"]: a for a in ev.api.get(f"/campaigns/{c['id']}/attachments", ev.co.leader).json["items"]}
    for attachment_id in (pending["id"], rejected["id"]):
        assert listed[attachment_id]["download_url"] is None and listed[attachment_id]["thumbnail_url"] is None


def test_a_link_stops_working_when_its_attachment_is_deleted(ev, api, company, flow):
    c = flow.approved()
    photo = ev.upload(c["id"], C.jpeg(C.scene(4, (640, 480))))
    links = [photo["download_url"], photo["thumbnail_url"]]
    assert all(requests.get(link, timeout=30).status_code == 200 for link in links)
    assert api.delete(f"/campaigns/{c['id']}/attachments/{photo['id']}", company.rep).status_code == 204
    for link in links:
        assert requests.get(link, timeout=30).status_code in (403, 404), link


def test_report_links_live_minutes_not_hours(api, company, flow, streams):
    from tests.functional.test_reports import compile_pending

    flow.approved()
    run = api.post("/reports/runs", company.leader, {"period": "2026-11"})
    assert run.status_code == 202, run.json
    compile_pending(streams, company.root)
    report = api.get(f"/reports/{run.json['report_id']}", company.leader).json
    assert report["status"] == "ready", report
    for name, link in report["artifacts"].items():
        assert 0 < _lifetime_seconds(link) <= LINK_LIMIT_SECONDS, name
    # the list never carries links: a page of reports is no bundle of credentials
    listed = api.get("/reports", company.leader).json["items"]
    assert all(v is None for item in listed for v in item["artifacts"].values())


# -- header injection through filenames ---------------------------------------------------------
HOSTILE_NAMES = [
    "a.jpg\r\nSet-Cookie: session=stolen",
    "a.jpg\nContent-Type: text/html",
    'x"; filename="evil.html',
    "x.jpg; inline; filename=evil.html",
    "evil\\",
    "..\\..\\windows\\win.ini",
    "%0d%0aX-Injected: 1.jpg",
    "陈列\u2028照片\u0085.jpg",
]


def _disposition_params(value: str) -> list[str]:
    """The parameters of a Content-Disposition value, split outside quoted strings."""
    params, current, quoted, escaped = [], "", False, False
    for ch in value:
        if escaped:
            current, escaped = current + ch, False
        elif ch == "\\" and quoted:
            current, escaped = current + ch, True
        elif ch == '"':
            current, quoted = current + ch, not quoted
        elif ch == ";" and not quoted:
            params, current = params + [current.strip()], ""
        else:
            current += ch
    assert not quoted, f"unterminated quoted string in {value!r}"
    return params + [current.strip()]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_filename_never_adds_a_header_or_a_parameter_to_the_download(ev, flow, name):
    c = flow.approved()
    photo = ev.upload(c["id"], C.jpeg(C.scene(5, (640, 480))), filename=name)
    assert photo["status"] == "ready", photo
    assert not set(photo["filename"]) & {"\r", "\n", "\u2028", "\u0085", "/", "\\", '"'}
    signed = parse_qs(urlsplit(photo["download_url"]).query)["response-content-disposition"][0]
    r = requests.get(photo["download_url"], timeout=30)
    assert r.status_code == 200
    served = r.headers["Content-Disposition"]
    for value in (signed, served):
        assert "\r" not in value and "\n" not in value
        params = _disposition_params(value)
        # always a download, exactly one plain and one RFC 5987 name, nothing else
        assert params[0] == "attachment", value
        assert sorted(p.split("=", 1)[0] for p in params[1:]) == ["filename", "filename*"], value
        assert params[1].startswith('filename="') and params[1].endswith('"') and not params[1].endswith('\\"')
        assert params[2].startswith("filename*=UTF-8''") and all(
            ord(ch) < 128 and ch not in ' ";\\' for ch in params[2]
        ), value
    # nothing the name said became a header of its own
    assert "Set-Cookie" not in r.headers and "X-Injected" not in r.headers
    assert r.headers["Content-Type"] == "image/jpeg"
