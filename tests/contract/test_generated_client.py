"""A client nobody here wrote: openapi-python-client generates one from the served /openapi.json
with no warning, and the core loop runs through it (rule → apply → approve → feedback → stream
→ settle), errors parsed into the generated error models."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import Company, Streams
from tests.contract import generated
from tests.contract.recording import LOCAL, RecordingHttp


@pytest.fixture(scope="module")
def generation(served_spec, tmp_path_factory):
    into = tmp_path_factory.mktemp("generated-client")
    return generated.generate(served_spec, into), into


@pytest.fixture(scope="module")
def hx(generation):
    """The generated package, imported."""
    problems, into = generation
    assert problems == [], "\n".join(problems)
    return generated.load(into)


def test_the_client_generates_without_a_single_warning(generation):
    problems, into = generation
    assert problems == [], "\n".join(problems)
    assert (into / generated.PACKAGE / "models" / "feedback.py").exists()     # once dropped by a conflict


def test_every_list_is_typed_by_its_own_items(hx):
    from huixiang_client import models
    expected = {"CampaignPage": models.Campaign, "RulePage": models.Rule, "ReportPage": models.Report,
                "FeedbackRequestPage": models.FeedbackRequestRow, "FeedbackRevisionPage": models.Feedback,
                "SubmittedFeedbackPage": models.SubmittedFeedbackRow, "AttachmentList": models.Attachment,
                "CustomerHistoryPage": models.Campaign}
    for page, item in expected.items():
        annotation = getattr(models, page).__annotations__["items"]      # the generated source's text
        assert str(annotation).replace("typing.", "") in {f"list[{item.__name__}]", f"list['{item.__name__}']"}, \
            (page, annotation)


@pytest.fixture(scope="module")
def as_role(hx, lambda_client, openapi, chalice_app):
    """An AuthenticatedClient per token, all answered by the app, every response recorded."""
    recorder = RecordingHttp(lambda_client.http, openapi, chalice_app.routes)

    def client(token: str):
        return hx.AuthenticatedClient(base_url=LOCAL, token=token, raise_on_unexpected_status=True,
                                      httpx_args={"transport": generated.transport(recorder)})

    client.recorder = recorder
    return client


def test_the_core_loop_runs_through_the_generated_client(hx, as_role, lambda_client):
    from huixiang_client.api.campaigns import approve_campaign, create_campaign, get_campaign, submit_campaign
    from huixiang_client.api.feedback import get_feedback, save_feedback_draft, submit_feedback
    from huixiang_client.api.rules import create_feedback_rule
    from huixiang_client.api.settlement import settle_campaign
    from huixiang_client.models import (Approval, CampaignIn, CampaignInCustomer, CampaignInPlan, Error,
                                        FeedbackIn, ReimbursementStatus, RuleIn, RuleScope, SettlementIn,
                                        ValidationError)

    co, streams = Company(), Streams(lambda_client)
    rep, manager, leader, finance = (as_role(t) for t in (co.rep, co.manager, co.leader, co.finance))

    # GIVEN a rep's application
    body = CampaignIn(title="Weekend tasting", category="tasting",
                      customer=CampaignInCustomer(id="CUST-9", name="Suguo"),
                      start_date=dt.date(2026, 11, 1), end_date=dt.date(2026, 11, 3),
                      plan=CampaignInPlan(expected_spend=200000, expected_sales=1000000),
                      requested_amount=200000)
    created = create_campaign.sync_detailed(client=rep, body=body, idempotency_key="generated-1")
    assert created.status_code == 201
    campaign = created.parsed
    assert campaign.feedback.required_by is None and campaign.location is None
    assert submit_campaign.sync(campaign.id, client=rep).status.value == "submitted"

    # WHEN the manager asks for more than was requested, the 400 names the field
    too_much = approve_campaign.sync_detailed(campaign.id, client=manager, body=Approval(approved_amount=999999))
    assert too_much.status_code == 400 and isinstance(too_much.parsed, ValidationError)
    assert too_much.parsed.errors[0].field == "approved_amount"
    approved = approve_campaign.sync(campaign.id, client=manager, body=Approval(approved_amount=180000))
    assert approved.status.value == "approved" and approved.approved_amount == 180000

    # AND a leader requires feedback for it
    rule = create_feedback_rule.sync(client=leader, body=RuleIn(scope=RuleScope.CAMPAIGN, campaign_id=campaign.id))
    assert rule.scope is RuleScope.CAMPAIGN
    streams.run_rules(co.root)
    assert get_campaign.sync(campaign.id, client=rep).reimbursement.status is ReimbursementStatus.LOCKED

    # THEN finance cannot settle yet, and the 409 is the generated Error
    locked = settle_campaign.sync_detailed(campaign.id, client=finance)
    assert locked.status_code == 409 and isinstance(locked.parsed, Error)
    assert locked.parsed.code == "feedback_required"

    # WHEN the rep drafts and submits feedback, and the stream delivers it
    draft = save_feedback_draft.sync(campaign.id, client=rep,
                                     body=FeedbackIn(actual_spend=150000, actual_sales=900000, effect_rating=4))
    assert draft.status.value == "draft" and draft.kind is None
    overview = get_feedback.sync(campaign.id, client=rep)
    assert overview.submitted is None and overview.draft.actual_spend == 150000
    submitted = submit_feedback.sync(campaign.id, client=rep, body=FeedbackIn(reflections="busy"))
    assert submitted.revision == 1 and submitted.kind.value == "passive"
    assert streams.deliver_feedback(campaign.id) == {"batchItemFailures": []}

    # THEN finance settles the feedback's actual spend
    settled = settle_campaign.sync_detailed(campaign.id, client=finance, body=SettlementIn(note="paid"),
                                            idempotency_key="settle-1")
    assert settled.status_code == 201, settled.content
    assert settled.parsed.status is ReimbursementStatus.REIMBURSED and settled.parsed.amount == 150000
    assert settled.parsed.campaign.feedback.kind.value == "passive"
    again = settle_campaign.sync_detailed(campaign.id, client=finance)
    assert again.status_code == 409 and again.parsed.code == "already_reimbursed"

    # AND every response the generated client parsed was also the spec's
    assert not as_role.recorder.failures(), as_role.recorder.report()
