"""Webhooks and their deliveries (DynamoDB, the webhooks table).

| item | pk | sk | by_status status_key |
|---|---|---|---|
| webhook | `hook#<tenant>` | webhook id | |
| delivery | `dlv#<tenant>\\|<webhook id>` | event id (sorts by the fact's time) | `<tenant>\\|<webhook id>\\|<status>` |

An item's fields live in `data` (JSON); beside it are the attributes its writes are
conditional on. A delivery is put only if absent (one per webhook and event, however often
its event is seen); an attempt is claimed by a conditional update (pending, the attempt
number, no unexpired lease) and its outcome written only by the lease's owner. Deliveries
expire by TTL (`expires_at`, HUIXIANG_WEBHOOK_DELIVERY_DAYS after the event).
"""

from __future__ import annotations

import builtins
import json
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from chalicelib.config import settings
from chalicelib.dal.models import WebhookModel as W
from chalicelib.dal.paging import (
    BAD_CURSOR,
    decode_cursor,
    encode_cursor,
    fingerprint,
    from_dynamo_key,
    to_dynamo_key,
)
from chalicelib.domain.audit import Person
from chalicelib.domain.errors import InvalidInput, StaleWrite
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.domain.webhooks import Attempt, Delivery, SealedSecret, Webhook, unix_seconds


def hook_pk(tenant: str) -> str:
    return f"hook#{tenant}"


def delivery_pk(tenant: str, webhook_id: str) -> str:
    return f"dlv#{tenant}|{webhook_id}"


def status_key(tenant: str, webhook_id: str, status: str) -> str:
    return f"{tenant}|{webhook_id}|{status}"


# -- items <-> domain ------------------------------------------------------------------------
def hook_data(h: Webhook) -> str:
    return json.dumps(
        {
            "url": h.url,
            "events": list(h.events),
            "format": h.format,
            "org": h.org,
            "description": h.description,
            "created_at": h.created_at,
            "created_by": h.created_by.as_dict(),
            "secrets": [
                {"sealed": s.sealed, "created_at": s.created_at, "retires_at": s.retires_at} for s in h.secrets
            ],
            "rotated_at": h.rotated_at,
        },
        ensure_ascii=False,
    )


def hook_from(tenant: str, webhook_id: str, data: str, version: int) -> Webhook:
    d = json.loads(data)
    return Webhook(
        id=webhook_id,
        tenant=tenant,
        url=d["url"],
        events=tuple(d["events"]),
        format=d["format"],
        org=d["org"],
        created_at=d["created_at"],
        created_by=Person.from_dict(d["created_by"]),
        description=d.get("description"),
        secrets=tuple(SealedSecret(s["sealed"], s["created_at"], s.get("retires_at")) for s in d.get("secrets", [])),
        rotated_at=d.get("rotated_at"),
        version=version,
    )


def delivery_data(d: Delivery) -> str:
    return json.dumps(
        {
            "event_type": d.event_type,
            "body": d.body,
            "created_at": d.created_at,
            "round_start": d.round_start,
            "next_attempt_at": d.next_attempt_at,
            "last_status_code": d.last_status_code,
            "last_error": d.last_error,
            "delivered_at": d.delivered_at,
            "log": [a.as_dict() for a in d.log],
        },
        ensure_ascii=False,
    )


def delivery_from(tenant: str, webhook_id: str, m: W) -> Delivery:
    d = json.loads(m.data)
    return Delivery(
        id=m.sk,
        tenant=tenant,
        webhook_id=webhook_id,
        event_type=d["event_type"],
        body=d["body"],
        created_at=d["created_at"],
        status=m.status or "pending",
        attempts=int(m.attempts or 0),
        round_start=int(d.get("round_start", 0)),
        next_attempt_at=d.get("next_attempt_at"),
        last_status_code=d.get("last_status_code"),
        last_error=d.get("last_error"),
        delivered_at=d.get("delivered_at"),
        log=tuple(Attempt(**a) for a in d.get("log", [])),
        lease_owner=m.lease_owner,
        lease_until=m.lease_until,
    )


def _start(cursor: str | None, attrs: set[str], fp: str, pk: str) -> dict[str, str] | None:
    """Where a page starts: a cursor this list issued, for this partition (a forged one naming
    another would make DynamoDB refuse the Query: a 400 here, never a 500)."""
    start = decode_cursor(cursor, attrs, fp)
    if start is not None and start["pk"] != pk:
        raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
    return start


def _condition_failed(exc: PutError | UpdateError | DeleteError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


def _save_state(d: Delivery, more: list[Any], condition: Any) -> bool:
    """A delivery's state (its data, status and status index key) and `more`, written if
    `condition` holds; False when it does not."""
    try:
        W(delivery_pk(d.tenant, d.webhook_id), d.id).update(
            actions=[
                W.data.set(delivery_data(d)),
                W.status.set(d.status),
                W.status_key.set(status_key(d.tenant, d.webhook_id, d.status)),
                *more,
            ],
            condition=condition,
        )
    except UpdateError as exc:
        if _condition_failed(exc):
            return False
        raise
    return True


class WebhookRepository:
    # -- webhooks --------------------------------------------------------------------------------
    def insert(self, hook: Webhook) -> None:
        try:
            W(hook_pk(hook.tenant), hook.id, data=hook_data(hook), version=0).save(condition=W.pk.does_not_exist())
        except PutError as exc:
            if _condition_failed(exc):
                raise StaleWrite(hook.id) from None
            raise

    def get(self, tenant: str, webhook_id: str) -> Webhook | None:
        try:
            m = W.get(hook_pk(tenant), webhook_id, consistent_read=True)
        except DoesNotExist:
            return None
        return hook_from(tenant, webhook_id, m.data, int(m.version or 0))

    def list(self, tenant: str, page: PageRequest) -> Page[Webhook]:
        """A company's webhooks, newest first."""
        fp = fingerprint("webhooks", tenant)
        start = _start(page.cursor, {"pk", "sk"}, fp, pk=hook_pk(tenant))
        result = W.query(
            hook_pk(tenant),
            scan_index_forward=False,
            limit=page.limit,
            page_size=page.limit,
            last_evaluated_key=to_dynamo_key(start),
        )
        items = [hook_from(tenant, m.sk, m.data, int(m.version or 0)) for m in result]
        return Page(items=items, next_cursor=encode_cursor(from_dynamo_key(result.last_evaluated_key), fp))

    def of_company(self, tenant: str) -> builtins.list[Webhook]:
        return [hook_from(tenant, m.sk, m.data, int(m.version or 0)) for m in W.query(hook_pk(tenant))]

    def save_secrets(self, hook: Webhook, secrets: tuple[SealedSecret, ...], rotated_at: str) -> None:
        changed = Webhook(**{**vars(hook), "secrets": secrets, "rotated_at": rotated_at})
        try:
            W(hook_pk(hook.tenant), hook.id).update(
                actions=[W.data.set(hook_data(changed)), W.version.set(hook.version + 1)],
                condition=W.version == hook.version,
            )
        except UpdateError as exc:
            if _condition_failed(exc):
                raise StaleWrite(hook.id) from None
            raise

    def delete(self, tenant: str, webhook_id: str) -> None:
        W(hook_pk(tenant), webhook_id).delete()

    # -- deliveries ------------------------------------------------------------------------------
    def add_delivery(self, delivery: Delivery) -> bool:
        d = delivery
        expires = unix_seconds(d.created_at) + settings().webhook_delivery_days * 86400
        item = W(
            delivery_pk(d.tenant, d.webhook_id),
            d.id,
            data=delivery_data(d),
            status=d.status,
            status_key=status_key(d.tenant, d.webhook_id, d.status),
            attempts=d.attempts,
            expires_at=expires,
        )
        try:
            item.save(condition=W.pk.does_not_exist())
        except PutError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def delivery(self, tenant: str, webhook_id: str, delivery_id: str) -> Delivery | None:
        try:
            m = W.get(delivery_pk(tenant, webhook_id), delivery_id, consistent_read=True)
        except DoesNotExist:
            return None
        return delivery_from(tenant, webhook_id, m)

    def deliveries(self, tenant: str, webhook_id: str, status: str | None, page: PageRequest) -> Page[Delivery]:
        fp = fingerprint("deliveries", tenant, webhook_id, status)
        attrs = {"pk", "sk"} | ({"status_key"} if status else set())
        start = _start(page.cursor, attrs, fp, pk=delivery_pk(tenant, webhook_id))
        if start is not None and status and start["status_key"] != status_key(tenant, webhook_id, status):
            raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
        kwargs: dict[str, Any] = {
            "scan_index_forward": False,
            "limit": page.limit,
            "page_size": page.limit,
            "last_evaluated_key": to_dynamo_key(start),
        }
        result = (
            W.by_status.query(status_key(tenant, webhook_id, status), **kwargs)
            if status
            else W.query(delivery_pk(tenant, webhook_id), **kwargs)
        )
        items = [delivery_from(tenant, webhook_id, m) for m in result]
        return Page(items=items, next_cursor=encode_cursor(from_dynamo_key(result.last_evaluated_key), fp))

    def claim(
        self, tenant: str, webhook_id: str, delivery_id: str, attempt: int, owner: str, now: str, until: str
    ) -> Delivery | None:
        m = W(delivery_pk(tenant, webhook_id), delivery_id)
        try:
            m.update(
                actions=[W.lease_owner.set(owner), W.lease_until.set(until)],
                condition=(W.status == "pending")
                & (W.attempts == attempt)
                & (W.lease_until.does_not_exist() | (W.lease_until < now)),
            )
        except UpdateError as exc:
            if _condition_failed(exc):
                return None
            raise
        return delivery_from(tenant, webhook_id, m)

    def record(self, delivery: Delivery, owner: str) -> bool:
        d = delivery
        return _save_state(
            d,
            [W.attempts.set(d.attempts), W.lease_owner.remove(), W.lease_until.remove()],
            (W.lease_owner == owner) & (W.attempts == d.attempts - 1),
        )

    def restart(self, delivery: Delivery) -> bool:
        return _save_state(delivery, [], W.status == "failed")
