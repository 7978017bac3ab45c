"""Feedback repository: drafts, submitted revisions (history, never overwritten), and the
transaction that records a submission on the revision and the campaign together."""
from __future__ import annotations

from dataclasses import fields

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.dal.campaigns import StaleWrite, to_model
from chalicelib.dal.models import FeedbackModel, _host
from chalicelib.dal.paging import Page, decode_cursor, encode_cursor, fingerprint
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.feedback import FeedbackReport

DRAFT = "draft"
_FIELDS = [f.name for f in fields(FeedbackReport)]
_INTS = ("revision", "actual_spend", "actual_sales", "actual_units", "effect_rating")


def revision_key(revision: int) -> str:
    return f"rev#{revision:06d}"


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


class FeedbackRepository:
    def draft(self, campaign_id: str) -> FeedbackReport | None:
        try:
            return from_model(FeedbackModel.get(campaign_id, DRAFT, consistent_read=True))
        except DoesNotExist:
            return None

    def save_draft(self, report: FeedbackReport) -> FeedbackReport:
        _to_model(report).save()
        return report

    def latest_submitted(self, campaign_id: str) -> FeedbackReport | None:
        for m in FeedbackModel.query(campaign_id, FeedbackModel.sk.startswith("rev#"),
                                     scan_index_forward=False, limit=1, consistent_read=True):
            return from_model(m)
        return None

    def revisions(self, campaign_id: str, limit: int, cursor: str | None) -> Page[FeedbackReport]:
        fp = fingerprint("revisions", campaign_id)
        start = decode_cursor(cursor, {"campaign_id", "sk"}, fp)
        if start is not None and start["campaign_id"]["S"] != campaign_id:
            raise InvalidInput.field("cursor", "is not a cursor issued by this list")
        result = FeedbackModel.query(campaign_id, FeedbackModel.sk.startswith("rev#"), scan_index_forward=False,
                                     limit=limit, page_size=limit, last_evaluated_key=start)
        items = [from_model(m) for m in result]
        last = result.last_evaluated_key
        return Page(items=items, next_cursor=encode_cursor(last, fp) if last else None)

    def record_submission(self, campaign: Campaign, report: FeedbackReport, consumed_draft: bool,
                          token: str | None = None) -> None:
        """Insert revision n and move the campaign to it, atomically.

        Fails with StaleWrite when revision n already exists or the campaign changed since read.
        """
        s = settings()
        connection = Connection(region=s.region, host=_host())
        try:
            with TransactWrite(connection=connection, client_request_token=token) as tx:
                tx.save(_to_model(report), condition=FeedbackModel.sk.does_not_exist())
                tx.save(to_model(campaign))
                if consumed_draft:
                    tx.delete(FeedbackModel(campaign.id, DRAFT))
        except TransactWriteError as exc:
            reasons = [r.code for r in (exc.cancellation_reasons or []) if r is not None]
            if "ConditionalCheckFailed" in reasons or exc.cause_response_code == "TransactionCanceledException":
                raise StaleWrite(campaign.id) from None
            raise
        campaign.version = (campaign.version or 0) + 1
