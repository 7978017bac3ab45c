"""Evidence routes: presigned uploads, the list with short-lived links, delete."""
from __future__ import annotations

from chalicelib.handlers import present, schemas
from chalicelib.handlers.http import ApiRequest, Result, created, no_content, ok
from chalicelib.logic import evidence as logic


def create(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.AttachmentIn)
    attachment, upload = logic.request_upload(req.principal, campaign_id, body.filename, body.content_type,
                                              body.size_bytes)
    return created({"attachment": present.attachment(attachment, logic.links(attachment)), "upload": upload})


def list_(req: ApiRequest, campaign_id: str) -> Result:
    items = logic.list_attachments(req.principal, campaign_id)
    return ok(present.page([present.attachment(a, logic.links(a)) for a in items], None))


def delete(req: ApiRequest, campaign_id: str, attachment_id: str) -> Result:
    logic.delete_attachment(req.principal, campaign_id, attachment_id)
    return no_content()
