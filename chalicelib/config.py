"""Typed settings, read once from the environment (stage config sets them in Lambda)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

DEFAULT_CATEGORIES = ("tasting", "display", "roadshow", "in_store_promotion")


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    campaigns_table: str
    feedback_table: str
    rules_table: str
    idempotency_table: str
    attachments_bucket: str
    categories: tuple[str, ...]
    jwks_url: str | None
    jwks_path: str | None
    token_issuer: str | None
    token_audience: str | None
    ready_file: str | None
    max_body_bytes: int
    idempotency_ttl_seconds: int
    business_timezone: str
    evidence_table: str = ""
    evidence_thresholds: str | None = None  # JSON, see domain/evidence.thresholds_for
    rollups_table: str = ""
    reports_table: str = ""
    reports_bucket: str = ""
    mail_sender: str = ""
    outbox_dir: str | None = None
    marker_ttl_seconds: int = 7 * 24 * 3600
    report_link_ttl_seconds: int = 900
    console_origin: str | None = None
    control_table: str = ""
    audit_table: str = ""
    changes_table: str = ""  # the changes feed (dal/changes.py)
    invoices_table: str = ""
    vouchers_table: str = ""
    # events out (webhooks)
    webhooks_table: str = ""
    webhook_queue: str = ""  # the delivery queue's name (its URL is looked up once, unless given)
    webhook_queue_url: str | None = None
    webhook_key_id: str = ""  # the KMS key (id, ARN or alias) sealing webhook secrets
    webhook_retry_delays: str | None = None  # seconds, comma-separated; unset: domain/webhooks.py's schedule
    webhook_timeout_seconds: float = 10.0
    webhook_allow_local_http: bool = False  # the local stack only: deliveries to http://127.0.0.1
    webhook_delivery_days: int = 30  # a delivery's record is kept this long (TTL)
    console_url: str | None = None  # the web console (links in WeCom and DingTalk messages)


def _prefix(stage: str) -> str:
    return f"huixiang-{stage}"


@functools.lru_cache(maxsize=1)
def settings() -> Settings:
    """The settings of this process; cached because the environment does not change."""
    env = os.environ
    stage = env.get("HUIXIANG_STAGE", "dev")
    p = _prefix(stage)
    cats = env.get("HUIXIANG_CATEGORIES")
    return Settings(
        stage=stage,
        region=env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or "us-east-1",
        campaigns_table=env.get("CAMPAIGNS_TABLE", f"{p}-campaigns"),
        feedback_table=env.get("FEEDBACK_TABLE", f"{p}-feedback"),
        rules_table=env.get("RULES_TABLE", f"{p}-rules"),
        idempotency_table=env.get("IDEMPOTENCY_TABLE", f"{p}-idempotency"),
        attachments_bucket=env.get("ATTACHMENTS_BUCKET", f"{p}-attachments"),
        categories=tuple(c.strip() for c in cats.split(",") if c.strip()) if cats else DEFAULT_CATEGORIES,
        jwks_url=env.get("JWKS_URL") or None,
        jwks_path=env.get("JWKS_PATH") or None,
        token_issuer=env.get("TOKEN_ISSUER") or None,
        token_audience=env.get("TOKEN_AUDIENCE") or None,
        ready_file=env.get("HUIXIANG_READY_FILE") or None,
        max_body_bytes=int(env.get("HUIXIANG_MAX_BODY_BYTES", "65536")),
        idempotency_ttl_seconds=int(env.get("HUIXIANG_IDEMPOTENCY_TTL", str(24 * 3600))),
        business_timezone="Asia/Shanghai",
        evidence_table=env.get("EVIDENCE_TABLE", f"{p}-evidence"),
        evidence_thresholds=env.get("EVIDENCE_THRESHOLDS") or None,
        rollups_table=env.get("ROLLUPS_TABLE", f"{p}-rollups"),
        reports_table=env.get("REPORTS_TABLE", f"{p}-reports"),
        reports_bucket=env.get("REPORTS_BUCKET") or env.get("ATTACHMENTS_BUCKET", f"{p}-attachments"),
        mail_sender=env.get("HUIXIANG_MAIL_FROM", "reports@huixiang.example.com"),
        outbox_dir=env.get("HUIXIANG_OUTBOX_DIR") or None,
        console_origin=env.get("CONSOLE_ORIGIN") or None,
        control_table=env.get("CONTROL_TABLE", f"{p}-control"),
        audit_table=env.get("AUDIT_TABLE", f"{p}-audit"),
        webhooks_table=env.get("WEBHOOKS_TABLE", f"{p}-webhooks"),
        webhook_queue=env.get("WEBHOOK_QUEUE", f"{p}-webhook-deliveries"),
        webhook_queue_url=env.get("WEBHOOK_QUEUE_URL") or None,
        webhook_key_id=env.get("WEBHOOK_KEY_ID", f"alias/{p}-webhooks"),
        webhook_retry_delays=env.get("HUIXIANG_WEBHOOK_RETRY_DELAYS") or None,
        webhook_timeout_seconds=float(env.get("HUIXIANG_WEBHOOK_TIMEOUT", "10")),
        webhook_allow_local_http=env.get("HUIXIANG_WEBHOOK_LOCAL_HTTP") == "1",
        webhook_delivery_days=int(env.get("HUIXIANG_WEBHOOK_DELIVERY_DAYS", "30")),
        console_url=env.get("CONSOLE_URL") or None,
        changes_table=env.get("CHANGES_TABLE", f"{p}-changes"),
        invoices_table=env.get("INVOICES_TABLE", f"{p}-invoices"),
        vouchers_table=env.get("VOUCHERS_TABLE", f"{p}-vouchers"),
    )
