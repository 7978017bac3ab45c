"""Events out, the use cases against the in-memory storage: managing webhooks (who, what is
refused and how), events from facts (exactly one delivery per webhook and event), delivering
(signed as Standard Webhooks says, verified here with the specification's own library; retried
on a growing schedule; never two sends of one attempt).

The network is the fake's (dal/memory.py: MemoryOutbound): names resolve from a table, and
each POST is answered by the test. tests/functional/test_webhooks.py sends to real receivers;
what is pure (where a delivery may go, the schedule, the robots' text) is tests/unit/test_webhooks.py."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.parse

import pytest
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from chalicelib.dal import repos
from chalicelib.dal.memory import InMemoryStorage
from chalicelib.domain import webhooks as hooks
from chalicelib.domain.access import Principal
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.pages import PageRequest
from chalicelib.domain.webhooks import Answer, Outgoing
from chalicelib.handlers import present
from chalicelib.logic import campaigns, webhooks

REP = Principal("rep-1", "rep", "CN/EAST/JS", name="Li Lei")
REGION = Principal("rm-1", "manager", "CN/EAST", name="Zhao Si")
LEADER = Principal("lead-1", "leader", "CN", name="Sun Qi")
FINANCE = Principal("fin-1", "finance", "CN", name="Zhou Ba")
OUTSIDER = Principal("lead-x", "leader", "US", name="Other company")
HOOK_URL = "https://hooks.example.com/huixiang?team=east"
PUBLIC = "93.184.216.34"


@pytest.fixture(autouse=True)
def production_urls(monkeypatch):
    """Webhook URLs as production takes them, whatever the process's environment says (in
    `make test` a suite run earlier in the same worker has set the local stack's allowance of
    http://127.0.0.1); a test that wants the allowance turns it on (dt_replace_settings)."""
    from dataclasses import replace

    from chalicelib.config import settings

    pinned = replace(settings(), webhook_allow_local_http=False)
    monkeypatch.setattr(webhooks, "settings", lambda: pinned)


@pytest.fixture(autouse=True)
def clock():
    """The real clock, not conftest's fixed one: standardwebhooks checks a delivery's timestamp
    against the present, as a receiver does."""
    yield None


@pytest.fixture
def store():
    storage = InMemoryStorage()
    storage.outbound.hosts.update(
        {"hooks.example.com": [PUBLIC], "qyapi.weixin.qq.com": ["101.91.22.57"], "oapi.dingtalk.com": ["203.119.1.1"]}
    )
    previous = repos.install(storage)
    yield storage
    repos.install(previous)


def standard(principal: Principal = LEADER, **kw) -> tuple[hooks.Webhook, str]:
    hook, secret = webhooks.create_webhook(principal, kw.pop("url", HOOK_URL), kw.pop("events", hooks.EVENTS), **kw)
    assert secret is not None
    return hook, secret


def application(**overrides) -> dict:
    body = {
        "title": "Weekend tasting at Suguo",
        "category": "tasting",
        "customer": {"id": "K1", "name": "Suguo Xinjiekou"},
        "start_date": "2026-11-01",
        "end_date": "2026-11-03",
        "location": None,
        "plan": {"expected_spend": 300000, "expected_sales": 1000000, "expected_units": None},
        "requested_amount": 300000,
    }
    body.update(overrides)
    return body


def submit(owner: Principal = REP, **overrides):
    """A campaign submitted, and the facts its stream record carries (old, new)."""
    draft = campaigns.create_campaign(owner, application(**overrides))
    return draft, campaigns.submit_campaign(owner, draft.id)


def emit_change(old, new) -> int:
    return webhooks.campaign_changed(old, new, present.campaign)


def pump(store: InMemoryStorage) -> list[str]:
    """Hand every queued ticket to the delivery function once (as SQS would, delays ignored)."""
    outcomes = []
    for ticket, _delay in store.delivery_queue.take():
        outcomes.append(webhooks.deliver(json.dumps(ticket)))
    return outcomes


def verify(secret: str, request: Outgoing) -> dict:
    """What a receiver does: check the signature with the standardwebhooks library."""
    return Verifier(secret).verify(request.body, dict(request.headers))


# -- managing webhooks --------------------------------------------------------------------------------
def test_a_standard_webhooks_secret_is_shown_once_and_stored_sealed(store):
    hook, secret = standard(description="ERP")
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32  # 24..64 random bytes
    stored = repos.webhooks().get("CN", hook.id)
    assert stored is not None and len(stored.secrets) == 1
    assert secret not in json.dumps([s.sealed for s in stored.secrets])  # a reader of the table cannot use it
    assert "secret" not in present.webhook(stored) and present.webhook(stored)["signed"] is True
    assert webhooks.current_secret(LEADER, hook.id) == secret


def test_the_sealed_secret_opens_for_its_own_webhook_only(store):
    a, _ = standard()
    b, _ = standard()
    stored_a = repos.webhooks().get("CN", a.id)
    with pytest.raises(ValueError):  # a sealed secret copied onto another webhook does not open
        repos.secret_box().open(stored_a.secrets[0].sealed, {"company": "CN", "webhook": b.id})


@pytest.mark.parametrize("who", [REP, REGION])
def test_only_leaders_and_finance_manage_webhooks(store, who):
    with pytest.raises(Forbidden):
        standard(principal=who)
    hook, _ = standard(principal=FINANCE)
    for call in (
        lambda: webhooks.list_webhooks(who, PageRequest()),
        lambda: webhooks.get_webhook(who, hook.id),
        lambda: webhooks.delete_webhook(who, hook.id),
        lambda: webhooks.rotate_secret(who, hook.id),
        lambda: webhooks.list_deliveries(who, hook.id, None, PageRequest()),
    ):
        with pytest.raises(Forbidden):
            call()


def test_another_companys_webhook_is_unknown(store):
    hook, _ = standard()
    assert webhooks.list_webhooks(OUTSIDER, PageRequest()).items == []
    for call in (
        lambda: webhooks.get_webhook(OUTSIDER, hook.id),
        lambda: webhooks.delete_webhook(OUTSIDER, hook.id),
        lambda: webhooks.rotate_secret(OUTSIDER, hook.id),
        lambda: webhooks.list_deliveries(OUTSIDER, hook.id, None, PageRequest()),
    ):
        with pytest.raises(NotFound):
            call()
    assert webhooks.current_secret(OUTSIDER, hook.id) is None


@pytest.mark.parametrize(
    "kw, field, code",
    [
        ({"events": []}, "events", "too_few"),
        ({"events": ["campaign.approved", "campaign.exploded"]}, "events", "not_one_of"),
        ({"fmt": "sms"}, "format", "not_one_of"),
        ({"secret": "whsec_" + "A" * 40}, "secret", "not_for_format"),
        ({"fmt": "wecom", "secret": "SEC" + "a" * 64}, "secret", "not_for_format"),
        ({"fmt": "dingtalk", "secret": "not-a-robot-secret"}, "secret", "bad_format"),
        ({"org": "US/EAST"}, "org", "outside_company"),
        ({"org": "CN//EAST"}, "org", "not_an_org"),
    ],
)
def test_bad_input_is_refused_naming_its_field(store, kw, field, code):
    args = {"events": ["campaign.approved"], **kw}
    with pytest.raises(InvalidInput) as err:
        webhooks.create_webhook(LEADER, HOOK_URL, args.pop("events"), **args)
    assert [(e["field"], e["code"]) for e in err.value.errors] == [(field, code)]
    assert repos.webhooks().list("CN", PageRequest()).items == []  # nothing half-written


REFUSED_URLS = [
    ("http://hooks.example.com/x", "not_https"),
    ("ftp://hooks.example.com/x", "not_https"),
    ("file:///etc/passwd", "not_https"),
    ("gopher://hooks.example.com:70/x", "not_https"),
    ("javascript:alert(1)", "not_https"),
    ("hooks.example.com/x", "not_https"),
    ("https://user:pass@hooks.example.com/x", "credentials_in_url"),
    ("https://user@hooks.example.com/x", "credentials_in_url"),
    ("https://hooks.example.com:8443/x", "port_not_allowed"),
    ("https://hooks.example.com:22/x", "port_not_allowed"),
    ("https://hooks.example.com:99999/x", "bad_format"),
    ("https:///x", "bad_format"),
    ("https://hooks.example.com/a b", "bad_format"),
    ("https://hooks.example.com/\u00e9", "bad_format"),
    ("https://hooks.example.com/" + "a" * 2048, "too_long"),
    ("https://nowhere.invalid/x", "host_unresolvable"),
    ("https://127.0.0.1/x", "address_not_allowed"),
    ("https://10.1.2.3/x", "address_not_allowed"),
    ("https://169.254.169.254/latest/meta-data/", "address_not_allowed"),
    ("https://[fd00:ec2::254]/", "address_not_allowed"),
    ("https://[::ffff:10.0.0.1]/", "address_not_allowed"),
    ("https://0x7f000001/", "host_unresolvable"),  # the fake resolves literal addresses only
]


@pytest.mark.parametrize("url, code", REFUSED_URLS)
def test_every_kind_of_refused_url_is_a_400_naming_url(store, url, code):
    with pytest.raises(InvalidInput) as err:
        webhooks.create_webhook(LEADER, url, ["campaign.approved"])
    assert [(e["field"], e["code"]) for e in err.value.errors] == [("url", code)], err.value.errors


def test_a_name_resolving_to_any_private_address_is_refused(store):
    store.outbound.hosts["split.example.com"] = [PUBLIC, "192.168.1.10"]  # split horizon, or a rebinding
    with pytest.raises(InvalidInput) as err:
        webhooks.create_webhook(LEADER, "https://split.example.com/x", ["campaign.approved"])
    assert err.value.errors[0]["params"] == {"address": "192.168.1.10", "reason": "private"}


def test_the_local_stacks_http_loopback_is_a_setting_off_by_default(store, monkeypatch):
    with pytest.raises(InvalidInput):
        webhooks.create_webhook(LEADER, "http://127.0.0.1:8123/hook", ["campaign.approved"])
    local = dt_replace_settings(monkeypatch, webhook_allow_local_http=True)
    hook, _ = webhooks.create_webhook(LEADER, "http://127.0.0.1:8123/hook", ["campaign.approved"])
    assert hook.url == "http://127.0.0.1:8123/hook" and local.webhook_allow_local_http
    with pytest.raises(InvalidInput):  # only 127.0.0.1, and only plain loopback
        webhooks.create_webhook(LEADER, "http://localhost:8123/hook", ["campaign.approved"])


def dt_replace_settings(monkeypatch, **changes):
    from dataclasses import replace

    from chalicelib.config import settings

    changed = replace(settings(), **changes)
    monkeypatch.setattr(webhooks, "settings", lambda: changed)
    return changed


# -- events from facts ----------------------------------------------------------------------------------
def test_a_submitted_campaign_is_one_delivery_per_webhook_however_often_its_record_comes(store):
    a, _ = standard(events=["campaign.submitted"])
    b, _ = standard(events=["campaign.submitted", "campaign.approved"])
    standard(events=["campaign.approved"])  # not interested
    draft, submitted = submit()
    assert emit_change(draft, submitted) == 2
    assert emit_change(draft, submitted) == 0  # the record again: nothing new
    for hook in (a, b):
        (d,) = repos.webhooks().deliveries("CN", hook.id, None, PageRequest()).items
        assert d.event_type == "campaign.submitted" and d.status == "pending"
    assert {t["webhook_id"] for t, _ in store.delivery_queue.sent} == {a.id, b.id}


def test_the_event_id_derives_from_the_fact(store):
    draft, submitted = submit()
    at = submitted.updated_at
    first = hooks.event_id(f"campaign.submitted:{submitted.id}:{submitted.version}", at)
    assert first == hooks.event_id(f"campaign.submitted:{submitted.id}:{submitted.version}", at)
    assert first != hooks.event_id(f"campaign.submitted:{submitted.id}:{submitted.version + 1}", at)
    assert hooks.EVENT_ID.match(first) and "." not in first  # the signature joins id, time and body with dots
    later = hooks.event_id("x", "2027-01-01T00:00:00.000Z")
    assert later > hooks.event_id("x", "2026-01-01T00:00:00.000Z")  # ids sort by when their facts happened


def test_an_unattempted_delivery_is_queued_again_when_its_record_comes_again(store):
    hook, _ = standard(events=["campaign.submitted"])
    draft, submitted = submit()
    emit_change(draft, submitted)
    store.delivery_queue.take()  # the first ticket lost (the function failed between the two writes)
    assert emit_change(draft, submitted) == 0
    assert len(store.delivery_queue.sent) == 1  # queued again, not created again
    assert pump(store) == ["delivered"]
    emit_change(draft, submitted)  # once it was tried, a redelivered record queues nothing
    assert store.delivery_queue.sent == []


def test_each_fact_makes_its_event(store):
    hook, _ = standard()
    draft, submitted = submit()
    emit_change(draft, submitted)
    approved = campaigns.approve_campaign(REGION, submitted.id, 250000, None)
    emit_change(submitted, approved)  # approved, and settleable at once (no feedback required)
    cancelled = campaigns.cancel_campaign(REP, approved.id, "the store closed")
    emit_change(approved, cancelled)
    d2, s2 = submit(title="Another")
    emit_change(d2, s2)
    rejected = campaigns.reject_campaign(REGION, s2.id, "too dear")
    emit_change(s2, rejected)
    types = sorted(d.event_type for d in repos.webhooks().deliveries("CN", hook.id, None, PageRequest()).items)
    assert types == sorted(
        [
            "campaign.submitted",
            "campaign.approved",
            "settlement.unlocked",
            "campaign.cancelled",
            "campaign.submitted",
            "campaign.rejected",
        ]
    )


def test_a_webhook_of_an_org_hears_about_its_subtree_only(store):
    east, _ = standard(events=["campaign.submitted"], org="CN/EAST")
    west, _ = standard(events=["campaign.submitted"], org="CN/WEST")
    draft, submitted = submit()  # CN/EAST/JS
    assert emit_change(draft, submitted) == 1
    assert repos.webhooks().deliveries("CN", east.id, None, PageRequest()).items
    assert not repos.webhooks().deliveries("CN", west.id, None, PageRequest()).items


def test_another_companys_facts_reach_none_of_its_webhooks(store):
    hook, _ = standard()
    outsider_rep = Principal("rep-x", "rep", "US/EAST", name="Bob")
    draft, submitted = submit(owner=outsider_rep)
    assert emit_change(draft, submitted) == 0
    assert not repos.webhooks().deliveries("CN", hook.id, None, PageRequest()).items


def test_each_claimed_invoice_is_one_invoice_claimed_event_from_the_campaigns_change(store):
    """A claim is written with its campaign (one transaction), so the campaigns stream's old and
    new images name it: one event per invoice, however often the record comes; a change that
    claims nothing (or only approves) makes no invoice event."""
    from chalicelib.logic import invoices

    hook, secret = standard(events=["invoice.claimed"])
    _, submitted = submit()
    approved = campaigns.approve_campaign(REGION, submitted.id, 280000, None)
    assert emit_change(submitted, approved) == 0
    qr = "01,04,3200162130,77001234,120.00,20261102,,4FD5"
    claimed = invoices.claim_invoice(REP, approved.id, {"qr": qr})
    after = repos.campaigns().get(approved.id)
    assert emit_change(approved, after) == 1
    assert emit_change(approved, after) == 0  # the record again: the same event
    (d,) = repos.webhooks().deliveries("CN", hook.id, None, PageRequest()).items
    event = json.loads(d.body)
    assert event["type"] == "invoice.claimed" and event["data"]["id"] == approved.id
    assert event["data"]["invoice"] == {"id": claimed.id, "key": claimed.key, "amount": 12000}
    assert event["data"]["reimbursement"]["invoice_total"] == 12000
    pump(store)
    (sent,) = store.outbound.sent
    assert verify(secret, sent)["type"] == "invoice.claimed"


# -- delivering ---------------------------------------------------------------------------------------
def test_a_delivery_is_signed_as_standard_webhooks_says(store):
    hook, secret = standard(events=["campaign.submitted"])
    draft, submitted = submit()
    emit_change(draft, submitted)
    assert pump(store) == ["delivered"]
    (request,) = store.outbound.sent
    assert request.address == PUBLIC and request.target.host == "hooks.example.com"
    assert request.target.path == "/huixiang?team=east"
    payload = verify(secret, request)
    assert payload["type"] == "campaign.submitted" and payload["data"]["id"] == submitted.id
    assert payload["timestamp"] == submitted.updated_at
    assert request.headers["webhook-id"] == repos.webhooks().deliveries("CN", hook.id, None, PageRequest()).items[0].id
    with pytest.raises(WebhookVerificationError):
        verify(hooks.new_standard_secret(), request)  # another secret does not verify
    d = repos.webhooks().delivery("CN", hook.id, request.headers["webhook-id"])
    assert (d.status, d.attempts, d.last_status_code, d.next_attempt_at) == ("delivered", 1, 200, None)


def test_failures_are_retried_on_a_growing_schedule_with_the_same_id_then_failed(store, monkeypatch):
    dt_replace_settings(monkeypatch, webhook_retry_delays="5,60")
    hook, secret = standard(events=["campaign.submitted"])
    store.outbound.answer = lambda request: Answer(503, "HTTP 503", 3)
    draft, submitted = submit()
    emit_change(draft, submitted)
    assert pump(store) == ["pending"]
    d = repos.webhooks().deliveries("CN", hook.id, None, PageRequest()).items[0]
    wait = hooks.seconds_until(d.next_attempt_at, d.log[-1].at)
    assert 5 <= wait <= 5.5 and d.last_status_code == 503 and d.last_error == "HTTP 503"
    ((ticket, delay),) = store.delivery_queue.sent
    assert ticket["attempt"] == 1 and 5 <= delay <= 6
    # the ticket comes early (SQS's delay is capped): it is sent on, nothing is tried
    monkeypatch.setattr(webhooks, "now_iso", lambda: d.log[-1].at)
    assert pump(store) == ["deferred"] and len(store.outbound.sent) == 1
    monkeypatch.setattr(webhooks, "now_iso", lambda: hooks.later(d.next_attempt_at, 1))
    assert pump(store) == ["pending"]
    d = repos.webhooks().delivery("CN", hook.id, d.id)
    assert 60 <= hooks.seconds_until(d.next_attempt_at, d.log[-1].at) <= 66
    monkeypatch.setattr(webhooks, "now_iso", lambda: hooks.later(d.next_attempt_at, 1))
    assert pump(store) == ["failed"]
    d = repos.webhooks().delivery("CN", hook.id, d.id)
    assert (d.status, d.attempts, d.next_attempt_at) == ("failed", 3, None)
    assert [a.status_code for a in d.log] == [503, 503, 503]
    assert {r.headers["webhook-id"] for r in store.outbound.sent} == {d.id}  # the same id on every attempt
    assert store.delivery_queue.sent == []


def test_a_failed_delivery_is_retried_by_hand_on_a_new_schedule(store, monkeypatch):
    monkeypatch.setattr(webhooks, "retry_delays", lambda: ())  # the first failure is the last
    hook, secret = standard(events=["campaign.submitted"])
    store.outbound.answer = lambda request: Answer(None, "connection refused", 2)
    draft, submitted = submit()
    emit_change(draft, submitted)
    assert pump(store) == ["failed"]
    (d,) = webhooks.list_deliveries(LEADER, hook.id, "failed", PageRequest()).items
    assert d.last_error == "connection refused"
    with pytest.raises(Forbidden):
        webhooks.retry_delivery(REGION, hook.id, d.id)
    store.outbound.answer = lambda request: Answer(204, None, 2)
    again = webhooks.retry_delivery(FINANCE, hook.id, d.id)
    assert again.status == "pending" and again.round_start == 1
    assert pump(store) == ["delivered"]
    assert verify(secret, store.outbound.sent[-1])["data"]["id"] == submitted.id
    with pytest.raises(Conflict) as err:
        webhooks.retry_delivery(LEADER, hook.id, d.id)
    assert err.value.code == "delivery_not_failed" and err.value.params == {"status": "delivered"}
    with pytest.raises(NotFound):
        webhooks.retry_delivery(LEADER, hook.id, "evt_00000000000000000000000000")
    with pytest.raises(InvalidInput) as bad:
        webhooks.list_deliveries(LEADER, hook.id, "lost", PageRequest())
    assert bad.value.errors[0]["field"] == "status"


def test_two_copies_of_one_ticket_never_send_twice(store):
    standard(events=["campaign.submitted"])
    draft, submitted = submit()
    emit_change(draft, submitted)
    ((ticket, _),) = store.delivery_queue.take()
    seen: list[str] = []

    def answer(request):
        # while the first copy waits for the receiver, the second copy arrives
        if len(store.outbound.sent) == 1 and not seen:
            seen.append("waiting")
            seen[0] = webhooks.deliver(json.dumps(ticket))
        return Answer(200, None, 5)

    store.outbound.answer = answer
    assert webhooks.deliver(json.dumps(ticket)) == "delivered"
    assert seen == ["skipped"] and len(store.outbound.sent) == 1
    assert webhooks.deliver(json.dumps(ticket)) == "skipped"  # and after: the attempt was made


def test_a_retry_ticket_that_comes_before_its_attempt_is_recorded_waits_rather_than_vanishes(store, monkeypatch):
    """The next attempt's ticket is queued before the failed attempt's outcome is written; if the
    queue hands it over in between (a short delay), it is sent on, not dropped: the delivery
    would otherwise stay pending with no ticket left."""
    hook, _ = standard(events=["campaign.submitted"])
    monkeypatch.setattr(webhooks, "retry_delays", lambda: (0, 0))
    draft, submitted = submit()
    emit_change(draft, submitted)
    ((ticket, _),) = store.delivery_queue.take()
    store.outbound.answer = lambda request: Answer(503, "HTTP 503", 5)
    early: list[str] = []
    record = store.webhooks.record

    def record_later(delivery, owner):
        for queued, _delay in store.delivery_queue.take():  # the retry's ticket, handed over at once
            early.append(webhooks.deliver(json.dumps(queued)))
        return record(delivery, owner)

    monkeypatch.setattr(store.webhooks, "record", record_later)
    assert webhooks.deliver(json.dumps(ticket)) == "pending"
    assert early == ["deferred"]
    monkeypatch.setattr(store.webhooks, "record", record)
    ((retry, delay),) = store.delivery_queue.take()  # sent on, a moment later
    assert retry["attempt"] == 1 and delay >= 1
    moment_later = hooks.later(webhooks.now_iso(), 2)
    monkeypatch.setattr(webhooks, "now_iso", lambda: moment_later)
    store.outbound.answer = lambda request: Answer(204, None, 5)
    assert webhooks.deliver(json.dumps(retry)) == "delivered"
    d = repos.webhooks().delivery("CN", hook.id, ticket["delivery_id"])
    assert (d.status, d.attempts) == ("delivered", 2)


def test_an_expired_lease_lets_another_copy_send_and_the_first_not_record(store, monkeypatch):
    hook, _ = standard(events=["campaign.submitted"])
    draft, submitted = submit()
    emit_change(draft, submitted)
    ((ticket, _),) = store.delivery_queue.take()
    start = hooks.later(submitted.updated_at, 1)
    clock = {"now": start}
    monkeypatch.setattr(webhooks, "now_iso", lambda: clock["now"])
    second: list[str] = []

    def answer(request):
        if clock["now"] == start:  # the first sender hangs past its lease; a copy of its ticket takes over
            clock["now"] = hooks.later(start, hooks.LEASE_SECONDS + 1)
            second.append(webhooks.deliver(json.dumps(ticket)))
        return Answer(200, None, 5)

    store.outbound.answer = answer
    assert webhooks.deliver(json.dumps(ticket)) == "lease_lost"
    assert second == ["delivered"]
    d = repos.webhooks().delivery("CN", hook.id, ticket["delivery_id"])
    assert (d.status, d.attempts) == ("delivered", 1)


def test_a_poison_ticket_raises_so_the_queue_parks_it(store):
    for body in (
        "not json",
        "{}",
        json.dumps({"tenant": "CN", "webhook_id": "W", "delivery_id": "x", "attempt": 0, "not_before": "now"}),
    ):
        with pytest.raises(ValueError):
            webhooks.deliver(body)


def test_a_deleted_webhooks_queued_delivery_fails_without_sending(store):
    hook, _ = standard(events=["campaign.submitted"])
    draft, submitted = submit()
    emit_change(draft, submitted)
    webhooks.delete_webhook(LEADER, hook.id)
    assert pump(store) == ["failed"] and store.outbound.sent == []
    with pytest.raises(NotFound):
        webhooks.get_webhook(LEADER, hook.id)


def test_a_host_that_now_resolves_privately_is_refused_at_delivery(store):
    hook, _ = standard(events=["campaign.submitted"])
    store.outbound.hosts["hooks.example.com"] = ["169.254.169.254"]  # DNS rebinding
    draft, submitted = submit()
    emit_change(draft, submitted)
    assert pump(store) == ["pending"]
    assert store.outbound.sent == []
    d = repos.webhooks().deliveries("CN", hook.id, None, PageRequest()).items[0]
    assert d.last_status_code is None and "169.254.169.254" in d.last_error and "metadata" in d.last_error


def test_after_a_rotation_both_secrets_sign_for_a_day(store, monkeypatch):
    hook, old = standard(events=["campaign.submitted"])
    rotated, new = webhooks.rotate_secret(FINANCE, hook.id)
    assert new != old and rotated.rotated_at is not None
    assert webhooks.current_secret(LEADER, hook.id) == new
    draft, submitted = submit()
    emit_change(draft, submitted)
    pump(store)
    request = store.outbound.sent[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert verify(old, request) == verify(new, request)  # a receiver with either secret accepts it
    monkeypatch.setattr(webhooks, "now_iso", lambda: hooks.later(rotated.rotated_at, 24 * 3600 + 1))
    d2, s2 = submit(title="next day")
    emit_change(d2, s2)
    pump(store)
    request = store.outbound.sent[-1]
    # a day later (the library's check of the time would refuse a test's clock): the new secret alone
    at = dt.datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), dt.UTC)
    signature = request.headers["webhook-signature"]
    assert signature == Verifier(new).sign(request.headers["webhook-id"], at, request.body)
    assert Verifier(old).sign(request.headers["webhook-id"], at, request.body) not in signature


def test_only_a_standard_webhooks_secret_rotates(store):
    hook, shown = webhooks.create_webhook(
        LEADER, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", ["campaign.submitted"], "wecom"
    )
    assert shown is None and hook.secrets == ()
    with pytest.raises(Conflict) as err:
        webhooks.rotate_secret(LEADER, hook.id)
    assert err.value.code == "secret_not_rotatable"


def test_a_wecom_robot_gets_a_chinese_markdown_message_naming_campaign_person_and_amount(store, monkeypatch):
    dt_replace_settings(monkeypatch, console_url="https://console.huixiang.example/console/")
    webhooks.create_webhook(
        LEADER, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", ["campaign.submitted"], "wecom"
    )
    draft, submitted = submit()
    emit_change(draft, submitted)
    assert pump(store) == ["delivered"]
    (request,) = store.outbound.sent
    assert request.target.path == "/cgi-bin/webhook/send?key=abc" and "webhook-signature" not in request.headers
    message = json.loads(request.body)
    assert message["msgtype"] == "markdown" and set(message["markdown"]) == {"content"}
    content = message["markdown"]["content"]
    assert "待审批：Weekend tasting at Suguo" in content
    assert "Li Lei" in content and "¥3,000.00" in content and "Suguo Xinjiekou" in content
    assert f"https://console.huixiang.example/console/#/approvals/{submitted.id}" in content


def test_a_dingtalk_robot_gets_title_and_text_signed_with_its_secret(store, monkeypatch):
    secret = "SEC" + "0123456789abcdef" * 4
    hook, shown = webhooks.create_webhook(
        LEADER,
        "https://oapi.dingtalk.com/robot/send?access_token=tok123",
        ["campaign.submitted"],
        "dingtalk",
        secret=secret,
    )
    assert shown is None and present.webhook(hook)["signed"] is True
    assert secret not in json.dumps([s.sealed for s in repos.webhooks().get("CN", hook.id).secrets])
    draft, submitted = submit()
    emit_change(draft, submitted)
    pump(store)
    (request,) = store.outbound.sent
    message = json.loads(request.body)
    assert message["msgtype"] == "markdown" and message["markdown"]["title"].startswith("待审批：")
    assert "¥3,000.00" in message["markdown"]["text"]
    path, query = request.target.path.split("?", 1)
    params = urllib.parse.parse_qs(query)
    assert path == "/robot/send" and params["access_token"] == ["tok123"]  # the URL's own query is kept
    timestamp = params["timestamp"][0]
    # DingTalk's documented check: base64 HMAC-SHA256 keyed by the secret over "<timestamp>\n<secret>"
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert params["sign"] == [expected]
    assert f"sign={urllib.parse.quote_plus(expected)}" in query  # URL-encoded in the query
    assert abs(int(timestamp) / 1000 - dt.datetime.now(dt.UTC).timestamp()) < 60
