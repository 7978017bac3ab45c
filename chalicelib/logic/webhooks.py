"""Events out: a company's webhooks, the events its facts make, and their deliveries.

* Managing (leader, finance): create (the URL checked, after DNS, against every address a
  delivery must never reach; a standard webhook's secret made here, shown once, stored sealed),
  list, read, delete, rotate a standard secret (both sign for 24 h), list deliveries, retry a
  failed one by hand.
* Emitting (the stream functions, one call per record, beside their other work): a fact seen on
  a stream (a campaign's status or settlement moving, a feedback revision inserted, a report
  compiled) is an event whose id derives from the fact; each webhook of the company that wants
  it gets one delivery, put only if absent, and a ticket on the delivery queue. A redelivered
  record finds its deliveries there and sends nothing twice.
* Delivering (the delivery function, per queue message): claim the attempt (a conditional
  lease: two copies of one message never send at once), check the URL's addresses again,
  send, record the attempt, and queue the next one after a growing delay, or mark the
  delivery delivered or failed. A ticket that comes early (SQS delays 15 minutes at most) is
  sent on for what remains.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from chalicelib.clock import now_iso
from chalicelib.config import settings
from chalicelib.dal import images, repos
from chalicelib.domain import access, invoices
from chalicelib.domain import org as orgs
from chalicelib.domain import webhooks as hooks
from chalicelib.domain.access import Principal
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.feedback import FeedbackReport
from chalicelib.domain.ids import new_id
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.domain.webhooks import Answer, Attempt, Delivery, Event, Outgoing, SealedSecret, Ticket, Webhook
from chalicelib.logic import retry_on_stale
from chalicelib.logic.reports import present_report
from chalicelib.observability import count, logger
from chalicelib.reporting.chat import robot_message

View = Mapping[str, Any]
CampaignView = Callable[[Campaign], View]
FeedbackView = Callable[[FeedbackReport, Campaign], View]
Image = Mapping[str, Any]


# -- managing webhooks -----------------------------------------------------------------------------
def create_webhook(
    principal: Principal,
    url: str,
    events: Sequence[str],
    fmt: str = "standard",
    description: str | None = None,
    secret: str | None = None,
    org: str | None = None,
) -> tuple[Webhook, str | None]:
    """A webhook of the caller's company, and the secret to show once (a standard webhook's;
    None for a robot's). Every refusal is a 400 naming its field."""
    access.require(principal, "webhook.manage")
    if fmt not in hooks.FORMATS:
        raise InvalidInput.field("format", "not_one_of", "unknown format", choices=list(hooks.FORMATS))
    wanted = hooks.check_events(events)
    robot_secret = hooks.check_secret(fmt, secret)
    scope = _scope(principal, org)
    reachable(url)
    now = now_iso()
    hook = Webhook(
        id=new_id(),
        tenant=principal.tenant,
        url=url,
        events=wanted,
        format=fmt,
        org=scope,
        created_at=now,
        created_by=principal.person,
        description=description,
    )
    shown = hooks.new_standard_secret() if fmt == "standard" else None
    plaintext = shown or robot_secret
    if plaintext is not None:
        hook.secrets = (SealedSecret(repos.secret_box().seal(plaintext, _context(hook)), now),)
    repos.webhooks().insert(hook)
    logger().info("webhook created", extra={"webhook_id": hook.id, "tenant": hook.tenant, "format": fmt})
    return hook, shown


def _scope(principal: Principal, org: str | None) -> str:
    """The subtree a webhook hears about: the company unless `org` narrows it (400 outside it)."""
    if org is None:
        return principal.tenant
    if not orgs.is_valid_org(org):
        raise InvalidInput.field("org", "not_an_org", "must be an org path such as CN/EAST/JS")
    if orgs.tenant_of(org) != principal.tenant:
        raise InvalidInput.field("org", "outside_company", "must lie inside your company")
    return org


def reachable(url: str) -> tuple[hooks.Target, list[str]]:
    """Where `url` points, and the addresses a delivery may connect to now (400 naming `url`
    when it may reach none of them)."""
    target = hooks.check_url(url, settings().webhook_allow_local_http)
    try:
        addresses = repos.outbound().resolve(target.host, target.port)
    except LookupError:
        addresses = []
    return target, hooks.check_addresses(target, addresses)


def _context(hook: Webhook) -> dict[str, str]:
    """What a webhook's sealed secret is bound to: it opens for this webhook of this company only."""
    return {"company": hook.tenant, "webhook": hook.id}


def _load(principal: Principal, webhook_id: str) -> Webhook:
    access.require(principal, "webhook.manage")
    hook = repos.webhooks().get(principal.tenant, webhook_id) if _is_id(webhook_id) else None
    if hook is None:
        raise NotFound(f"webhook {webhook_id} does not exist")
    return hook


def _is_id(value: str) -> bool:
    return 0 < len(value) <= 64 and value.isascii() and value.replace("_", "").isalnum()


def list_webhooks(principal: Principal, page: PageRequest) -> Page[Webhook]:
    access.require(principal, "webhook.manage")
    return repos.webhooks().list(principal.tenant, page)


def get_webhook(principal: Principal, webhook_id: str) -> Webhook:
    return _load(principal, webhook_id)


def delete_webhook(principal: Principal, webhook_id: str) -> None:
    """Gone at once; a delivery still queued for it fails (`the webhook was deleted`) when its
    ticket comes, and the deliveries' records expire with their TTL."""
    hook = _load(principal, webhook_id)
    repos.webhooks().delete(hook.tenant, hook.id)


def rotate_secret(principal: Principal, webhook_id: str) -> tuple[Webhook, str]:
    """A new secret for a standard webhook, shown once; the one it replaces keeps signing beside
    it for 24 hours, so a receiver can change over without losing a delivery."""

    def attempt() -> tuple[Webhook, str]:
        hook = _load(principal, webhook_id)
        if hook.format != "standard":
            raise Conflict(
                f"only a standard webhook's secret is the server's to rotate (this one is {hook.format})",
                code="secret_not_rotatable",
                params={"format": hook.format},
            )
        secret, now = hooks.new_standard_secret(), now_iso()
        hook.rotate(repos.secret_box().seal(secret, _context(hook)), now)
        repos.webhooks().save_secrets(hook, hook.secrets, now)
        return hook, secret

    return retry_on_stale(attempt)


def current_secret(principal: Principal, webhook_id: str) -> str | None:
    """A standard webhook's signing secret as it stands (None for a robot's, or once deleted):
    what creating or rotating it shows, opened again for each answer, a replayed one included."""
    try:
        hook = _load(principal, webhook_id)
    except NotFound:
        return None
    if hook.format != "standard" or not hook.secrets:
        return None
    return repos.secret_box().open(hook.secrets[0].sealed, _context(hook))


def list_deliveries(principal: Principal, webhook_id: str, status: str | None, page: PageRequest) -> Page[Delivery]:
    """A webhook's deliveries, newest event first; `status`: pending, delivered or failed only."""
    hook = _load(principal, webhook_id)
    if status is not None and status not in hooks.DELIVERY_STATUSES:
        choices = list(hooks.DELIVERY_STATUSES)
        raise InvalidInput.field("status", "not_one_of", f"must be one of: {', '.join(choices)}", choices=choices)
    return repos.webhooks().deliveries(hook.tenant, hook.id, status, page)


def retry_delivery(principal: Principal, webhook_id: str, delivery_id: str) -> Delivery:
    """A failed delivery tried again at once, on a new retry schedule (409 unless failed)."""
    hook = _load(principal, webhook_id)
    store = repos.webhooks()
    found = store.delivery(hook.tenant, hook.id, delivery_id) if hooks.EVENT_ID.match(delivery_id) else None
    if found is None:
        raise NotFound(f"delivery {delivery_id} of webhook {webhook_id} does not exist")
    if found.status != "failed" or not _restart(found):
        current = store.delivery(hook.tenant, hook.id, delivery_id) or found
        raise Conflict(
            f"only a failed delivery is retried by hand (this one is {current.status})",
            code="delivery_not_failed",
            params={"status": current.status},
        )
    _enqueue(Ticket(hook.tenant, hook.id, found.id, found.attempts, found.next_attempt_at or now_iso()))
    return found


def _restart(d: Delivery) -> bool:
    d.restart(now_iso())
    return repos.webhooks().restart(d)


# -- emitting: facts become events, events become deliveries -----------------------------------------
def emit(events: Sequence[Event]) -> int:
    """One delivery per (webhook, event) for every webhook of the company that wants the event;
    returns how many were new. A delivery seen before (a redelivered record) is left alone,
    but its first ticket is queued again while it has not been tried (the first time may have
    failed between the two writes)."""
    if not events:
        return 0
    subscribers = repos.webhooks().of_company(events[0].tenant)
    made = 0
    for event in events:
        for hook in subscribers:
            if hook.wants(event.type, event.org):
                made += _deliver_later(hook, event)
    if made:
        count("WebhookEvents", made)
    return made


def _deliver_later(hook: Webhook, event: Event) -> int:
    store, now = repos.webhooks(), now_iso()
    delivery = Delivery(
        id=event.id,
        tenant=hook.tenant,
        webhook_id=hook.id,
        event_type=event.type,
        body=event.body(),
        created_at=now,
        next_attempt_at=now,
    )
    made = 1
    if not store.add_delivery(delivery):
        seen = store.delivery(hook.tenant, hook.id, event.id)
        if seen is None or seen.status != "pending" or seen.attempts != 0:
            return 0
        made = 0
    _enqueue(Ticket(hook.tenant, hook.id, event.id, 0, now))
    return made


def _wanted_by_anyone(tenant: str, types: Sequence[str]) -> bool:
    return any(t in hook.events for hook in repos.webhooks().of_company(tenant) for t in types)


def campaign_changed(old: Campaign | None, new: Campaign, view: CampaignView) -> int:
    """The events of one campaign change (status into submitted, approved, rejected,
    cancelled; settlement into unlocked or reimbursed), each keyed on the campaign, the event
    and the version the change wrote; and `invoice.claimed` for each invoice the change
    claimed (a claim is written with its campaign, in one transaction), keyed on the invoice."""
    types = hooks.campaign_event_types(
        old.status if old else None,
        new.status,
        old.reimbursement_status if old else None,
        new.reimbursement_status,
    )
    claimed = invoices.newly_claimed(old.invoices if old else [], new.invoices)
    if not types and not claimed:
        return 0
    data = view(new)
    events = [_campaign_event(t, f"{new.id}:{new.version}", new.updated_at, new, data) for t in types]
    tenant = orgs.tenant_of(new.org)
    for ref in claimed:
        invoice = {"id": ref.id, "key": ref.key, "amount": ref.amount}
        events.append(
            _campaign_event("invoice.claimed", f"{tenant}:{ref.id}", new.updated_at, new, {**data, "invoice": invoice})
        )
    return emit(events)


def _campaign_event(event_type: str, fact: str, at: str, campaign: Campaign, data: Mapping[str, Any]) -> Event:
    """An event about a campaign; its id derives from the event's type, `fact` (what makes this
    fact this one and no other) and when it happened."""
    tenant = orgs.tenant_of(campaign.org)
    return Event(hooks.event_id(f"{event_type}:{fact}", at), event_type, at, tenant, campaign.org, data)


def _text(image: Image | None, name: str) -> str | None:
    value = (image or {}).get(name)
    return value.get("S") if isinstance(value, Mapping) else None


def campaign_item_changed(old_image: Image | None, new_image: Image | None, view: CampaignView) -> int:
    """The campaigns stream's record (DynamoDB JSON images): decoded only when its status or
    settlement moved and a webhook of the company wants what it makes."""
    if new_image is None:
        return 0
    types = hooks.campaign_event_types(
        _text(old_image, "status"),
        _text(new_image, "status") or "",
        _text(old_image, "reimbursement_status"),
        _text(new_image, "reimbursement_status") or "",
    )
    if _text(old_image, "invoices_json") != _text(new_image, "invoices_json"):
        types = [*types, "invoice.claimed"]  # perhaps: the decoded images tell
    tenant = _text(new_image, "tenant")
    if not types or tenant is None or not _wanted_by_anyone(tenant, types):
        return 0
    new = images.campaign(new_image)
    assert new is not None  # a new image is a campaign
    return campaign_changed(images.campaign(old_image), new, view)


def feedback_submitted(report: FeedbackReport, campaign: Campaign, view: CampaignView, feedback: FeedbackView) -> int:
    """`feedback.submitted`, once per revision: the campaign, with the revision beside it."""
    at = report.submitted_at or campaign.updated_at
    data = {**view(campaign), "feedback_report": feedback(report, campaign)}
    return emit([_campaign_event("feedback.submitted", f"{campaign.id}:{report.revision}", at, campaign, data)])


def feedback_item_inserted(image: Image, view: CampaignView, feedback: FeedbackView) -> int:
    """The feedback stream's INSERT: a submitted revision (not a draft) makes its event."""
    report = images.feedback_report(image)
    if report is None or report.status != "submitted":
        return 0
    campaign = repos.campaigns().get(report.campaign_id)
    if campaign is None:
        raise LookupError(f"feedback revision {report.revision} names unknown campaign {report.campaign_id}")
    if not _wanted_by_anyone(orgs.tenant_of(campaign.org), ["feedback.submitted"]):
        return 0
    return feedback_submitted(report, campaign, view, feedback)


def report_item_changed(old_image: Image | None, new_image: Image | None, at: str) -> int:
    """The reports stream's MODIFY of a report into `ready`: `report.ready`, with the report as
    GET /reports lists it (its links are short-lived; a receiver follows them from the API).
    `at`: the record's time (the same on a redelivery)."""
    if _text(new_image, "kind") != "report" or _text(new_image, "status") != "ready":
        return 0
    if _text(old_image, "status") == "ready":
        return 0
    tenant, report_id = _text(new_image, "tenant"), _text(new_image, "sk")
    if tenant is None or report_id is None or not _wanted_by_anyone(tenant, ["report.ready"]):
        return 0
    report = repos.reports().get_report(tenant, report_id)
    if report is None:
        return 0
    data = present_report(report, with_links=False)
    event_id = hooks.event_id(f"report.ready:{tenant}:{report_id}", at)
    return emit([Event(event_id, "report.ready", at, tenant, str(report["scope"]), data)])


# -- delivering ------------------------------------------------------------------------------------
def _enqueue(ticket: Ticket, now: str | None = None) -> None:
    wait = hooks.seconds_until(ticket.not_before, now or now_iso())
    delay = max(0, min(hooks.MAX_QUEUE_DELAY, int(wait + 0.999)))
    repos.delivery_queue().send(ticket.as_dict(), delay)


def retry_delays() -> tuple[int, ...]:
    return hooks.parse_delays(settings().webhook_retry_delays)


def deliver(message: str) -> str:
    """One queue message: send its delivery's attempt, if it is due and still this one's.

    Returns what happened: `deferred` (early: sent on for what remains), `skipped` (another
    copy holds the attempt, or it was made), `delivered`, `pending` (failed, retried later),
    `failed` (the schedule is spent), `lease_lost`. Raises (and the queue retries the message,
    then parks it in its dead-letter queue) only when the message is not a ticket or storage
    fails."""
    ticket = Ticket.from_dict(json.loads(message))
    now = now_iso()
    if hooks.seconds_until(ticket.not_before, now) > 0.5:
        _enqueue(ticket, now)
        return "deferred"
    store, owner = repos.webhooks(), uuid.uuid4().hex
    until = hooks.later(now, hooks.LEASE_SECONDS)
    delivery = store.claim(ticket.tenant, ticket.webhook_id, ticket.delivery_id, ticket.attempt, owner, now, until)
    if delivery is None:
        return _not_claimed(ticket, now)
    hook = store.get(ticket.tenant, ticket.webhook_id)
    delays: tuple[int, ...]
    if hook is None:
        answer, delays = Answer(None, "the webhook was deleted", 0), ()
    else:
        answer, delays = send(hook, delivery, now), retry_delays()
    delivery.record(
        Attempt(now, answer.status_code, answer.error, answer.duration_ms), delays, random.random() * hooks.JITTER
    )
    if delivery.status == "pending" and delivery.next_attempt_at is not None:
        # queued before the outcome is written: if writing fails, this message comes back and the
        # attempt is made again (its lease expires first); the ticket queued here is then stale
        _enqueue(replace(ticket, attempt=delivery.attempts, not_before=delivery.next_attempt_at), now)
    if not store.record(delivery, owner):
        logger().warning("delivery lease lost", extra={"delivery_id": delivery.id, "webhook_id": ticket.webhook_id})
        return "lease_lost"
    _count(delivery, answer)
    return delivery.status


def _not_claimed(ticket: Ticket, now: str) -> str:
    """A ticket whose attempt cannot be claimed: another copy holds it or made it (`skipped`),
    or it is the next attempt's, come before the failed attempt's outcome was written (the
    sender queues it first): then it is sent on a moment later while that sender's lease
    lasts (`deferred`), rather than dropped with the delivery left pending and no ticket."""
    seen = repos.webhooks().delivery(ticket.tenant, ticket.webhook_id, ticket.delivery_id)
    early = (
        seen is not None
        and seen.status == "pending"
        and seen.attempts == ticket.attempt - 1
        and seen.lease_until is not None
        and seen.lease_until > now
    )
    if not early:
        return "skipped"
    _enqueue(replace(ticket, not_before=hooks.later(now, 1)), now)
    return "deferred"


def _count(delivery: Delivery, answer: Answer) -> None:
    count("WebhookAttempts")
    if delivery.status == "delivered":
        count("WebhookDeliveries")
    elif delivery.status == "failed":
        count("WebhookDeliveriesFailed")  # alarmed (infra/template.yaml)
        logger().error(
            "webhook delivery failed for good",
            extra={"delivery_id": delivery.id, "webhook_id": delivery.webhook_id, "error": answer.error},
        )
    else:
        count("WebhookAttemptFailures")


def send(hook: Webhook, delivery: Delivery, now: str) -> Answer:
    """One attempt at `delivery` to `hook`'s URL: its addresses resolved and checked again (a
    name that now resolves somewhere private is refused, and the connection goes to the
    address checked, never to a second resolution), the body in the webhook's format."""
    try:
        target, addresses = reachable(hook.url)
    except InvalidInput as refused:
        return Answer(None, f"refused: {refused.message}", 0)
    body, headers, path = request_for(hook, delivery, target, now)
    return repos.outbound().post(
        Outgoing(replace(target, path=path), addresses[0], body, headers, settings().webhook_timeout_seconds)
    )


def request_for(hook: Webhook, delivery: Delivery, target: hooks.Target, now: str) -> tuple[bytes, dict[str, str], str]:
    """(body, headers, request path) of an attempt made now, in the webhook's format."""
    secrets = [repos.secret_box().open(s.sealed, _context(hook)) for s in hook.signing(now)]
    headers = {"Content-Type": "application/json"}
    if hook.format == "standard":
        body = delivery.body.encode("utf-8")
        headers["webhook-id"] = delivery.id
        headers["webhook-timestamp"] = str(hooks.unix_seconds(now))
        headers["webhook-signature"] = hooks.standard_signature(secrets, delivery.id, hooks.unix_seconds(now), body)
        return body, headers, target.path
    payload = json.loads(delivery.body)
    message = robot_message(hook.format, delivery.event_type, payload["data"], settings().console_url)
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    path = target.path
    if hook.format == "dingtalk" and secrets:
        path = hooks.dingtalk_signed_path(path, secrets[0], hooks.unix_seconds(now) * 1000)
    return body, headers, path
