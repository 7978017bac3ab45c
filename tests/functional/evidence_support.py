"""Helpers for evidence tests: ask for an upload, upload through the presigned POST (to the
moto server, which stores it as S3 would), and deliver the S3 event with the shape Lambda sends."""

from __future__ import annotations

import requests

from devstack.uploads import s3_event, s3_record


class Evidence:
    def __init__(self, api, lambda_client, company) -> None:
        self.api, self.client, self.co = api, lambda_client, company

    def ask(
        self,
        campaign_id: str,
        data: bytes | int,
        content_type: str = "image/jpeg",
        filename: str = "display.jpg",
        token=None,
    ):
        size = data if isinstance(data, int) else len(data)
        return self.api.post(
            f"/campaigns/{campaign_id}/attachments",
            token or self.co.rep,
            {"filename": filename, "content_type": content_type, "size_bytes": size},
        )

    @staticmethod
    def post(upload: dict, data: bytes) -> requests.Response:
        fields = dict(upload["fields"])
        return requests.post(upload["url"], data=fields, files={"file": ("blob", data)}, timeout=30)

    def head(self, key: str) -> dict:
        import boto3

        from chalicelib.config import settings

        return boto3.client("s3").head_object(Bucket=settings().attachments_bucket, Key=key)

    def event_for(self, key: str) -> dict:
        from chalicelib.config import settings

        h = self.head(key)
        return s3_event(s3_record(settings().attachments_bucket, key, h["ContentLength"], h["ETag"]))

    def deliver(self, event: dict) -> dict:
        return self.client.lambda_.invoke("on_upload", event).payload

    def upload(
        self, campaign_id: str, data: bytes, content_type: str = "image/jpeg", filename: str = "display.jpg", token=None
    ) -> dict:
        """Ask, upload, deliver the event; returns the attachment as listed afterwards."""
        r = self.ask(campaign_id, data, content_type, filename, token)
        assert r.status_code == 201, r.json
        attachment_id = r.json["attachment"]["id"]
        posted = self.post(r.json["upload"], data)
        assert posted.status_code in (200, 201, 204), posted.text
        key = f"uploads/{campaign_id}/{attachment_id}"
        payload = self.deliver(self.event_for(key))
        assert "outcomes" in payload, payload
        return self.attachment(campaign_id, attachment_id)

    def attachment(self, campaign_id: str, attachment_id: str) -> dict:
        r = self.api.get(f"/campaigns/{campaign_id}/attachments", self.co.leader)
        assert r.status_code == 200, r.json
        return next(a for a in r.json["items"] if a["id"] == attachment_id)
