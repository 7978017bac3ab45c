"""The object store (S3): every object Huixiang keeps, and the one client that reaches them.

| prefix | what | written by |
|---|---|---|
| `uploads/<campaign>/<attachment>` | evidence as uploaded (presigned POST) | the rep's browser or app |
| `thumbnails/<campaign>/<attachment>.jpg` | 320 px photo thumbnails | the upload checker |
| `quarantine/<campaign>/<attachment>` | rejected or unasked-for uploads, never served | the upload checker |
| `dead-letters/<source>/<event id>.json` | stream records that could not be applied | stream handlers |
| `reports/<tenant>/<period>/<report>/…` | compiled report artifacts | the report compiler |
| `vouchers/<tenant>/<batch>/…` | a voucher batch's CSV and workbook | the batch's creation |

Presigned links are SigV4 (see dal/clients.py), short-lived, and name one key each.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chalicelib.config import settings
from chalicelib.dal.errors import ObjectMissing

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

UPLOAD_PREFIX = "uploads/"
THUMBNAIL_PREFIX = "thumbnails/"
QUARANTINE_PREFIX = "quarantine/"
DEAD_LETTER_PREFIX = "dead-letters/"
REPORT_PREFIX = "reports/"
VOUCHER_PREFIX = "vouchers/"
UPLOAD_TTL_SECONDS = 900  # presigned upload: 15 minutes at most
LINK_TTL_SECONDS = 300  # download and thumbnail links
UPLOAD_TOKEN_META = "upload-token"  # x-amz-meta-upload-token, pinned in the upload policy


def upload_key(campaign_id: str, attachment_id: str) -> str:
    """The only place an upload can land: server-chosen ids, nothing from the client."""
    return f"{UPLOAD_PREFIX}{campaign_id}/{attachment_id}"


def attachment_of(key: str) -> tuple[str, str] | None:
    """(campaign id, attachment id) of an upload key, or None for anything else."""
    if not key.startswith(UPLOAD_PREFIX):
        return None
    parts = key[len(UPLOAD_PREFIX) :].split("/")
    if len(parts) != 2 or not all(p and p.replace("-", "").replace("_", "").isalnum() for p in parts):
        return None
    return parts[0], parts[1]


def thumbnail_key(campaign_id: str, attachment_id: str) -> str:
    return f"{THUMBNAIL_PREFIX}{campaign_id}/{attachment_id}.jpg"


def quarantine_key(key: str) -> str:
    return QUARANTINE_PREFIX + (key[len(UPLOAD_PREFIX) :] if key.startswith(UPLOAD_PREFIX) else key)


def dead_letter_key(source: str, event_id: str) -> str:
    return f"{DEAD_LETTER_PREFIX}{source}/{event_id}.json"


def report_prefix(tenant: str, period: str, report_id: str) -> str:
    return f"{REPORT_PREFIX}{tenant}/{period}/{report_id}/huixiang-{period}"


def voucher_prefix(tenant: str, batch_id: str) -> str:
    return f"{VOUCHER_PREFIX}{tenant}/{batch_id}/huixiang-vouchers-{batch_id}"


def _utc(seconds_from_now: int) -> str:
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds_from_now)
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def content_disposition(filename: str) -> str:
    """Always a download, never rendered inline; RFC 6266 form so that 陈列照片.jpg survives."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


@dataclass(frozen=True)
class StoredObject:
    size: int
    upload_token: str | None  # from the form it was posted with


class ObjectStore:
    """S3 operations on the attachments bucket (and the reports bucket for artifacts)."""

    def _client(self) -> S3Client:
        from chalicelib.dal.clients import s3

        return s3()

    @property
    def bucket(self) -> str:
        return settings().attachments_bucket

    # -- uploads and links --------------------------------------------------------------------
    def presigned_upload(self, key: str, content_type: str, size_bytes: int, upload_token: str) -> dict[str, Any]:
        """A POST policy for exactly this key, this content type, exactly this many bytes and
        this attachment's upload token (so a form cannot be re-aimed at another attachment)."""
        meta = f"x-amz-meta-{UPLOAD_TOKEN_META}"
        fields = {"Content-Type": content_type, "x-amz-server-side-encryption": "AES256", meta: upload_token}
        conditions = [
            {"Content-Type": content_type},
            {"x-amz-server-side-encryption": "AES256"},
            {meta: upload_token},
            ["content-length-range", size_bytes, size_bytes],
        ]
        post = self._client().generate_presigned_post(
            Bucket=self.bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=UPLOAD_TTL_SECONDS
        )
        return {"url": post["url"], "method": "POST", "fields": post["fields"], "expires_at": _utc(UPLOAD_TTL_SECONDS)}

    def download_url(self, key: str, content_type: str, filename: str | None = None) -> str:
        params = {"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type}
        if filename is not None:
            params["ResponseContentDisposition"] = content_disposition(filename)
        return self._client().generate_presigned_url("get_object", ExpiresIn=LINK_TTL_SECONDS, Params=params)

    # -- the upload checker -------------------------------------------------------------------
    def head(self, key: str, etag: str) -> StoredObject:
        """Size and user metadata of exactly this version of the object (ObjectMissing if not)."""
        from botocore.exceptions import ClientError

        try:
            head = self._client().head_object(Bucket=self.bucket, Key=key, IfMatch=f'"{etag}"')
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "412", "PreconditionFailed"):
                raise ObjectMissing(key) from None
            raise
        metadata = {k.lower(): v for k, v in (head.get("Metadata") or {}).items()}
        return StoredObject(int(head["ContentLength"]), metadata.get(UPLOAD_TOKEN_META))

    def read(self, key: str, etag: str, max_bytes: int) -> bytes:
        """At most `max_bytes` of exactly this version of the object."""
        from botocore.exceptions import ClientError

        try:
            body = self._client().get_object(Bucket=self.bucket, Key=key, IfMatch=f'"{etag}"')["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "412", "PreconditionFailed"):
                raise ObjectMissing(key) from None
            raise
        return body.read(max_bytes)

    def thumbnail(self, key: str, max_bytes: int) -> bytes | None:
        """A photo's thumbnail (at most `max_bytes`), or None where it is gone."""
        from botocore.exceptions import ClientError

        try:
            body = self._client().get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                return None
            raise
        return body.read(max_bytes)

    def put(self, key: str, body: bytes, content_type: str, bucket: str | None = None) -> None:
        self._client().put_object(
            Bucket=bucket or self.bucket, Key=key, Body=body, ContentType=content_type, ServerSideEncryption="AES256"
        )

    def quarantine(self, key: str) -> None:
        """Move an upload out of the serving prefix (copy, then delete: both safe to repeat)."""
        from botocore.exceptions import ClientError

        try:
            self._client().copy_object(
                Bucket=self.bucket,
                Key=quarantine_key(key),
                CopySource={"Bucket": self.bucket, "Key": key},
                ServerSideEncryption="AES256",
                MetadataDirective="COPY",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey"):
                raise
            return  # already moved
        self._client().delete_object(Bucket=self.bucket, Key=key)

    def delete(self, key: str) -> None:
        self._client().delete_object(Bucket=self.bucket, Key=key)

    # -- dead letters and report artifacts ------------------------------------------------------
    def park(self, source: str, event_id: str, document: dict[str, Any]) -> str:
        """Keep a failed stream record whole (the stream keeps it only 24 h). Idempotent per event."""
        key = dead_letter_key(source, event_id)
        self.put(key, json.dumps(document, default=str).encode(), "application/json")
        return key

    def put_artifact(self, key: str, body: bytes, content_type: str) -> None:
        self.put(key, body, content_type, bucket=settings().reports_bucket)

    def upload_artifact(self, key: str, path: str, content_type: str) -> None:
        """An artifact streamed from a file (in parts when large), never read into memory whole."""
        self._client().upload_file(
            path,
            settings().reports_bucket,
            key,
            ExtraArgs={"ContentType": content_type, "ServerSideEncryption": "AES256"},
        )

    def artifact_url(self, key: str, filename: str | None = None) -> str:
        params = {"Bucket": settings().reports_bucket, "Key": key}
        if filename is not None:
            params["ResponseContentDisposition"] = content_disposition(filename)
        return self._client().generate_presigned_url(
            "get_object", Params=params, ExpiresIn=settings().report_link_ttl_seconds
        )
