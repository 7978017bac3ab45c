"""Webhooks as an attack path: a URL into the cloud's private network (SSRF), a name that
resolves one way at creation and another at delivery, another company's webhooks and
deliveries, and bodies built to break the route. Every refusal is a 400 naming its field with a
stable code, nothing is half-written, and a secret never reaches a log.

The session allows http://127.0.0.1 (tests/conftest.py) for its receivers; here that setting is
turned off, as in production, to see loopback refused like every other private address."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import replace

import pytest

from devstack.receiver import Receiver
from tests.conftest import Company

# (url, the field code that refuses it)
SSRF = [
    ("http://example.com/hook", "not_https"),
    ("ftp://example.com/hook", "not_https"),
    ("file:///etc/passwd", "not_https"),
    ("gopher://127.0.0.1:6379/_INFO", "not_https"),
    ("dict://127.0.0.1:11211/stats", "not_https"),
    ("//example.com/hook", "not_https"),
    ("https://admin:hunter2@example.com/hook", "credentials_in_url"),
    ("https://token@example.com/hook", "credentials_in_url"),
    ("https://example.com:8443/hook", "port_not_allowed"),
    ("https://example.com:6379/hook", "port_not_allowed"),
    ("https://example.com:0/hook", "port_not_allowed"),
    ("https://example.com:65536/hook", "bad_format"),
    ("https://exa mple.com/hook", "bad_format"),
    ("https://example.com/\u202ehook", "bad_format"),
    ("https://example.com/" + "a" * 2030, "too_long"),
    ("http://127.0.0.1:8000/hook", "not_https"),  # the local stack's exception is off here
    ("https://127.0.0.1/hook", "address_not_allowed"),
    ("https://localhost/hook", "address_not_allowed"),
    ("https://0x7f000001/hook", "address_not_allowed"),
    ("https://2130706433/hook", "address_not_allowed"),
    ("https://0177.0.0.1/hook", "address_not_allowed"),
    ("https://[::1]/hook", "address_not_allowed"),
    ("https://10.0.0.8/hook", "address_not_allowed"),
    ("https://172.31.255.254/hook", "address_not_allowed"),
    ("https://192.168.100.1/hook", "address_not_allowed"),
    ("https://100.100.100.200/latest/meta-data/", "address_not_allowed"),  # CGNAT (Alibaba's metadata)
    ("https://169.254.169.254/latest/meta-data/iam/", "address_not_allowed"),
    ("https://[fd00:ec2::254]/latest/meta-data/", "address_not_allowed"),
    ("https://[::ffff:169.254.169.254]/", "address_not_allowed"),
    ("https://[::ffff:a9fe:a9fe]/", "address_not_allowed"),
    ("https://[64:ff9b::a9fe:a9fe]/", "address_not_allowed"),
    ("https://[2002:a9fe:a9fe::]/", "address_not_allowed"),
    ("https://[fe80::1]/", "address_not_allowed"),
    ("https://[fc00::1]/", "address_not_allowed"),
    ("https://224.0.0.251/", "address_not_allowed"),
    ("https://0.0.0.0/", "address_not_allowed"),
    ("https://255.255.255.255/", "address_not_allowed"),
    ("https://no-such-host.invalid/hook", "host_unresolvable"),
]


@pytest.fixture
def production_urls(monkeypatch):
    """Deliveries to http://127.0.0.1 refused, as everywhere but the local stack."""
    from chalicelib.config import settings
    from chalicelib.logic import webhooks

    strict = replace(settings(), webhook_allow_local_http=False)
    monkeypatch.setattr(webhooks, "settings", lambda: strict)


@pytest.mark.parametrize("url, code", SSRF)
def test_no_url_into_a_private_network_is_accepted(api, company, production_urls, url, code):
    r = api.post("/webhooks", company.leader, {"url": url, "events": ["campaign.approved"]})
    assert r.status_code == 400, r.json
    assert [(e["field"], e["code"]) for e in r.json["errors"]] == [("url", code)], r.json
    assert api.get("/webhooks", company.leader).json["items"] == []


def test_a_host_that_resolves_privately_later_is_refused_at_delivery_and_never_reached(
    api, company, flow, streams, delivery_queue, monkeypatch
):
    """Checked at creation and again at each delivery, after DNS: here the allowance for
    127.0.0.1 ends between the two, as a rebinding name's answer would change."""
    receiver = Receiver().start()
    try:
        hook = api.post("/webhooks", company.leader, {"url": receiver.url, "events": ["campaign.submitted"]}).json
        from chalicelib.config import settings
        from chalicelib.logic import webhooks

        strict = replace(settings(), webhook_allow_local_http=False)
        monkeypatch.setattr(webhooks, "settings", lambda: strict)
        flow.submitted()
        records = streams.records(
            "campaigns", lambda r: (r["dynamodb"].get("NewImage") or {}).get("tenant", {}).get("S") == company.root
        )
        streams.invoke("on_campaign_change", records)
        delivery_queue.pump()
        assert receiver.received == []
        (d,) = api.get(f"/webhooks/{hook['id']}/deliveries", company.leader).json["items"]
        assert d["status"] == "failed" and d["last_error"].startswith("refused: "), d
    finally:
        receiver.stop()


# (body, the field at fault, its code)
BAD_BODIES = [
    ({"url": "https://93.184.216.34/x"}, "events", "required"),
    ({"events": ["campaign.approved"]}, "url", "required"),
    ({"url": "https://93.184.216.34/x", "events": []}, "events", "too_few"),
    ({"url": "https://93.184.216.34/x", "events": "campaign.approved"}, "events", "wrong_type"),
    ({"url": "https://93.184.216.34/x", "events": ["campaign.approved", 7]}, "events.1", "wrong_type"),
    ({"url": "https://93.184.216.34/x", "events": ["campaign.*"]}, "events", "not_one_of"),
    ({"url": "https://93.184.216.34/x", "events": ["x" * 65]}, "events.0", "too_long"),
    ({"url": "https://93.184.216.34/x", "events": ["campaign.approved"] * 19}, "events", "too_many"),
    ({"url": "https://93.184.216.34/x", "events": ["campaign.approved"], "format": "slack"}, "format", "not_one_of"),
    (
        {"url": "https://93.184.216.34/x", "events": ["campaign.approved"], "secret": "whsec_bW9ja2luZw=="},
        "secret",
        "not_for_format",
    ),
    (
        {"url": "https://93.184.216.34/x", "events": ["campaign.approved"], "format": "dingtalk", "secret": "hunter2"},
        "secret",
        "bad_format",
    ),
    (
        {"url": "https://93.184.216.34/x", "events": ["campaign.approved"], "description": "a\x00b"},
        "description",
        "control_characters",
    ),
    (
        {"url": "https://93.184.216.34/x", "events": ["campaign.approved"], "org": "OTHER/EAST"},
        "org",
        "outside_company",
    ),
    ({"url": "https://93.184.216.34/x", "events": ["campaign.approved"], "admin": True}, "admin", "not_allowed"),
    ({"url": 42, "events": ["campaign.approved"]}, "url", "wrong_type"),
]


@pytest.mark.parametrize("body, field, code", BAD_BODIES)
def test_bad_bodies_are_400_naming_the_field(api, company, body, field, code):
    r = api.post("/webhooks", company.finance, body)
    assert r.status_code == 400, r.json
    assert (field, code) in [(e["field"], e["code"]) for e in r.json["errors"]], r.json
    assert api.get("/webhooks", company.leader).json["items"] == []


@pytest.fixture(scope="module")
def victims_hook(lambda_client):
    from tests.conftest import Api

    api, co = Api(lambda_client), Company()
    hook = api.post("/webhooks", co.leader, {"url": "http://127.0.0.1:9/hook", "events": ["campaign.approved"]}).json
    return co, hook


@pytest.mark.parametrize("role", ["rep", "manager", "leader", "finance"])
@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/webhooks/{id}"),
        ("DELETE", "/webhooks/{id}"),
        ("POST", "/webhooks/{id}/rotate-secret"),
        ("GET", "/webhooks/{id}/deliveries"),
        ("POST", "/webhooks/{id}/deliveries/evt_01M94X03HFBNP17E50DCKY806Q/retry"),
    ],
)
def test_another_companys_webhook_is_out_of_reach_and_unchanged(api, victims_hook, role, method, path):
    co, hook = victims_hook
    attacker = Company()
    token = {"rep": attacker.rep, "manager": attacker.manager, "leader": attacker.leader, "finance": attacker.finance}
    r = api.call(method, path.format(id=hook["id"]), token[role])
    assert r.status_code in (403, 404), r.json
    assert hook["id"] not in json.dumps(api.get("/webhooks", token[role]).json)
    after = api.get(f"/webhooks/{hook['id']}", co.leader)
    assert after.status_code == 200 and after.json["secret_rotated_at"] is None


def test_no_secret_reaches_a_log(api, company):
    from chalicelib.observability import logger

    service, stream = logger(), io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    targets = [logging.getLogger(service.name), logging.getLogger()]
    for t in targets:
        t.addHandler(handler)
    try:
        made = api.post(
            "/webhooks", company.leader, {"url": "http://127.0.0.1:9/hook", "events": ["campaign.approved"]}
        )
        rotated = api.post(f"/webhooks/{made.json['id']}/rotate-secret", company.finance)
        robot = "SEC" + "f00d" * 16
        api.post(
            "/webhooks",
            company.leader,
            {
                "url": "http://127.0.0.1:9/r?access_token=x",
                "events": ["campaign.approved"],
                "format": "dingtalk",
                "secret": robot,
            },
        )
    finally:
        for t in targets:
            t.removeHandler(handler)
    logged = stream.getvalue()
    assert made.json["secret"] not in logged and rotated.json["secret"] not in logged and robot not in logged
