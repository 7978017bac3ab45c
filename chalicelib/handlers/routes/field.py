"""In the field: check-ins at the store (visits), the evidence bundle an auditor checks offline,
and the changes feed offline clients sync from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, created, ok
from chalicelib.lazy import on_first_use

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): every Lambda function imports this module
    from chalicelib.handlers import schemas
    from chalicelib.logic import bundle, changes, evidence, visits
else:
    schemas = on_first_use("chalicelib.handlers.schemas")
    bundle = on_first_use("chalicelib.logic.bundle")
    changes = on_first_use("chalicelib.logic.changes")
    evidence = on_first_use("chalicelib.logic.evidence")
    visits = on_first_use("chalicelib.logic.visits")

routes = Routes(__name__)


@routes.post("/campaigns/{campaign_id}/visits")
def record_visit(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.VisitIn)
    return created(present.visit(visits.record_visit(req.principal, campaign_id, body.lat, body.lon, body.accuracy_m)))


@routes.get("/campaigns/{campaign_id}/visits")
def list_visits(req: ApiRequest, campaign_id: str) -> Result:
    found = visits.list_visits(req.principal, campaign_id, req.page())
    return ok(present.page([present.visit(v) for v in found.items], found.next_cursor))


@routes.get("/campaigns/{campaign_id}/evidence")
def evidence_bundle(req: ApiRequest, campaign_id: str) -> Result:
    b = bundle.evidence_bundle(req.principal, campaign_id)
    latest = b.revisions[0] if b.revisions else None
    return ok(
        {
            "campaign": present.campaign(b.campaign),
            "feedback": {
                "submitted": present.feedback(latest, b.campaign) if latest else None,
                "revisions": [present.feedback(r, b.campaign) for r in b.revisions],
            },
            "visits": [present.visit(v) for v in b.visits],
            "attachments": [present.attachment(a, evidence.links(a)) for a in b.attachments],
            "invoices": [present.invoice(i) for i in b.invoices],
            "audit": {"items": b.audit, "verified": b.verified},
        }
    )


@routes.get("/me/changes")
def my_changes(req: ApiRequest) -> Result:
    items, cursor = changes.my_changes(req.principal, req.page())
    return ok({"items": [_change(item) for item in items], "next_cursor": cursor})


def _change(item: changes.FeedItem) -> dict[str, Any]:
    """A feed entry; `data` is the entity as its own route shows it, made now (so its links are
    fresh and its dates today's), null for a remove."""
    entry, change = item.entry, item.entry.change
    data: Any = None
    if change.op == "upsert":
        if item.campaign is not None and change.entity == "campaign":
            data = present.campaign(item.campaign)
        elif item.campaign is not None and change.entity == "feedback":
            data = {
                "campaign_id": item.campaign.id,
                "submitted": present.feedback(item.submitted, item.campaign) if item.submitted else None,
                "draft": present.feedback(item.draft, item.campaign) if item.draft else None,
                "feedback_status": present.campaign(item.campaign)["feedback"]["status"],
            }
        elif item.attachment is not None:
            data = present.attachment(item.attachment, evidence.links(item.attachment))
        elif item.visit is not None:
            data = present.visit(item.visit)
        elif item.invoice is not None:
            data = dict(item.invoice)
    return {
        "seq": entry.seq,
        "at": entry.at,
        "entity": change.entity,
        "id": change.id,
        "campaign_id": change.campaign_id,
        "op": change.op,
        "data": data,
    }
