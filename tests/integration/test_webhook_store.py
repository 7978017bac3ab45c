"""The webhook repository, the secret box and the delivery queue against moto (DynamoDB, KMS,
SQS) and in memory, side by side: the use-case tests (tests/unit/test_webhooks.py) run on the
in-memory ones, so each condition must hold the same in both."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

import pytest

from chalicelib.dal.storage import DynamoStorage
from chalicelib.domain.audit import Person
from chalicelib.domain.errors import InvalidInput, StaleWrite
from chalicelib.domain.ids import new_id
from chalicelib.domain.pages import PageRequest
from chalicelib.domain.webhooks import Attempt, Delivery, SealedSecret, Webhook, event_id, later

NOW = "2026-11-20T08:00:00.000Z"


@pytest.fixture
def tenant() -> str:
    return f"W{uuid.uuid4().hex[:8].upper()}"


def hook(tenant: str, **kw) -> Webhook:
    base = dict(
        id=new_id(),
        tenant=tenant,
        url="https://hooks.example.com/x?k=1",
        events=("campaign.submitted", "campaign.approved"),
        format="standard",
        org=tenant,
        created_at=NOW,
        created_by=Person("lead-1", "Sun Qi"),
        description="ERP",
        secrets=(SealedSecret("c2VhbGVk", NOW),),
    )
    base.update(kw)
    return Webhook(**base)


def delivery(h: Webhook, fact: str, at: str = NOW, **kw) -> Delivery:
    base = dict(
        id=event_id(fact, at),
        tenant=h.tenant,
        webhook_id=h.id,
        event_type="campaign.submitted",
        body='{"type":"campaign.submitted"}',
        created_at=at,
        next_attempt_at=at,
    )
    base.update(kw)
    return Delivery(**base)


def test_a_webhook_round_trips_and_is_listed_newest_first(store, tenant):
    a = hook(tenant, id=new_id(1_800_000_000_000))
    b = hook(tenant, id=new_id(1_800_000_000_001), format="wecom", secrets=(), description=None)  # made later
    store.webhooks.insert(a)
    store.webhooks.insert(b)
    assert store.webhooks.get(tenant, a.id) == a
    assert store.webhooks.get(tenant, b.id) == b
    assert store.webhooks.get("OTHER", a.id) is None
    page = store.webhooks.list(tenant, PageRequest(limit=1))
    assert [h.id for h in page.items] == [b.id] and page.next_cursor
    rest = store.webhooks.list(tenant, PageRequest(limit=1, cursor=page.next_cursor))
    assert [h.id for h in rest.items] == [a.id]
    assert sorted(h.id for h in store.webhooks.of_company(tenant)) == sorted([a.id, b.id])
    with pytest.raises(StaleWrite):
        store.webhooks.insert(a)
    with pytest.raises(InvalidInput):  # another company's cursor
        store.webhooks.list("OTHER", PageRequest(cursor=page.next_cursor))


def test_a_rotation_written_on_a_stale_read_is_refused(store, tenant):
    h = hook(tenant)
    store.webhooks.insert(h)
    first, second = store.webhooks.get(tenant, h.id), store.webhooks.get(tenant, h.id)
    first.rotate("bmV3", later(NOW, 60))
    store.webhooks.save_secrets(first, first.secrets, first.rotated_at)
    second.rotate("b3RoZXI=", later(NOW, 61))
    with pytest.raises(StaleWrite):
        store.webhooks.save_secrets(second, second.secrets, second.rotated_at)
    back = store.webhooks.get(tenant, h.id)
    assert [s.sealed for s in back.secrets] == ["bmV3", "c2VhbGVk"] and back.version == 1
    assert back.secrets[1].retires_at == later(later(NOW, 60), 24 * 3600)


def test_a_delivery_is_put_once_per_webhook_and_event(store, tenant):
    h = hook(tenant)
    store.webhooks.insert(h)
    d = delivery(h, "campaign.submitted:C1:2")
    assert store.webhooks.add_delivery(d) is True
    assert store.webhooks.add_delivery(replace(d, body="other")) is False
    assert store.webhooks.delivery(tenant, h.id, d.id) == d
    other = hook(tenant)
    assert store.webhooks.add_delivery(replace(d, webhook_id=other.id)) is True  # another webhook: its own


def test_an_attempt_is_leased_to_one_claimant_and_written_by_it_only(store, tenant):
    h = hook(tenant)
    d = delivery(h, "campaign.submitted:C2:2")
    store.webhooks.add_delivery(d)
    until = later(NOW, 60)
    first = store.webhooks.claim(tenant, h.id, d.id, 0, "one", NOW, until)
    assert first is not None and first.lease_owner == "one"
    assert store.webhooks.claim(tenant, h.id, d.id, 0, "two", later(NOW, 30), until) is None  # leased
    assert store.webhooks.claim(tenant, h.id, d.id, 1, "two", later(NOW, 61), until) is None  # not its attempt
    taken = store.webhooks.claim(tenant, h.id, d.id, 0, "two", later(NOW, 61), later(NOW, 121))  # expired
    assert taken is not None and taken.lease_owner == "two"
    first.record(Attempt(NOW, 500, "HTTP 500", 12), [10])
    assert store.webhooks.record(first, "one") is False  # its lease was taken
    taken.record(Attempt(later(NOW, 61), 204, None, 9), [10])
    assert store.webhooks.record(taken, "two") is True
    back = store.webhooks.delivery(tenant, h.id, d.id)
    assert (back.status, back.attempts, back.last_status_code, back.lease_owner) == ("delivered", 1, 204, None)
    assert back.log == (Attempt(later(NOW, 61), 204, None, 9),)
    assert store.webhooks.record(taken, "two") is False  # written once
    assert store.webhooks.claim(tenant, h.id, d.id, 1, "three", later(NOW, 200), until) is None  # delivered


def test_deliveries_list_newest_event_first_by_status_and_only_failed_ones_restart(store, tenant):
    h = hook(tenant)
    made = [delivery(h, f"campaign.submitted:C{n}:2", later(NOW, n)) for n in range(3)]
    for d in made:
        store.webhooks.add_delivery(d)
    failed = store.webhooks.claim(tenant, h.id, made[0].id, 0, "me", NOW, later(NOW, 60))
    failed.record(Attempt(NOW, None, "connection refused", 3), [])
    assert store.webhooks.record(failed, "me")
    every = store.webhooks.deliveries(tenant, h.id, None, PageRequest(limit=2))
    assert [d.id for d in every.items] == [made[2].id, made[1].id] and every.next_cursor
    rest = store.webhooks.deliveries(tenant, h.id, None, PageRequest(limit=2, cursor=every.next_cursor))
    assert [d.id for d in rest.items] == [made[0].id]
    assert [d.id for d in store.webhooks.deliveries(tenant, h.id, "failed", PageRequest()).items] == [made[0].id]
    assert len(store.webhooks.deliveries(tenant, h.id, "pending", PageRequest()).items) == 2
    with pytest.raises(InvalidInput):  # a cursor of another list
        store.webhooks.deliveries(tenant, h.id, "failed", PageRequest(cursor=every.next_cursor))
    pending = store.webhooks.delivery(tenant, h.id, made[1].id)
    pending.restart(NOW)
    assert store.webhooks.restart(pending) is False
    failed = store.webhooks.delivery(tenant, h.id, made[0].id)
    failed.restart(later(NOW, 5))
    assert store.webhooks.restart(failed) is True
    back = store.webhooks.delivery(tenant, h.id, made[0].id)
    assert (back.status, back.round_start, back.next_attempt_at) == ("pending", 1, later(NOW, 5))
    assert store.webhooks.deliveries(tenant, h.id, "failed", PageRequest()).items == []


def test_a_deleted_webhook_is_gone(store, tenant):
    h = hook(tenant)
    store.webhooks.insert(h)
    store.webhooks.delete(tenant, h.id)
    assert store.webhooks.get(tenant, h.id) is None and store.webhooks.of_company(tenant) == []


def test_a_sealed_secret_is_not_the_secret_and_opens_under_its_own_context_only(store):
    secret = "whsec_" + "QUJD" * 10
    context = {"company": "T1", "webhook": "W1"}
    sealed = store.secret_box.seal(secret, context)
    assert secret not in sealed and "QUJD" not in sealed
    assert store.secret_box.open(sealed, context) == secret
    with pytest.raises(Exception):  # noqa: B017 - KMS's InvalidCiphertextException, or the fake's ValueError
        store.secret_box.open(sealed, {"company": "T1", "webhook": "W2"})


def test_tickets_go_to_the_delivery_queue_with_their_delay(monkeypatch):
    import boto3

    from chalicelib.dal import queue

    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=f"tickets-{uuid.uuid4().hex[:12]}")["QueueUrl"]  # of its own: nothing left behind
    monkeypatch.setattr(queue, "queue_url", lambda: url)
    DynamoStorage().delivery_queue.send({"n": 1}, 0)
    DynamoStorage().delivery_queue.send({"n": 2}, 5000)  # capped at SQS's 15 minutes
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    assert [json.loads(m["Body"]) for m in got] == [{"n": 1}]  # the delayed one is not visible yet
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"
    sqs.delete_queue(QueueUrl=url)
