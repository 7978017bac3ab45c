"""Visits (check-ins) repository: items of the evidence table beside the campaign's attachments.

| item | pk | sk |
|---|---|---|
| visit | `c#<campaign id>` | `v#<visit id>` (ULIDs: a campaign's visits are one Query, newest first) |

Insert-only: a visit is a put conditional on its absence, in the unit of work of its audit
entry (`visit_recorded`), so a visit exists exactly when the campaign's trail records it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.dal.models import EvidenceModel as E
from chalicelib.dal.models import model_from_image
from chalicelib.dal.paging import BAD_CURSOR, decode_cursor, encode_cursor, fingerprint, from_dynamo_key, to_dynamo_key
from chalicelib.dal.writes import Immediately, Writes
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.domain.visits import Visit

PREFIX = "v#"


def _pk(campaign_id: str) -> str:
    return f"c#{campaign_id}"


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def visit_from_model(m: E) -> Visit:
    return Visit(
        id=m.visit_id or "",
        campaign_id=m.campaign_id or "",
        tenant=m.tenant or "",
        org=m.org or "",
        owner_id=m.owner_id or "",
        at=m.at or "",
        expires_at=m.expires_at or "",
        lat=float(m.lat or 0),
        lon=float(m.lon or 0),
        accuracy_m=_float(m.accuracy_m),
        distance_km=_float(m.distance_km),
        far_from_location=m.far_from_location,
        within_campaign_dates=bool(m.within_campaign_dates),
    )


def visit_from_image(image: Mapping[str, Any]) -> Visit:
    """A visit from an evidence-table stream image (DynamoDB JSON)."""
    return visit_from_model(model_from_image(E, image))


def visit_image(v: Visit) -> dict[str, Any]:
    """A visit as the evidence table's stream carries it (DynamoDB JSON)."""
    return _to_model(v).serialize()


def _to_model(v: Visit) -> E:
    return E(
        _pk(v.campaign_id),
        PREFIX + v.id,
        visit_id=v.id,
        campaign_id=v.campaign_id,
        tenant=v.tenant,
        org=v.org,
        owner_id=v.owner_id,
        at=v.at,
        expires_at=v.expires_at,
        lat=v.lat,
        lon=v.lon,
        accuracy_m=v.accuracy_m,
        distance_km=v.distance_km,
        far_from_location=v.far_from_location,
        within_campaign_dates=v.within_campaign_dates,
    )


class VisitRepository:
    def __init__(self, writes: Writes | None = None) -> None:
        self._writes = writes or Immediately()

    def insert(self, v: Visit) -> Visit:
        self._writes.put(_to_model(v), E.pk.does_not_exist())
        return v

    def get(self, campaign_id: str, visit_id: str) -> Visit | None:
        try:
            return visit_from_model(E.get(_pk(campaign_id), PREFIX + visit_id, consistent_read=True))
        except DoesNotExist:
            return None

    def list(self, campaign_id: str, page: PageRequest) -> Page[Visit]:
        """A campaign's visits, newest first: one Query of its `v#` items."""
        fp = fingerprint("visits", campaign_id)
        start = decode_cursor(page.cursor, {"pk", "sk"}, fp)
        if start is not None and (start["pk"] != _pk(campaign_id) or not start["sk"].startswith(PREFIX)):
            raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
        result = E.query(
            _pk(campaign_id),
            E.sk.startswith(PREFIX),
            consistent_read=True,
            scan_index_forward=False,
            limit=page.limit,
            page_size=page.limit,
            last_evaluated_key=to_dynamo_key(start),
        )
        items = [visit_from_model(m) for m in result]
        return Page(items=items, next_cursor=encode_cursor(from_dynamo_key(result.last_evaluated_key), fp))


__all__ = ["VisitRepository", "visit_from_image", "visit_image"]
