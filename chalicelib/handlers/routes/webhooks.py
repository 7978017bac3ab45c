"""Events out: a company's webhooks (leader, finance), their deliveries, retries by hand.

A standard webhook's secret is shown when it is made (POST /webhooks, POST …/rotate-secret) and
never stored in the clear: the response remembered for a retried request (Idempotency-Key)
holds no secret, and `_with_secret` opens the sealed one for every answer, a replay included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, accepted, created, no_content, ok
from chalicelib.lazy import on_first_use

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): every Lambda function imports this module
    from chalicelib.handlers import schemas
    from chalicelib.logic import webhooks
else:
    schemas = on_first_use("chalicelib.handlers.schemas")
    webhooks = on_first_use("chalicelib.logic.webhooks")

routes = Routes(__name__)


def _with_secret(req: ApiRequest, result: Result) -> Result:
    """A made secret, shown in the answer (and only there)."""
    if result.status in (200, 201) and isinstance(result.body, dict) and result.body.get("format") == "standard":
        secret = webhooks.current_secret(req.principal, result.body["id"])
        return Result(result.status, {**result.body, "secret": secret}, result.headers)
    return result


@routes.post("/webhooks", reveal=_with_secret)
def create_webhook(req: ApiRequest) -> Result:
    body = req.body(schemas.WebhookIn)
    hook, _ = webhooks.create_webhook(
        req.principal, body.url, body.events, body.format, body.description, body.secret, body.org
    )
    return created({**present.webhook(hook), "secret": None})


@routes.get("/webhooks")
def list_webhooks(req: ApiRequest) -> Result:
    found = webhooks.list_webhooks(req.principal, req.page())
    return ok(present.page([present.webhook(h) for h in found.items], found.next_cursor))


@routes.get("/webhooks/{webhook_id}")
def get_webhook(req: ApiRequest, webhook_id: str) -> Result:
    return ok(present.webhook(webhooks.get_webhook(req.principal, webhook_id)))


@routes.delete("/webhooks/{webhook_id}")
def delete_webhook(req: ApiRequest, webhook_id: str) -> Result:
    webhooks.delete_webhook(req.principal, webhook_id)
    return no_content()


@routes.post("/webhooks/{webhook_id}/rotate-secret", reveal=_with_secret)
def rotate_webhook_secret(req: ApiRequest, webhook_id: str) -> Result:
    hook, _ = webhooks.rotate_secret(req.principal, webhook_id)
    return ok({**present.webhook(hook), "secret": None})


@routes.get("/webhooks/{webhook_id}/deliveries")
def list_webhook_deliveries(req: ApiRequest, webhook_id: str) -> Result:
    found = webhooks.list_deliveries(req.principal, webhook_id, req.query("status"), req.page())
    return ok(present.page([present.delivery(d) for d in found.items], found.next_cursor))


@routes.post("/webhooks/{webhook_id}/deliveries/{delivery_id}/retry")
def retry_webhook_delivery(req: ApiRequest, webhook_id: str, delivery_id: str) -> Result:
    return accepted(present.delivery(webhooks.retry_delivery(req.principal, webhook_id, delivery_id)))
