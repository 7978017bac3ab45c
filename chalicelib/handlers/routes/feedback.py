from __future__ import annotations

from chalicelib.clock import business_today
from chalicelib.handlers import present, schemas
from chalicelib.handlers.http import ApiRequest, Result, ok
from chalicelib.logic import feedback as logic


def _attachments(campaign_id: str) -> list[dict]:
    """The campaign's evidence as the feedback shows it (attachments belong to the campaign)."""
    from chalicelib.dal import repos
    from chalicelib.logic.evidence import links

    return [present.attachment(a, links(a)) for a in repos.evidence().list(campaign_id)]


def put_draft(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.FeedbackIn)
    campaign, draft = logic.save_draft(req.principal, campaign_id, body.model_dump())
    return ok(present.feedback(draft, campaign, _attachments(campaign_id)))


def submit(req: ApiRequest, campaign_id: str) -> Result:
    body = req.body(schemas.FeedbackIn, optional=True)
    values = body.model_dump(exclude_unset=True) if body is not None else None
    campaign, report = logic.submit_feedback(req.principal, campaign_id, values)
    return ok(present.feedback(report, campaign, _attachments(campaign_id)))


def get(req: ApiRequest, campaign_id: str) -> Result:
    campaign, latest, draft = logic.get_feedback(req.principal, campaign_id)
    attachments = _attachments(campaign_id)
    return ok({
        "campaign_id": campaign_id,
        "submitted": present.feedback(latest, campaign, attachments) if latest else None,
        "draft": present.feedback(draft, campaign, attachments) if draft else None,
        "feedback_status": present.campaign(campaign)["feedback"]["status"],
    })


def revisions(req: ApiRequest, campaign_id: str) -> Result:
    limit, cursor = req.page()
    campaign, page = logic.feedback_revisions(req.principal, campaign_id, limit, cursor)
    return ok(present.page([present.feedback(r, campaign) for r in page.items], page.next_cursor))


def my_requests(req: ApiRequest) -> Result:
    limit, cursor = req.page()
    page = logic.my_feedback_requests(req.principal, limit, cursor)
    today = business_today()
    return ok(present.page([present.feedback_request_row(c, today) for c in page.items], page.next_cursor))


def _filters(req: ApiRequest, **extra) -> logic.WorklistFilters:
    return logic.WorklistFilters(org=req.query_org(), owner=req.query("owner"), category=req.query("category"),
                                 customer_id=req.query("customer_id"), **extra)


def search(req: ApiRequest) -> Result:
    """D: all submitted feedback, newest first."""
    limit, cursor = req.page()
    f = _filters(req, kind=req.query_choice("kind", ("passive", "active")),
                 submitted_from=req.query_date("submitted_from"), submitted_to=req.query_date("submitted_to"))
    page = logic.search_feedback(req.principal, f, limit, cursor)
    return ok(present.page([present.submitted_feedback_row(c) for c in page.items], page.next_cursor))


def search_requests(req: ApiRequest) -> Result:
    """E: campaigns whose feedback is required, soonest due first."""
    limit, cursor = req.page()
    f = _filters(req, status=req.query_choice("status", ("pending", "overdue", "submitted")),
                 due_before=req.query_date("due_before"), due_after=req.query_date("due_after"))
    logic.check_worklist_dates(f)
    page = logic.search_feedback_requests(req.principal, f, limit, cursor)
    today = business_today()
    return ok(present.page([present.feedback_request_row(c, today) for c in page.items], page.next_cursor))
