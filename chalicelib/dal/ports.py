"""The ports of the data layer: what a use case may ask of storage, declared once.

Every repository, the unit of work, the object store, the mailer, the idempotency store and what
webhooks need (their repository, the delivery queue, the secret box, the network) is a
`typing.Protocol` here. Use cases reach them through `dal.repos` (whose functions return these
types); two storages implement them: `DynamoStorage` (dal/storage.py: DynamoDB, S3, SES) and
`InMemoryStorage` (dal/memory.py: dicts, for tests of business rules). Both are checked against
`Storage` by mypy, so a method missing or typed differently in either is a type error, not a
test that happens to fail.

To add a repository, declare it here: its Protocol, and one property in `Repositories` (its
writes can join a unit of work) or in `Storage` (they cannot). mypy then names each storage
that does not provide it yet; give it to both (dal/storage.py, dal/memory.py) and, for use
cases, an accessor in dal/repos.py.

Domain objects cross these ports where they already did; report items, subscriptions and a
budget policy's `{by, at}` are still plain dicts.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chalicelib.dal.objects import StoredObject
    from chalicelib.domain.access import Scope
    from chalicelib.domain.approval import ApprovalPolicy, Delegation
    from chalicelib.domain.audit import AuditEntry, Person
    from chalicelib.domain.budget import Budget, Effect, LedgerEntry
    from chalicelib.domain.campaign import Campaign, RuleRef
    from chalicelib.domain.changes import Change, FeedEntry
    from chalicelib.domain.evidence import Attachment, Candidate
    from chalicelib.domain.feedback import FeedbackReport, FeedbackRule, Sweep
    from chalicelib.domain.invoices import Invoice, InvoiceRef, SettlementPolicy
    from chalicelib.domain.mail import Mail
    from chalicelib.domain.pages import Page, PageRequest
    from chalicelib.domain.rollups import Metrics, Placement, RowKey, Standing
    from chalicelib.domain.search import CampaignFilters, FeedbackSearch, RequestSearch
    from chalicelib.domain.visits import Visit
    from chalicelib.domain.vouchers import Accounting, ExportItem, ExportState, VoucherBatch
    from chalicelib.domain.webhooks import Answer, Delivery, Outgoing, SealedSecret, Webhook

#: A stored report (its fields, `status`, and once compiled `artifacts` or `error`).
Report = dict[str, Any]
#: A roll-up row: its key, its counters and the entity's label, if one was recorded.
RollupRow = tuple["RowKey", "Metrics", str | None]
#: What an idempotent operation returned, stored and replayed as it was.
Stored = dict[str, Any]


# -- repositories whose writes can travel in a unit of work -------------------------------------
class CampaignRepo(Protocol):
    """Campaigns: one read, conditional writes on the version read, one method per list."""

    def get(self, campaign_id: str) -> Campaign | None: ...

    def get_many(self, campaign_ids: builtins.list[str]) -> builtins.list[Campaign]:
        """The campaigns of these ids that exist, in no particular order (one batch read)."""
        ...

    def insert(self, c: Campaign) -> Campaign: ...

    def save(self, c: Campaign) -> Campaign:
        """Write the whole campaign if nobody changed it since it was read (StaleWrite if so)."""
        ...

    def list(self, scope: Scope, f: CampaignFilters, page: PageRequest) -> Page[Campaign]: ...

    def awaiting_feedback(self, owner_id: str, page: PageRequest) -> Page[Campaign]: ...

    def submitted_feedback(self, scope: Scope, f: FeedbackSearch, page: PageRequest) -> Page[Campaign]: ...

    def feedback_requests(
        self, scope: Scope, f: RequestSearch, page: PageRequest, today: str | None = None
    ) -> Page[Campaign]: ...

    def covered_by_rule(self, tenant: str, category: str | None, page: PageRequest) -> Page[Campaign]: ...

    def of_customer(self, tenant: str, customer_id: str, owner_id: str | None = None) -> builtins.list[Campaign]: ...

    def awaiting_approval(self, approver_keys: builtins.list[str], page: PageRequest) -> Page[Campaign]: ...

    def overlapping(self, c: Campaign) -> builtins.list[Campaign]: ...


class FeedbackRepo(Protocol):
    """A campaign's feedback draft and its submitted revisions (never overwritten)."""

    def draft(self, campaign_id: str) -> FeedbackReport | None: ...

    def save_draft(self, report: FeedbackReport) -> FeedbackReport: ...

    def delete_draft(self, campaign_id: str) -> None: ...

    def insert_revision(self, report: FeedbackReport) -> None: ...

    def latest_submitted(self, campaign_id: str) -> FeedbackReport | None: ...

    def revisions(self, campaign_id: str, page: PageRequest) -> Page[FeedbackReport]: ...


class RuleRepo(Protocol):
    """Feedback rules by target, and the progress of the sweeps they start."""

    def insert(self, rule: FeedbackRule) -> FeedbackRule:
        """The rule with a claim on its target (RuleTargetTaken when another rule holds it)."""
        ...

    def claimed_by(self, target: str) -> str | None:
        """The id of the rule holding a target's claim, if any."""
        ...

    def get(self, tenant: str, rule_id: str) -> FeedbackRule | None: ...

    def delete(self, rule: FeedbackRule, release_claim: bool) -> None:
        """The rule, and its target's claim when `release_claim` (only while it holds it)."""
        ...

    def list(self, tenant: str, page: PageRequest) -> Page[FeedbackRule]: ...

    def newest(self, target: str) -> RuleRef | None: ...

    def start_sweep(self, rule: FeedbackRule, change: str) -> bool: ...

    def advance_sweep(self, sweep: Sweep, next_cursor: str | None, updated: int) -> bool: ...


class EvidenceRepo(Protocol):
    """Attachments and the duplicate-photo index."""

    def get(self, campaign_id: str, attachment_id: str) -> Attachment | None: ...

    def list(self, campaign_id: str) -> builtins.list[Attachment]: ...

    def insert(self, a: Attachment) -> Attachment: ...

    def record_check(self, a: Attachment, etag: str, retired: Attachment | None = None) -> None: ...

    def delete(self, a: Attachment) -> None: ...

    def add_duplicate_ref(self, campaign_id: str, attachment_id: str, ref: str) -> None: ...

    def remove_duplicate_ref(self, campaign_id: str, attachment_id: str, ref: str) -> None: ...

    def candidates(self, tenant: str, hashes: builtins.list[str]) -> builtins.list[Candidate]: ...


class VisitRepo(Protocol):
    """Check-ins at the store: insert-only, a campaign's newest first."""

    def insert(self, v: Visit) -> Visit: ...

    def get(self, campaign_id: str, visit_id: str) -> Visit | None: ...

    def list(self, campaign_id: str, page: PageRequest) -> Page[Visit]: ...


class BudgetRepo(Protocol):
    """Budgets, their scopes and their ledgers; an `Effect` is written all or nothing."""

    def get(self, budget_id: str) -> Budget | None: ...

    def covering(self, campaign_org: str, category: str, start_date: str) -> Budget | None: ...

    def list(
        self,
        tenant: str,
        org: str,
        ancestors: tuple[str, ...],
        period: str | None,
        category: str | None,
        page: PageRequest,
    ) -> Page[Budget]: ...

    def entries(self, budget_id: str, page: PageRequest) -> Page[LedgerEntry]: ...

    def apply(self, effect: Effect, versioned: dict[str, int] | None = None) -> None: ...


class PolicyRepo(Protocol):
    """A company's approval policy, with who set it when (`{by, at}`), and its settlement policy."""

    def get(self, tenant: str) -> tuple[ApprovalPolicy, dict[str, Any]] | None: ...

    def put(self, tenant: str, policy: ApprovalPolicy, by: Person, at: str) -> None: ...

    def settlement(self, tenant: str) -> SettlementPolicy:
        """The company's settlement policy (the default, invoices not required, if never set)."""
        ...

    def put_settlement(self, tenant: str, policy: SettlementPolicy) -> None: ...


class InvoiceRepo(Protocol):
    """The company-wide invoice ledger: one claim per invoice key and company, written in the
    unit of work of the campaign that lists it (dal/invoices.py)."""

    def claim(self, invoice: Invoice) -> None:
        """Claim the invoice's key in its company (InvoiceTaken when a claim exists)."""
        ...

    def holder(self, tenant: str, key: str) -> Invoice | None:
        """The invoice holding a key's claim now (strongly consistent), if any."""
        ...

    def of_campaign(self, campaign: Campaign) -> builtins.list[Invoice]:
        """The invoices a campaign lists, in claim order (one strongly consistent batch read):
        how settlement's readers (vouchers) get a settled campaign's invoice numbers."""
        ...

    def release(self, tenant: str, ref: InvoiceRef, campaign_id: str) -> None:
        """Drop the claim while this campaign holds it unsettled (StaleWrite otherwise)."""
        ...

    def settle(self, tenant: str, ref: InvoiceRef, campaign_id: str) -> None:
        """Mark the claim settled, for good (StaleWrite unless this campaign holds it claimed)."""
        ...


class DelegationRepo(Protocol):
    """One delegation per delegator, and who delegated to whom."""

    def put(self, d: Delegation) -> None: ...

    def of(self, tenant: str, delegator_id: str) -> Delegation | None: ...

    def delete(self, tenant: str, delegator_id: str) -> None: ...

    def to(self, tenant: str, delegate_id: str) -> list[Delegation]: ...


class AuditRepo(Protocol):
    """A campaign's audit trail: insert-only entries, read back exactly as stored."""

    def append(self, campaign_id: str, tenant: str, entry: AuditEntry) -> None: ...

    def entries(self, campaign_id: str) -> list[dict[str, Any]]: ...


class VoucherRepo(Protocol):
    """Vouchers for the general ledger: a company's accounts, its export queue (an item per
    settled campaign, queued in the settlement's unit of work), where the queue was cut last
    and who is cutting it now, and its batches (dal/vouchers.py: how a campaign lands in one
    batch, ever)."""

    def accounting(self, tenant: str) -> Accounting | None: ...

    def put_accounting(self, tenant: str, accounting: Accounting) -> None: ...

    def queue(self, tenant: str, item: ExportItem) -> None:
        """Put a settled campaign's export item while the watermark is not past its settled
        time (StaleWrite otherwise: settle again, later)."""
        ...

    def exported(self, tenant: str, since: str, until: str, after: str | None = None) -> Iterator[ExportItem]:
        """The export items settled in [since, until), in settled order, after the key `after`,
        read page by page as they are consumed."""
        ...

    def any_exported(self, tenant: str, since: str, until: str) -> bool: ...

    def state(self, tenant: str) -> ExportState: ...

    def claim(self, batch: VoucherBatch, read: ExportState, holder: str, lease_until: str) -> None:
        """Move the watermark to `batch.until`, hold the export and insert the batch, if the
        state is still the one read (StaleWrite otherwise)."""
        ...

    def take_over(self, tenant: str, read: ExportState, holder: str, lease_until: str) -> None:
        """Hold a crashed creation's export, if its lease is still the one read (StaleWrite otherwise)."""
        ...

    def finish(self, batch: VoucherBatch, holder: str) -> None:
        """The batch's files and figures, and the export released, if `holder` holds it (StaleWrite otherwise)."""
        ...

    def batch(self, tenant: str, batch_id: str) -> VoucherBatch | None: ...

    def batches(self, tenant: str, page: PageRequest) -> Page[VoucherBatch]:
        """Newest first."""
        ...

    def post(self, tenant: str, batch_id: str, voucher_no: str, by: Person, at: str) -> None:
        """The voucher number on a ready batch that has none (StaleWrite otherwise)."""
        ...

    def record_posting(self, tenant: str, batch_id: str, cursor: str | None, posted: int, done: bool) -> None: ...


# -- repositories and services outside units of work ----------------------------------------------
class RollupRepo(Protocol):
    """Roll-up rows and ROI standings: exactly-once deltas from the campaigns stream, read by
    the reports."""

    def apply(
        self,
        event_id: str,
        rows: dict[RowKey, Metrics],
        labels: dict[RowKey, str] | None = None,
        placed: Placement | None = None,
    ) -> bool: ...

    def standings(self, tenant: str, node: str, month: str, limit: int, best: bool) -> list[Standing]: ...

    def put_rows(self, rows: dict[RowKey, Metrics], labels: dict[RowKey, str] | None = None) -> int: ...

    def entity_rows(self, tenant: str, dim: str, entity: str, first_month: str, last_month: str) -> list[RollupRow]: ...

    def period_rows(
        self, tenant: str, partition: str, first_month: str, last_month: str, scope: str | None
    ) -> list[RollupRow]: ...

    def tenants(self) -> list[str]: ...


class ReportRepo(Protocol):
    """Compiled reports, report subscriptions and the markers of reminders sent."""

    def insert_report(self, tenant: str, report: Report) -> None: ...

    def get_report(self, tenant: str, report_id: str) -> Report | None: ...

    def list_reports(self, tenant: str, limit: int, start: str | None) -> tuple[list[Report], str | None]: ...

    def set_status(
        self,
        tenant: str,
        report_id: str,
        status: str,
        *,
        expected: tuple[str, ...],
        artifacts: dict[str, str] | None = None,
        error: str | None = None,
    ) -> bool: ...

    def claim_email(self, tenant: str, report_id: str, language: str = "zh") -> bool: ...

    def release_email(self, tenant: str, report_id: str, language: str = "zh") -> None: ...

    def put_subscription(self, tenant: str, user_id: str, subscription: dict[str, Any]) -> None: ...

    def subscriptions(self, tenant: str) -> list[dict[str, Any]]: ...

    def claim_reminder(self, tenant: str, day: str, rep_id: str) -> bool: ...

    def release_reminder(self, tenant: str, day: str, rep_id: str) -> None: ...


class ChangeRepo(Protocol):
    """The changes feed: one partition per audience, entries numbered without a gap, each
    fact recorded once per partition (its own transaction: it joins no unit of work)."""

    def record(self, audience: str, change: Change) -> FeedEntry | None:
        """Append the change to the partition: its entry, or None when the partition recorded
        its fact already."""
        ...

    def after(self, audience: str, seq: int, limit: int) -> list[FeedEntry]:
        """Up to `limit` entries after `seq`, oldest first (one strongly consistent read)."""
        ...

    def cursor_key(self) -> bytes:
        """The secret cursors are signed with (the same for every process of a deployment)."""
        ...


class ObjectStore(Protocol):
    """Uploads, thumbnails, quarantine, dead letters and report artifacts (dal/objects.py)."""

    @property
    def bucket(self) -> str: ...

    def presigned_upload(self, key: str, content_type: str, size_bytes: int, upload_token: str) -> dict[str, Any]: ...

    def download_url(self, key: str, content_type: str, filename: str | None = None) -> str: ...

    def head(self, key: str, etag: str) -> StoredObject: ...

    def read(self, key: str, etag: str, max_bytes: int) -> bytes: ...

    def thumbnail(self, key: str, max_bytes: int) -> bytes | None: ...

    def put(self, key: str, body: bytes, content_type: str, bucket: str | None = None) -> None: ...

    def quarantine(self, key: str) -> None: ...

    def delete(self, key: str) -> None: ...

    def park(self, source: str, event_id: str, document: dict[str, Any]) -> str: ...

    def put_artifact(self, key: str, body: bytes, content_type: str) -> None: ...

    def upload_artifact(self, key: str, path: str, content_type: str) -> None:
        """An artifact from a file, streamed: never held in memory whole."""
        ...

    def artifact_url(self, key: str, filename: str | None = None) -> str:
        """A short-lived link; with `filename`, a download under that name."""
        ...


class WebhookRepo(Protocol):
    """A company's webhooks and their deliveries (one per webhook and event, put if absent)."""

    def insert(self, hook: Webhook) -> None: ...

    def get(self, tenant: str, webhook_id: str) -> Webhook | None: ...

    def list(self, tenant: str, page: PageRequest) -> Page[Webhook]: ...

    def of_company(self, tenant: str) -> builtins.list[Webhook]:
        """Every webhook of a company (what an event is matched against): one Query."""
        ...

    def save_secrets(self, hook: Webhook, secrets: tuple[SealedSecret, ...], rotated_at: str) -> None:
        """A rotation, if nobody rotated since `hook` was read (StaleWrite if so)."""
        ...

    def delete(self, tenant: str, webhook_id: str) -> None: ...

    def add_delivery(self, delivery: Delivery) -> bool:
        """Put the delivery if no delivery of this webhook has its id; False when one has."""
        ...

    def delivery(self, tenant: str, webhook_id: str, delivery_id: str) -> Delivery | None: ...

    def deliveries(self, tenant: str, webhook_id: str, status: str | None, page: PageRequest) -> Page[Delivery]:
        """Newest event first; `status` filters through its own index."""
        ...

    def claim(
        self, tenant: str, webhook_id: str, delivery_id: str, attempt: int, owner: str, now: str, until: str
    ) -> Delivery | None:
        """The delivery, leased to `owner` until `until` for its attempt `attempt`, if it is
        pending, has made exactly `attempt` attempts and nobody holds a lease unexpired at `now`;
        else None (two copies of one ticket never send at once)."""
        ...

    def record(self, delivery: Delivery, owner: str) -> bool:
        """Write an attempt's outcome (the delivery as `Delivery.record` left it), if `owner`
        still holds the lease of that attempt; False if not."""
        ...

    def restart(self, delivery: Delivery) -> bool:
        """A retry by hand (`Delivery.restart`), if it is still failed; False if not."""
        ...


class DeliveryQueue(Protocol):
    """The durable queue of delivery tickets (SQS): a ticket is visible after `delay_seconds`
    (at most domain.webhooks.MAX_QUEUE_DELAY; longer waits are chained)."""

    def send(self, ticket: dict[str, Any], delay_seconds: int = 0) -> None: ...


class SecretBox(Protocol):
    """Seals secrets for storage (a KMS key in production) under an encryption context: a
    sealed secret opens only with the same context (its company and webhook)."""

    def seal(self, plaintext: str, context: dict[str, str]) -> str: ...

    def open(self, sealed: str, context: dict[str, str]) -> str: ...


class Outbound(Protocol):
    """The network, for webhook deliveries: name resolution, and one POST to an address
    already checked (never resolved again). `post` answers failures, it does not raise them."""

    def resolve(self, host: str, port: int) -> builtins.list[str]:
        """The host's addresses; LookupError when it has none."""
        ...

    def post(self, request: Outgoing) -> Answer: ...


class Mailer(Protocol):
    def send(self, mail: Mail) -> str:
        """Send one message; returns its message id."""
        ...

    def sender_domain(self) -> str:
        """The domain Message-IDs and Content-IDs are made unique under."""
        ...


class IdempotencyStore(Protocol):
    def run_once(self, request: dict[str, Any], operation: Callable[[], Stored], lambda_context: Any = None) -> Stored:
        """`request`: {caller, route, key, body}. Runs `operation` the first time, returns what it returned."""
        ...


# -- the storage ------------------------------------------------------------------------------------
class Repositories(Protocol):
    """The repositories whose writes can be held and committed together."""

    @property
    def campaigns(self) -> CampaignRepo: ...

    @property
    def feedback(self) -> FeedbackRepo: ...

    @property
    def rules(self) -> RuleRepo: ...

    @property
    def evidence(self) -> EvidenceRepo: ...

    @property
    def visits(self) -> VisitRepo: ...

    @property
    def budgets(self) -> BudgetRepo: ...

    @property
    def policies(self) -> PolicyRepo: ...

    @property
    def delegations(self) -> DelegationRepo: ...

    @property
    def audit(self) -> AuditRepo: ...

    @property
    def invoices(self) -> InvoiceRepo: ...

    @property
    def vouchers(self) -> VoucherRepo: ...


class UnitOfWork(Repositories, Protocol):
    """What `with storage.unit_of_work() as uow:` gives: repositories whose writes are held and
    committed as one transaction when the block ends without an exception (nothing if it
    raises). Reads inside the block see storage as it is, not the unit's pending writes."""


class Storage(Repositories, Protocol):
    """Everything a process stores through: each repository (its writes immediate), the
    services outside units of work, and units of work."""

    @property
    def rollups(self) -> RollupRepo: ...

    @property
    def reports(self) -> ReportRepo: ...

    @property
    def changes(self) -> ChangeRepo: ...

    @property
    def objects(self) -> ObjectStore: ...

    @property
    def mailer(self) -> Mailer: ...

    @property
    def idempotency(self) -> IdempotencyStore: ...

    @property
    def webhooks(self) -> WebhookRepo: ...

    @property
    def delivery_queue(self) -> DeliveryQueue: ...

    @property
    def secret_box(self) -> SecretBox: ...

    @property
    def outbound(self) -> Outbound: ...

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]: ...
