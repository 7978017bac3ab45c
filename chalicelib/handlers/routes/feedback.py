"""Feedback reports (B, C) and the worklists D and E."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.clock import business_today
from chalicelib.handlers import present
from chalicelib.handlers.api import ApiRequest, Result, Routes, ok
from chalicelib.lazy import on_first_use

if TYPE_CHECKING:  # imported on first use (chalicelib.lazy): every Lambda function imports this module
    from chalicelib.domain import search
    from chalicelib.handlers import schemas
    from chalicelib.logic import evidence, feedback
else:
    search = on_first_use("chalicelib.domain.search")
    schemas = on_first_use("chalicelib.handlers.schemas")
    evidence = on_first_use("chalicelib.logic.evidence")
    feedback = on_first_use("chalicelib.logic.feedback")

routes = Routes(__name__)


def _attachments(campaign_id: str) -> list[dict[str, Any]]:
    """The campaign's evidence as the feedback shows it (attachments belong to the campaign; the
    use case that loaded the feedback has checked the caller may see the campaign)."""

    return [present.attachment(a, evidence.links(a)) for a in evidence.of_campaign(campaign_id)]


@routes.put("/campaigns/{campaign_id}/feedback")
def save_feedback_draft(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.FeedbackIn)
    campaign, draft = feedback.save_draft(req.principal, campaign_id, body.model_dump())
    return ok(present.feedback(draft, campaign, _attachments(campaign_id)))


@routes.post("/campaigns/{campaign_id}/feedback/submit")
def submit_feedback(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.FeedbackIn, optional=True)
    values = body.model_dump(exclude_unset=True) if body is not None else None
    campaign, report = feedback.submit_feedback(req.principal, campaign_id, values)
    return ok(present.feedback(report, campaign, _attachments(campaign_id)))


@routes.get("/campaigns/{campaign_id}/feedback")
def get_feedback(req: ApiRequest, campaign_id: str) -> Result:
    campaign, latest, draft = feedback.get_feedback(req.principal, campaign_id)
    attachments = _attachments(campaign_id)
    return ok(
        {
            "campaign_id": campaign_id,
            "submitted": present.feedback(latest, campaign, attachments) if latest else None,
            "draft": present.feedback(draft, campaign, attachments) if draft else None,
            "feedback_status": present.campaign(campaign)["feedback"]["status"],
        }
    )


@routes.get("/campaigns/{campaign_id}/feedback/revisions")
def list_feedback_revisions(req: ApiRequest, campaign_id: str) -> Result:
    campaign, found = feedback.feedback_revisions(req.principal, campaign_id, req.page())
    return ok(present.page([present.feedback(r, campaign) for r in found.items], found.next_cursor))


@routes.get("/me/feedback-requests")
def my_feedback_requests(req: ApiRequest) -> Result:
    found = feedback.my_feedback_requests(req.principal, req.page())
    today = business_today()
    return ok(present.page([present.feedback_request_row(c, today) for c in found.items], found.next_cursor))


@routes.get("/feedback")
def search_feedback(req: ApiRequest) -> Result:
    """D: all submitted feedback, newest first."""
    f = search.FeedbackSearch(
        org=req.query_org(),
        owner=req.query("owner"),
        category=req.query("category"),
        customer_id=req.query("customer_id"),
        kind=req.query_choice("kind", ("passive", "active")),
        submitted_from=req.query_date("submitted_from"),
        submitted_to=req.query_date("submitted_to"),
    )
    found = feedback.search_feedback(req.principal, f, req.page())
    return ok(present.page([present.submitted_feedback_row(c) for c in found.items], found.next_cursor))


@routes.get("/feedback-requests")
def search_feedback_requests(req: ApiRequest) -> Result:
    """E: campaigns whose feedback is required, soonest due first."""
    f = search.RequestSearch(
        org=req.query_org(),
        owner=req.query("owner"),
        category=req.query("category"),
        customer_id=req.query("customer_id"),
        status=req.query_choice("status", search.FEEDBACK_REQUEST_STATUSES),
        due_before=req.query_date("due_before"),
        due_after=req.query_date("due_after"),
    )
    today = business_today()
    found = feedback.search_feedback_requests(req.principal, f, req.page(), today)
    return ok(present.page([present.feedback_request_row(c, today) for c in found.items], found.next_cursor))
