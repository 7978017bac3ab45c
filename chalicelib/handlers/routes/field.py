"""In the field: check-ins at the store (visits)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, created, ok
from chalicelib.lazy import on_first_use

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): every Lambda function imports this module
    from chalicelib.handlers import schemas
    from chalicelib.logic import visits
else:
    schemas = on_first_use("chalicelib.handlers.schemas")
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
