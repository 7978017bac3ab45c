"""Events out: webhooks, the events they carry, where they may go, and how they are signed.

A webhook is a company's subscription: a URL, the event types it wants, a format (`standard`
for Standard Webhooks receivers, `wecom` and `dingtalk` for group robots), optionally an org
subtree whose campaigns it hears about. An event is a business fact seen on a table's stream
(a campaign approved, a feedback revision submitted, a report compiled); its id derives from the
fact, so a redelivered record or a replayed batch names the same event, and each (webhook,
event) is one delivery, put only if absent.

Everything here is pure: which URLs and addresses a delivery may reach (no SSRF into the
cloud's private network, checked at creation and again at every delivery, after DNS), the
Standard Webhooks signature, DingTalk's signed URL, the retry schedule. Sending, storing and
sealing secrets are the data layer's (dal/outbound.py, dal/webhooks.py, dal/secrets.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, quote, urlsplit

from chalicelib.domain import org as orgs
from chalicelib.domain.audit import Person
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.ids import ALPHABET

EVENTS = (
    "campaign.submitted",
    "campaign.approved",
    "campaign.rejected",
    "campaign.cancelled",
    "feedback.submitted",
    "settlement.unlocked",
    "campaign.reimbursed",
    "invoice.claimed",
    "report.ready",
)
FORMATS = ("standard", "wecom", "dingtalk")
DELIVERY_STATUSES = ("pending", "delivered", "failed")

MAX_URL_LENGTH = 2048
HTTPS_PORT = 443
TIMEOUT_SECONDS = 10.0  # a delivery succeeds on a 2xx within this, connecting included
RESPONSE_BYTES = 4096  # what is read of an answer (its status is what counts); the rest is never read
LEASE_SECONDS = 60  # a claimed attempt's lease: longer than the timeout, shorter than the queue's visibility
MAX_QUEUE_DELAY = 900  # SQS holds a message back at most 15 minutes: longer waits are chained
ROTATION_OVERLAP = dt.timedelta(hours=24)  # after a rotation the old secret signs this long too
MAX_SECRETS = 4  # the current secret and at most three rotated ones still in their overlap
# After the first attempt fails: growing delays (seconds) before each retry, 31.6 h in all; then `failed`.
# `HUIXIANG_WEBHOOK_RETRY_DELAYS` replaces it (the local stack compresses it to seconds).
DEFAULT_RETRY_DELAYS = (10, 60, 300, 1800, 3600, 7200, 14400, 21600, 28800, 36000)
JITTER = 0.1  # each delay grows by up to this fraction, so failures that came together spread out
ATTEMPT_LOG = 30  # the attempts a delivery keeps (the newest; the count covers them all)
STANDARD_SECRET_BYTES = 32  # the specification asks for 24 to 64 random bytes
SECRET_PREFIX = "whsec_"
DINGTALK_SECRET = re.compile(r"^SEC[A-Za-z0-9]{16,128}$")
EVENT_ID_PREFIX = "evt_"
EVENT_ID = re.compile(r"^evt_[0-9A-HJKMNP-TV-Z]{26}$")

# The addresses of cloud metadata services: link-local or unique-local already, named for the message.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "fd00:ec2::23")
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the well-known NAT64 prefix: an IPv4 address inside
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # local-use NAT64: translated to who knows where
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")
_COMPATIBLE = ipaddress.ip_network("::/96")  # the deprecated IPv4-compatible form (::a.b.c.d)


# -- webhooks ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SealedSecret:
    """A signing secret as stored: sealed by the secret box (a KMS key in production), so a
    reader of the table cannot use it. `retires_at`: after a rotation, when it stops signing."""

    sealed: str
    created_at: str
    retires_at: str | None = None

    def signs_at(self, now: str) -> bool:
        return self.retires_at is None or now < self.retires_at


@dataclass
class Webhook:
    id: str
    tenant: str
    url: str
    events: tuple[str, ...]
    format: str
    org: str  # the subtree whose campaigns (and reports) it hears about: the company by default
    created_at: str
    created_by: Person
    description: str | None = None
    secrets: tuple[SealedSecret, ...] = ()  # the current one first
    rotated_at: str | None = None
    version: int = 0  # a rotation is conditional on the version read

    def wants(self, event_type: str, org: str) -> bool:
        """Whether an event of this type about something of `org` goes to this webhook."""
        return event_type in self.events and orgs.is_within(org, self.org)

    def signing(self, now: str) -> list[SealedSecret]:
        """The secrets that sign a delivery made now: the current one, then any rotated one
        still in its overlap."""
        return [s for s in self.secrets if s.signs_at(now)]

    def rotate(self, sealed: str, now: str) -> None:
        """A new current secret; the ones signing now keep signing for ROTATION_OVERLAP."""
        until = _iso(_instant(now) + ROTATION_OVERLAP)
        kept = [
            SealedSecret(s.sealed, s.created_at, s.retires_at if s.retires_at else until) for s in self.signing(now)
        ]
        self.secrets = (SealedSecret(sealed, now), *kept[: MAX_SECRETS - 1])
        self.rotated_at = now


def check_events(events: Sequence[str]) -> tuple[str, ...]:
    """The event types asked for, each once, in the contract's order (400 naming `events`)."""
    if not events:
        raise InvalidInput.field("events", "too_few", "name at least one event", min_length=1)
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise InvalidInput.field(
            "events", "not_one_of", f"unknown event {unknown[0]!r}; one of: {', '.join(EVENTS)}", choices=list(EVENTS)
        )
    return tuple(e for e in EVENTS if e in events)


def check_secret(fmt: str, secret: str | None) -> str | None:
    """A `secret` in a body: DingTalk's robot signing secret (SEC…) only; the server makes a
    standard webhook's, and a WeCom robot's URL is its only key (400 naming `secret`)."""
    if secret is None:
        return None
    if fmt != "dingtalk":
        message = (
            "the server makes a standard webhook's secret" if fmt == "standard" else f"a {fmt} robot takes no secret"
        )
        raise InvalidInput.field("secret", "not_for_format", message, format=fmt)
    if not DINGTALK_SECRET.match(secret):
        raise InvalidInput.field(
            "secret", "bad_format", "must be the robot's signing secret (SEC…)", pattern=DINGTALK_SECRET.pattern
        )
    return secret


def new_standard_secret() -> str:
    """`whsec_` and the base64 of 32 random bytes (Standard Webhooks: 24 to 64)."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(STANDARD_SECRET_BYTES)).decode("ascii")


# -- where a delivery may go (no SSRF) -------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """A checked webhook URL: where to connect and what to ask for."""

    scheme: str
    host: str  # as written (lower case, IDNA), for DNS, TLS and the Host header
    port: int
    path: str  # path and query, as sent on the request line
    local: bool = False  # http://127.0.0.1 on the local stack

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def check_url(url: str, allow_local_http: bool = False) -> Target:
    """What a webhook URL names, or a 400 naming `url`: https only (with `allow_local_http`, the
    local stack's, also http://127.0.0.1 on any port), on port 443, no credentials, at most
    2,048 characters. Its addresses are checked separately, once resolved (`check_addresses`)."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput.field(
            "url", "too_long", f"is longer than {MAX_URL_LENGTH} characters", max_length=MAX_URL_LENGTH
        )
    if not url.isprintable() or any(ch.isspace() for ch in url) or not url.isascii():
        raise InvalidInput.field("url", "bad_format", "must be an absolute URL without spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput.field("url", "bad_format", "is not a URL") from None
    host = (parts.hostname or "").rstrip(".")
    scheme = parts.scheme.lower()
    local = allow_local_http and host == "127.0.0.1" and scheme in ("http", "https")
    if scheme != "https" and not local:
        allowed = ["https", "http://127.0.0.1"] if allow_local_http else ["https"]
        raise InvalidInput.field("url", "not_https", "must be an https URL", allowed=allowed)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidInput.field("url", "credentials_in_url", "must not carry a user name or password")
    if not host or not parts.netloc:
        raise InvalidInput.field("url", "bad_format", "must name a host")
    if port is not None and port != HTTPS_PORT and not local:
        raise InvalidInput.field(
            "url", "port_not_allowed", f"must use port {HTTPS_PORT}", port=port, allowed=[HTTPS_PORT]
        )
    return Target(
        scheme=scheme,
        host=host.lower(),
        port=port if port is not None else (HTTPS_PORT if scheme == "https" else 80),
        path=_request_path(parts),
        local=local,
    )


def _request_path(parts: SplitResult) -> str:
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def address_refusal(address: str) -> str | None:
    """Why a delivery may never connect to `address`, or None for a public address.

    IPv6 forms that carry an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d,
    NAT64 64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::) are judged by the address they carry; Teredo
    and local-use NAT64 are refused outright (where they lead cannot be told)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not_an_address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _TEREDO:
            return "teredo"
        if ip in _NAT64_LOCAL:
            return "nat64"
        inner = _carried_ipv4(ip)
        if inner is not None:
            return address_refusal(str(inner))
    if ip in METADATA_ADDRESSES:
        return "metadata"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link_local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED:
        return "shared"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "not_global"
    return None


def _carried_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _COMPATIBLE and int(ip) > 1):  # :: and ::1 are judged as themselves
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def check_addresses(target: Target, addresses: Iterable[str]) -> list[str]:
    """The addresses a delivery to `target` may connect to: every resolved address must be
    public (one that is not suggests a rebinding or a split-horizon name: 400 naming `url`).
    The local stack's http://127.0.0.1 is the one exception."""
    found = list(dict.fromkeys(addresses))
    if not found:
        raise InvalidInput.field("url", "host_unresolvable", "names a host that does not resolve", host=target.host)
    if target.local:
        return ["127.0.0.1"]
    for address in found:
        reason = address_refusal(address)
        if reason is not None:
            raise InvalidInput.field(
                "url",
                "address_not_allowed",
                f"resolves to {address} ({reason.replace('_', ' ')}), which webhooks never reach",
                address=address,
                reason=reason,
            )
    return found


# -- events ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    """A business fact, as every webhook subscribed to its type receives it: `{type,
    timestamp, data}` (`data`: the campaign, or the report, as its route shows it)."""

    id: str
    type: str
    timestamp: str  # when the fact happened (ISO 8601 UTC)
    tenant: str
    org: str  # what it concerns, for a webhook's org filter
    data: Mapping[str, Any]

    def body(self) -> str:
        """The payload as sent, byte for byte the same on every attempt (it is signed)."""
        return json.dumps(
            {"type": self.type, "timestamp": self.timestamp, "data": self.data},
            separators=(",", ":"),
            ensure_ascii=False,
            default=str,
        )


def event_id(fact: str, at: str) -> str:
    """The id of the event a fact makes: `evt_` and a ULID whose time is the fact's and whose
    other 80 bits are the fact's hash. The same fact always names the same event (a
    redelivered record, a retried request), and ids sort by when their facts happened. No `.`
    (the signature joins id, timestamp and body with dots)."""
    ms = int(_instant(at).timestamp() * 1000)
    digest = int.from_bytes(hashlib.sha256(fact.encode("utf-8")).digest()[:10], "big")
    value = (ms << 80) | digest
    return EVENT_ID_PREFIX + "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(26)))


# The status a campaign moves into → its event; and the settlement status → its event.
CAMPAIGN_STATUS_EVENTS = {
    "submitted": "campaign.submitted",
    "approved": "campaign.approved",
    "rejected": "campaign.rejected",
    "cancelled": "campaign.cancelled",
}
SETTLEMENT_EVENTS = {"unlocked": "settlement.unlocked", "reimbursed": "campaign.reimbursed"}


def campaign_event_types(
    old_status: str | None, new_status: str, old_settlement: str | None, new_settlement: str
) -> list[str]:
    """The events one campaign change makes: its status moving into submitted, approved,
    rejected or cancelled; its settlement moving into unlocked (settleable: required feedback
    arrived, or it needed none) or reimbursed."""
    found = []
    if new_status != old_status and new_status in CAMPAIGN_STATUS_EVENTS:
        found.append(CAMPAIGN_STATUS_EVENTS[new_status])
    if new_settlement != old_settlement and new_settlement in SETTLEMENT_EVENTS:
        found.append(SETTLEMENT_EVENTS[new_settlement])
    return found


# -- deliveries ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attempt:
    """One try at a delivery: when, what the receiver answered (or why nothing came back)."""

    at: str
    status_code: int | None
    error: str | None
    duration_ms: int

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "status_code": self.status_code, "error": self.error, "duration_ms": self.duration_ms}


@dataclass
class Delivery:
    """One event for one webhook. Its id is the event's (the `webhook-id` header, the same on
    every attempt). `round_start`: the attempts made before the current retry schedule began
    (a retry by hand starts a new one)."""

    id: str
    tenant: str
    webhook_id: str
    event_type: str
    body: str
    created_at: str
    status: str = "pending"
    attempts: int = 0
    round_start: int = 0
    next_attempt_at: str | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: str | None = None
    log: tuple[Attempt, ...] = field(default_factory=tuple)
    lease_owner: str | None = None
    lease_until: str | None = None

    def record(self, attempt: Attempt, delays: Sequence[int], jitter: float = 0.0) -> None:
        """An attempt's outcome: delivered on a 2xx; else the next try after the schedule's
        next delay (grown by `jitter`, a fraction), or failed when the schedule is spent."""
        self.attempts += 1
        self.last_status_code, self.last_error = attempt.status_code, attempt.error
        self.log = (*self.log, attempt)[-ATTEMPT_LOG:]
        self.lease_owner = self.lease_until = None
        if succeeded(attempt.status_code):
            self.status, self.delivered_at, self.next_attempt_at = "delivered", attempt.at, None
            return
        delay = retry_delay(self.attempts - self.round_start, delays)
        if delay is None:
            self.status, self.next_attempt_at = "failed", None
            return
        self.status = "pending"
        self.next_attempt_at = _iso(_instant(attempt.at) + dt.timedelta(seconds=delay * (1 + jitter)))

    def restart(self, now: str) -> None:
        """A retry by hand of a failed delivery: pending again, at once, on a new schedule."""
        self.status, self.round_start, self.next_attempt_at = "pending", self.attempts, now


def succeeded(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300


def retry_delay(failed_in_round: int, delays: Sequence[int]) -> int | None:
    """Seconds to wait after the `failed_in_round`-th failed attempt of a schedule; None when
    the schedule is spent."""
    index = failed_in_round - 1
    return delays[index] if 0 <= index < len(delays) else None


def parse_delays(text: str | None) -> tuple[int, ...]:
    """A retry schedule from its setting (seconds, comma-separated); the default when unset."""
    if not text:
        return DEFAULT_RETRY_DELAYS
    delays = tuple(int(part) for part in text.split(",") if part.strip())
    if any(d < 0 for d in delays):
        raise ValueError(f"a retry delay is negative: {text!r}")
    return delays


# -- signatures ------------------------------------------------------------------------------------
def secret_key(secret: str) -> bytes:
    """A standard secret's key: the bytes its base64 (after `whsec_`) encodes."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def standard_signature(secrets: Sequence[str], message_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature`: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` for each
    signing secret, space-separated (two during a rotation's overlap)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(secret_key(s), signed, hashlib.sha256).digest()).decode("ascii")
        for s in secrets
    )


def dingtalk_signed_path(path: str, secret: str, timestamp_ms: int) -> str:
    """A DingTalk robot's request path with its signature: `timestamp` (ms) and `sign` =
    URL-encoded base64 HMAC-SHA256, keyed by the secret, of `<timestamp>\\n<secret>`; the URL's
    own query (`access_token`) is kept."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    sign = quote(base64.b64encode(digest).decode("ascii"), safe="")
    return f"{path}{'&' if '?' in path else '?'}timestamp={timestamp_ms}&sign={sign}"


# -- time ------------------------------------------------------------------------------------------
def _instant(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def later(iso: str, seconds: float) -> str:
    """`iso` plus `seconds`, in the same sortable form."""
    return _iso(_instant(iso) + dt.timedelta(seconds=seconds))


def seconds_until(iso: str, now: str) -> float:
    return (_instant(iso) - _instant(now)).total_seconds()


def unix_seconds(iso: str) -> int:
    return int(_instant(iso).timestamp())


# -- what travels: the queue's tickets, a request out and its answer ------------------------------------
@dataclass(frozen=True)
class Ticket:
    """A delivery queue message: which delivery, for which attempt, not before when. A ticket
    for an attempt already made (a duplicate message, an old timer chain) is dropped."""

    tenant: str
    webhook_id: str
    delivery_id: str
    attempt: int
    not_before: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "webhook_id": self.webhook_id,
            "delivery_id": self.delivery_id,
            "attempt": self.attempt,
            "not_before": self.not_before,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Ticket:
        """A ticket from a message body (ValueError for anything else: the message is poison)."""
        try:
            ticket = cls(
                tenant=str(d["tenant"]),
                webhook_id=str(d["webhook_id"]),
                delivery_id=str(d["delivery_id"]),
                attempt=int(d["attempt"]),
                not_before=str(d["not_before"]),
            )
            _instant(ticket.not_before)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a delivery ticket: {exc}") from None
        if not EVENT_ID.match(ticket.delivery_id) or ticket.attempt < 0:
            raise ValueError(f"not a delivery ticket: {ticket.delivery_id!r}, attempt {ticket.attempt}")
        return ticket


@dataclass(frozen=True)
class Outgoing:
    """One POST to a checked address (never re-resolved: no DNS rebinding between check and send)."""

    target: Target
    address: str
    body: bytes
    headers: Mapping[str, str]
    timeout: float = TIMEOUT_SECONDS
    max_response_bytes: int = RESPONSE_BYTES


@dataclass(frozen=True)
class Answer:
    """What came back: a status code, or why none did (timeout, reset, refused, TLS …)."""

    status_code: int | None
    error: str | None
    duration_ms: int
    head: bytes = b""  # at most RESPONSE_BYTES of the body
