"""Feedback repository (DynamoDB): a campaign's draft and its submitted revisions (history,
never overwritten). Item keys: (campaign_id, `draft`) and (campaign_id, `rev#000001`) …"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.dal.models import FeedbackModel, model_from_image
from chalicelib.dal.paging import BAD_CURSOR, decode_cursor, encode_cursor, fingerprint, from_dynamo_key, to_dynamo_key
from chalicelib.dal.writes import Immediately, Writes
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.feedback import FeedbackReport
from chalicelib.domain.pages import Page, PageRequest

DRAFT = "draft"
REVISION = "rev#"
_FIELDS = [f.name for f in fields(FeedbackReport)]
_INTS = ("revision", "actual_spend", "actual_sales", "actual_units", "effect_rating")


def revision_key(revision: int) -> str:
    return f"{REVISION}{revision:06d}"


def _to_model(r: FeedbackReport) -> FeedbackModel:
    m = FeedbackModel(r.campaign_id, DRAFT if r.status == "draft" else revision_key(r.revision))
    for name in _FIELDS:
        if name != "campaign_id":
            setattr(m, name, getattr(r, name))
    return m


def from_model(m: FeedbackModel) -> FeedbackReport:
    values = {name: getattr(m, name) for name in _FIELDS}
    for name in _INTS:
        if values[name] is not None:
            values[name] = int(values[name])
    return FeedbackReport(**values)


def report_image(r: FeedbackReport) -> dict[str, Any]:
    """A draft or revision as the feedback table's stream would carry it (DynamoDB JSON)."""
    return _to_model(r).serialize()


def report_from_image(image: Mapping[str, Any] | None) -> FeedbackReport | None:
    """A report from a stream image (DynamoDB JSON); None for no image."""
    return from_model(model_from_image(FeedbackModel, image)) if image else None


class FeedbackRepository:
    def __init__(self, writes: Writes | None = None) -> None:
        self._writes = writes or Immediately()

    def draft(self, campaign_id: str) -> FeedbackReport | None:
        try:
            return from_model(FeedbackModel.get(campaign_id, DRAFT, consistent_read=True))
        except DoesNotExist:
            return None

    def save_draft(self, report: FeedbackReport) -> FeedbackReport:
        self._writes.put(_to_model(report))
        return report

    def delete_draft(self, campaign_id: str) -> None:
        self._writes.delete(FeedbackModel(campaign_id, DRAFT))

    def insert_revision(self, report: FeedbackReport) -> None:
        """Revision n, once: a second writer of the same revision loses (StaleWrite)."""
        self._writes.put(_to_model(report), FeedbackModel.sk.does_not_exist())

    def latest_submitted(self, campaign_id: str) -> FeedbackReport | None:
        for m in FeedbackModel.query(
            campaign_id, FeedbackModel.sk.startswith(REVISION), scan_index_forward=False, limit=1, consistent_read=True
        ):
            return from_model(m)
        return None

    def revisions(self, campaign_id: str, page: PageRequest) -> Page[FeedbackReport]:
        """Submitted revisions, newest first."""
        fp = fingerprint("revisions", campaign_id)
        start = decode_cursor(page.cursor, {"campaign_id", "sk"}, fp)
        if start is not None and start["campaign_id"] != campaign_id:
            raise InvalidInput.field("cursor", "bad_cursor", BAD_CURSOR)
        result = FeedbackModel.query(
            campaign_id,
            FeedbackModel.sk.startswith(REVISION),
            scan_index_forward=False,
            limit=page.limit,
            page_size=page.limit,
            last_evaluated_key=to_dynamo_key(start),
        )
        items = [from_model(m) for m in result]
        return Page(items=items, next_cursor=encode_cursor(from_dynamo_key(result.last_evaluated_key), fp))
