"""Evidence routes: presigned uploads, the list with short-lived links, delete."""

from __future__ import annotations

from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, created, no_content, ok

routes = Routes(__name__)


@routes.post("/campaigns/{campaign_id}/attachments")
def create_attachment(req: ApiRequest, campaign_id: str) -> Result:
    from chalicelib.handlers.schemas import AttachmentIn
    from chalicelib.logic import evidence as logic

    body = req.body(AttachmentIn)
    attachment, upload = logic.request_upload(
        req.principal, campaign_id, body.filename, body.content_type, body.size_bytes
    )
    return created({"attachment": present.attachment(attachment, logic.links(attachment)), "upload": upload})


@routes.get("/campaigns/{campaign_id}/attachments")
def list_attachments(req: ApiRequest, campaign_id: str) -> Result:
    from chalicelib.logic import evidence as logic

    items = logic.list_attachments(req.principal, campaign_id)
    return ok(present.page([present.attachment(a, logic.links(a)) for a in items], None))


@routes.delete("/campaigns/{campaign_id}/attachments/{attachment_id}")
def delete_attachment(req: ApiRequest, campaign_id: str, attachment_id: str) -> Result:
    from chalicelib.logic import evidence as logic

    logic.delete_attachment(req.principal, campaign_id, attachment_id)
    return no_content()
