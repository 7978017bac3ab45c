"""Local resources of the evaluation module: the SES sender identity (moto refuses mail from
unverified senders, as SES in its sandbox does) and the outbox directory for .eml copies."""

from __future__ import annotations

from devstack import VAR_DIR

OUTBOX_DIR = VAR_DIR / "outbox"


def create_resources() -> None:
    import boto3

    from chalicelib.config import settings

    s = settings()
    boto3.client("ses", region_name=s.region).verify_email_identity(EmailAddress=s.mail_sender)
    if s.reports_bucket != s.attachments_bucket:
        s3 = boto3.client("s3", region_name=s.region)
        try:
            s3.create_bucket(Bucket=s.reports_bucket)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
