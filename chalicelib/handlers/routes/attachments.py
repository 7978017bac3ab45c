"""Evidence routes: presigned uploads, the list with short-lived links, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, created, no_content, ok
from chalicelib.lazy import on_first_use

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): every Lambda function imports this module
    from chalicelib.handlers import schemas
    from chalicelib.logic import evidence
else:
    schemas = on_first_use("chalicelib.handlers.schemas")
    evidence = on_first_use("chalicelib.logic.evidence")

routes = Routes(__name__)


@routes.post("/campaigns/{campaign_id}/attachments")
def create_attachment(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.AttachmentIn)
    attachment, upload = evidence.request_upload(
        req.principal, campaign_id, body.filename, body.content_type, body.size_bytes, body.visit_id, body.sha256
    )
    return created({"attachment": present.attachment(attachment, evidence.links(attachment)), "upload": upload})


@routes.get("/campaigns/{campaign_id}/attachments")
def list_attachments(req: ApiRequest, campaign_id: str) -> Result:
    items = evidence.list_attachments(req.principal, campaign_id)
    return ok(present.page([present.attachment(a, evidence.links(a)) for a in items], None))


@routes.delete("/campaigns/{campaign_id}/attachments/{attachment_id}")
def delete_attachment(req: ApiRequest, campaign_id: str, attachment_id: str) -> Result:
    evidence.delete_attachment(req.principal, campaign_id, attachment_id)
    return no_content()
