"""PynamoDB models: the tables, their keys and every index (the README's access-pattern table).

Index keys are derived attributes written by the repositories; every list or search route is
a Query on one of these indexes. There is no Scan anywhere in chalicelib/.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.constants import PAY_PER_REQUEST_BILLING_MODE, STREAM_NEW_AND_OLD_IMAGE
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.dal.clients import dynamodb_endpoint as _host
from chalicelib.dal.keys import CAMPAIGN_INDEXES


class _Meta:
    billing_mode = PAY_PER_REQUEST_BILLING_MODE
    stream_view_type = STREAM_NEW_AND_OLD_IMAGE


def _gsi(name: str, hash_attr: str, range_attr: str) -> type[GlobalSecondaryIndex[Any]]:
    """A GSI class with ALL projection keyed on (hash_attr, range_attr)."""
    meta = type("Meta", (), {"index_name": name, "projection": AllProjection()})
    attrs = {
        "Meta": meta,
        hash_attr: UnicodeAttribute(hash_key=True),
        range_attr: UnicodeAttribute(range_key=True),
    }
    return type(f"Index_{name}", (GlobalSecondaryIndex,), attrs)


M = TypeVar("M", bound=Model)


def model_from_image(model_cls: type[M], image: Mapping[str, Any]) -> M:
    """A model from a stream record's image as the stream carries it (DynamoDB JSON), through
    the model's own attribute mapping: one mapping per table, and each image decoded once
    (decoding it to plain values first, then back, tripled the work of every record)."""
    return model_cls.from_raw_data(dict(image))


# PynamoDB annotates its API but not MapAttribute's __init__ and as_dict; through these names
# calling them is a typed call.
_map_init: Callable[..., None] = MapAttribute.__init__
_map_as_dict: Callable[..., dict[str, Any]] = MapAttribute.as_dict


class _Map(MapAttribute[str, Any]):
    """A map of named attributes, with a typed constructor and as_dict."""

    def __init__(self, **attributes: Any) -> None:
        _map_init(self, **attributes)

    def as_dict(self) -> dict[str, Any]:
        """The attributes that are set, by name."""
        return _map_as_dict(self)


class LocationMap(_Map):
    address = UnicodeAttribute(null=True)
    lat = NumberAttribute(null=True)
    lon = NumberAttribute(null=True)


class RuleRefMap(_Map):
    rule_id = UnicodeAttribute()
    scope = UnicodeAttribute()
    due_days = NumberAttribute()
    min_photos = NumberAttribute(default=0)


class CampaignModel(Model):
    class Meta(_Meta):
        table_name = settings().campaigns_table
        region = settings().region
        host = _host()

    id = UnicodeAttribute(hash_key=True)
    tenant = UnicodeAttribute()
    org = UnicodeAttribute()
    owner_name = UnicodeAttribute(default="")
    owner_email = UnicodeAttribute(null=True)
    title = UnicodeAttribute()
    category = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    customer_name = UnicodeAttribute(default="")
    start_date = UnicodeAttribute()
    end_date = UnicodeAttribute()
    location = LocationMap(null=True)
    expected_spend = NumberAttribute()
    expected_sales = NumberAttribute()
    expected_units = NumberAttribute(null=True)
    requested_amount = NumberAttribute()
    approved_amount = NumberAttribute(null=True)
    status = UnicodeAttribute()
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    decision_comment = UnicodeAttribute(null=True)
    rule = RuleRefMap(null=True)
    own_rule = RuleRefMap(null=True)
    feedback_revision = NumberAttribute(default=0)
    feedback_kind = UnicodeAttribute(null=True)
    feedback_submitted_at = UnicodeAttribute(null=True)
    actual_spend = NumberAttribute(null=True)
    actual_sales = NumberAttribute(null=True)
    actual_units = NumberAttribute(null=True)
    reimbursement_status = UnicodeAttribute()
    reimbursed_amount = NumberAttribute(null=True)
    reimbursed_at = UnicodeAttribute(null=True)
    reimbursed_by = UnicodeAttribute(null=True)
    reimbursed_by_name = UnicodeAttribute(null=True)
    reimbursement_note = UnicodeAttribute(null=True)
    proposed_amount = NumberAttribute(null=True)
    proposed_from_revision = NumberAttribute(default=0)
    # money control: the chain and steps, the budget reservation (JSON), cancellation, audit head
    submitted_at = UnicodeAttribute(null=True)
    approval_json = UnicodeAttribute(null=True)
    budget_json = UnicodeAttribute(null=True)
    cancelled_at = UnicodeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)
    audit_seq = NumberAttribute(default=0)
    audit_head = UnicodeAttribute(null=True)
    # invoices: [[id, key, amount], …] in claim order (JSON), their sum, the ledger's voucher number
    invoices_json = UnicodeAttribute(null=True)
    invoice_total = NumberAttribute(null=True)
    voucher_no = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()
    # derived index keys
    owner_id = UnicodeAttribute()
    created_key = UnicodeAttribute()
    customer_key = UnicodeAttribute()
    customer_sk = UnicodeAttribute()
    org_root = UnicodeAttribute()
    org_sk = UnicodeAttribute()
    status_key = UnicodeAttribute()
    category_key = UnicodeAttribute()
    fbq_l1 = UnicodeAttribute(null=True)
    fbq_l2 = UnicodeAttribute(null=True)
    fbq_l3 = UnicodeAttribute(null=True)
    fbq_owner = UnicodeAttribute(null=True)
    fbq_sk = UnicodeAttribute(null=True)
    fbd_l1 = UnicodeAttribute(null=True)
    fbd_l2 = UnicodeAttribute(null=True)
    fbd_l3 = UnicodeAttribute(null=True)
    fbd_owner = UnicodeAttribute(null=True)
    fbd_sk = UnicodeAttribute(null=True)
    wait_l1 = UnicodeAttribute(null=True)
    wait_l2 = UnicodeAttribute(null=True)
    wait_l3 = UnicodeAttribute(null=True)
    wait_sk = UnicodeAttribute(null=True)

    # PynamoDB collects indexes while the class body runs, so they are declared here.
    for _name, _hash, _range in CAMPAIGN_INDEXES:
        locals()[f"idx_{_name}"] = _gsi(_name, _hash, _range)()
    del _name, _hash, _range


class FeedbackModel(Model):
    """Feedback of a campaign: one `draft` item and every submitted revision `rev#000001` …

    Revisions are never overwritten: each submit inserts a new one (history). The stream of
    this table drives the settlement unlock.
    """

    class Meta(_Meta):
        table_name = settings().feedback_table
        region = settings().region
        host = _host()

    campaign_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute()  # draft | submitted
    revision = NumberAttribute(default=0)
    kind = UnicodeAttribute(null=True)
    author_id = UnicodeAttribute()
    author_name = UnicodeAttribute(default="")
    actual_spend = NumberAttribute(null=True)
    actual_sales = NumberAttribute(null=True)
    actual_units = NumberAttribute(null=True)
    effect_rating = NumberAttribute(null=True)
    reflections = UnicodeAttribute(null=True)
    submitted_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class RuleModel(Model):
    """Feedback rules keyed by their target (`CN|category|tasting`), so the rules that apply to
    a campaign are read with strongly consistent Queries; plus rule-sweep progress items."""

    class Meta(_Meta):
        table_name = settings().rules_table
        region = settings().region
        host = _host()

    target = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    tenant = UnicodeAttribute(null=True)
    scope = UnicodeAttribute(null=True)
    campaign_id = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    due_days = NumberAttribute(null=True)
    min_photos = NumberAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    campaign_org = UnicodeAttribute(null=True)  # a campaign rule: its campaign's org and owner
    campaign_owner = UnicodeAttribute(null=True)
    # rule sweep progress (items with target "sweep|<rule id>")
    sweep_cursor = UnicodeAttribute(null=True)
    sweep_done = BooleanAttribute(null=True)
    sweep_updated = NumberAttribute(null=True)
    expiration = NumberAttribute(null=True)  # epoch seconds: a finished sweep's item is dropped by TTL
    # derived index keys (rules only; sweep items stay out of the indexes)
    rule_id = UnicodeAttribute(null=True)
    rule_tenant = UnicodeAttribute(null=True)

    by_id = _gsi("by_id", "rule_id", "target")()
    by_tenant = _gsi("by_tenant", "rule_tenant", "id")()


class VoucherModel(Model):
    """Vouchers for the general ledger (dal/vouchers.py says which item is which): a company's
    accounts, its export state (the watermark and the lease of the batch being made), its export
    queue (one item per settled campaign) and its voucher batches. Stream on: a batch given its
    voucher number is posted to its campaigns by the stream's function."""

    class Meta(_Meta):
        table_name = settings().vouchers_table
        region = settings().region
        host = _host()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # accounting | state | export | batch
    tenant = UnicodeAttribute()
    data = UnicodeAttribute(null=True)  # the item's fields (JSON)
    # the export state: where the queue was cut last, and the batch being made
    watermark = UnicodeAttribute(null=True)
    exporting = UnicodeAttribute(null=True)
    holder = UnicodeAttribute(null=True)
    lease_until = UnicodeAttribute(null=True)
    # a batch: its files, and the ERP's voucher number and how far posting it got
    export = UnicodeAttribute(null=True)  # running | ready
    campaigns = NumberAttribute(null=True)
    total = NumberAttribute(null=True)
    artifacts = UnicodeAttribute(null=True)  # JSON: kind → object key
    voucher_no = UnicodeAttribute(null=True)
    posted_at = UnicodeAttribute(null=True)
    posted_by = UnicodeAttribute(null=True)  # JSON: {id, name}
    posting = UnicodeAttribute(null=True)  # running | done
    posting_cursor = UnicodeAttribute(null=True)  # the export key of the last campaign posted
    campaigns_posted = NumberAttribute(null=True)


STREAMED_MODELS = (CampaignModel, FeedbackModel, RuleModel, VoucherModel)  # and EvidenceModel, below


def create_tables() -> None:
    """Create every table (streams on) if missing. Used by the local stack and the tests only;
    production tables come from the CloudFormation template in infra/."""
    for model in (*STREAMED_MODELS, EvidenceModel, *CONTROL_MODELS, WebhookModel, InvoiceModel, ChangeModel):
        if not model.exists():
            model.create_table(wait=True)
            if model is RuleModel:
                _expire_on(model.Meta.table_name, "expiration")
            if model in (WebhookModel, ChangeModel):
                _expire_on(model.Meta.table_name, "expires_at")
    _create_idempotency_table()
    create_evaluation_tables()


def _create_idempotency_table() -> None:
    from chalicelib.dal.clients import dynamodb

    client = dynamodb()
    name = settings().idempotency_table
    try:
        client.describe_table(TableName=name)
        return
    except client.exceptions.ResourceNotFoundException:
        pass
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=name)
    _expire_on(name, "expiration")


def _expire_on(table: str, attribute: str) -> None:
    """Turn TTL on, as the template does for the same table."""
    from chalicelib.dal.clients import dynamodb

    dynamodb().update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute}
    )


class EvidenceModel(Model):
    """Evidence: attachments and the near-duplicate index of photo hashes, in one table.

    pk `c#<campaign id>`, sk `a#<attachment id>`: an attachment (list = Query on pk).
    pk `c#<campaign id>`, sk `v#<visit id>`: a visit (check-in), insert-only.
    pk `h#<tenant>|<band>|<16-bit value>`, sk `<attachment id>#<variant>`: a duplicate-index
    entry; candidates for a hash are the union of its 4 band Queries (see domain/evidence.py).
    Stream on (new and old images): the changes feed follows attachments and visits from it.
    """

    class Meta(_Meta):
        table_name = settings().evidence_table
        region = settings().region
        host = _host()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    # attachment
    campaign_id = UnicodeAttribute(null=True)
    attachment_id = UnicodeAttribute(null=True)
    tenant = UnicodeAttribute(null=True)
    filename = UnicodeAttribute(null=True)
    content_type = UnicodeAttribute(null=True)
    size_bytes = NumberAttribute(null=True)
    kind = UnicodeAttribute(null=True)
    uploaded_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    reason_code = UnicodeAttribute(null=True)
    reason_params_json = UnicodeAttribute(null=True)
    object_key = UnicodeAttribute(null=True)
    upload_token = UnicodeAttribute(null=True)
    thumbnail_key = UnicodeAttribute(null=True)
    checked_etag = UnicodeAttribute(null=True)
    checked_at = UnicodeAttribute(null=True)
    taken_at = UnicodeAttribute(null=True)
    gps_json = UnicodeAttribute(null=True)
    integrity_json = UnicodeAttribute(null=True)
    phash = UnicodeAttribute(null=True)  # also on index entries: the indexed hash
    phash_crop = UnicodeAttribute(null=True)
    dup_refs = UnicodeSetAttribute(null=True)  # "<campaign id>/<attachment id>" of matching photos
    sha256 = UnicodeAttribute(null=True)  # of the stored bytes (the checker's)
    declared_sha256 = UnicodeAttribute(null=True)  # the client's, when it declared one
    attestation_json = UnicodeAttribute(null=True)
    # visit (check-in): pk `c#<campaign id>`, sk `v#<visit id>` (an attachment's visit_id: the one it names)
    visit_id = UnicodeAttribute(null=True)
    org = UnicodeAttribute(null=True)
    owner_id = UnicodeAttribute(null=True)
    at = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)
    lat = NumberAttribute(null=True)
    lon = NumberAttribute(null=True)
    accuracy_m = NumberAttribute(null=True)
    distance_km = NumberAttribute(null=True)
    far_from_location = BooleanAttribute(null=True)
    within_campaign_dates = BooleanAttribute(null=True)
    invoice_qr = UnicodeAttribute(null=True)  # an invoice's QR text the checker found in it


# -- evaluation: roll-ups and reports -----------------------------------------------------------
class RollupModel(Model):
    """Roll-up rows (`pk` = tenant|dimension|entity, `sk` = month#org#category) with counters
    as dynamic attributes, written by the campaigns stream through the low-level client
    (dal/rollups.py); plus per-record markers (`pk` = marker|eventID) that expire by TTL.
    The `by_period` index lists every entity of a dimension (or org level) by month.
    No stream: nothing reacts to roll-up changes."""

    class Meta:
        billing_mode = PAY_PER_REQUEST_BILLING_MODE
        table_name = settings().rollups_table
        region = settings().region
        host = _host()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    pp = UnicodeAttribute(null=True)
    ps = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)

    by_period = _gsi("by_period", "pp", "ps")()


class ReportModel(Model):
    """Compiled reports (`pk` = report|tenant), report subscriptions (`pk` = sub|tenant) and
    sent-reminder markers (`pk` = reminder|tenant|day); `data` holds the item's fields."""

    class Meta(_Meta):
        table_name = settings().reports_table
        region = settings().region
        host = _host()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    expires_at = NumberAttribute(null=True)


EVALUATION_MODELS = (RollupModel, ReportModel)


# -- money control: budgets, ledgers, policies, delegations; the audit trail -------------------
class ControlModel(Model):
    """Money control, one table (dal/budgets.py and dal/control.py say which item is which).
    `gpk`/`gsk`: the by_group index (a company's budgets by org; a delegate's delegations).
    No stream: nothing reacts to these writes; every change is a conditional write."""

    class Meta:
        billing_mode = PAY_PER_REQUEST_BILLING_MODE
        table_name = settings().control_table
        region = settings().region
        host = _host()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gpk = UnicodeAttribute(null=True)
    gsk = UnicodeAttribute(null=True)
    data = UnicodeAttribute(null=True)  # the item's fields (JSON), beside the figures
    # a budget's figures, changed only with ADD under a condition on `available`
    amount = NumberAttribute(null=True)
    allocated = NumberAttribute(null=True)
    reserved = NumberAttribute(null=True)
    consumed = NumberAttribute(null=True)
    available = NumberAttribute(null=True)
    version = NumberAttribute(null=True)  # a budget's amount changes (PATCH) are versioned
    updated_at = UnicodeAttribute(null=True)
    period = UnicodeAttribute(null=True)  # a budget's period and category, for list filters
    category = UnicodeAttribute(null=True)  # (`*`: every category)
    budget_id = UnicodeAttribute(null=True)  # on a scope item: the budget holding that scope

    by_group = _gsi("by_group", "gpk", "gsk")()


class AuditModel(Model):
    """The audit trail: a campaign's entries by seq, insert-only (every put is conditional on
    the entry's absence; nothing in the code updates or deletes one). `entry` is the entry's
    canonical JSON without its hash, exactly what the hash was computed over."""

    class Meta:
        billing_mode = PAY_PER_REQUEST_BILLING_MODE
        table_name = settings().audit_table
        region = settings().region
        host = _host()

    campaign_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    entry = UnicodeAttribute()
    hash = UnicodeAttribute()
    tenant = UnicodeAttribute()


CONTROL_MODELS = (ControlModel, AuditModel)


# -- events out: webhooks and their deliveries ----------------------------------------------------
class WebhookModel(Model):
    """Webhooks (`pk` = hook#<tenant>, `sk` = webhook id) and their deliveries (`pk` =
    dlv#<tenant>|<webhook id>, `sk` = event id, so newest event last), one table (dal/webhooks.py).
    `data` holds an item's fields (JSON); the attributes beside it are what writes are
    conditional on. `by_status` lists a webhook's deliveries of one status; deliveries expire
    by TTL (`expires_at`). No stream: the delivery queue (SQS) drives the sending."""

    class Meta:
        billing_mode = PAY_PER_REQUEST_BILLING_MODE
        table_name = settings().webhooks_table
        region = settings().region
        host = _host()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    data = UnicodeAttribute()
    version = NumberAttribute(null=True)  # a webhook's: a rotation is conditional on it
    status = UnicodeAttribute(null=True)  # a delivery's: pending | delivered | failed
    status_key = UnicodeAttribute(null=True)  # <tenant>|<webhook id>|<status>: the by_status index
    attempts = NumberAttribute(null=True)
    lease_owner = UnicodeAttribute(null=True)
    lease_until = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)

    by_status = _gsi("by_status", "status_key", "sk")()


class InvoiceModel(Model):
    """The company-wide invoice ledger (dal/invoices.py): one item per claimed invoice, keyed
    `<tenant>|<invoice key>`. Put only if absent (that is the claim), deleted only while
    `claimed` by the campaign releasing it, set `settled` for good in the settlement's
    transaction. `data` holds the invoice's fields (JSON). No stream: a claim travels in one
    transaction with its campaign, whose stream carries it (the campaign's `invoices_json`)."""

    class Meta:
        billing_mode = PAY_PER_REQUEST_BILLING_MODE
        table_name = settings().invoices_table
        region = settings().region
        host = _host()

    pk = UnicodeAttribute(hash_key=True)
    tenant = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    invoice_id = UnicodeAttribute()
    status = UnicodeAttribute()  # claimed | settled
    data = UnicodeAttribute()


# -- the changes feed ----------------------------------------------------------------------------
class ChangeModel(Model):
    """The changes feed (dal/changes.py): one partition per audience (`owner#<tenant>|<sub>`,
    `org#<node>`), in it the partition's head (sk `head`: its last `seq`), its entries (sk
    `e#<seq, 12 digits>`) and one guard per fact recorded there (sk `fact#<fact>`); plus the
    key that signs cursors (pk `#cursor-key`). Entries and guards expire by TTL on `expires_at`.
    No stream: nothing reacts to these writes."""

    class Meta:
        billing_mode = PAY_PER_REQUEST_BILLING_MODE
        table_name = settings().changes_table
        region = settings().region
        host = _host()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    seq = NumberAttribute(null=True)  # the head's last seq; an entry's or a guard's own
    at = UnicodeAttribute(null=True)
    written = NumberAttribute(null=True)  # epoch seconds, when the entry was written
    entity = UnicodeAttribute(null=True)
    entity_id = UnicodeAttribute(null=True)
    campaign_id = UnicodeAttribute(null=True)
    op = UnicodeAttribute(null=True)
    fact = UnicodeAttribute(null=True)
    state = BinaryAttribute(null=True, legacy_encoding=False)  # zlib of the JSON of the entity's images
    secret = BinaryAttribute(null=True, legacy_encoding=False)  # the cursor key's item only
    expires_at = NumberAttribute(null=True)


def create_evaluation_tables() -> None:
    """Roll-up and report tables, with TTL on `expires_at` (markers, reminders)."""
    for model in EVALUATION_MODELS:
        if not model.exists():
            model.create_table(wait=True)
            _expire_on(model.Meta.table_name, "expires_at")
