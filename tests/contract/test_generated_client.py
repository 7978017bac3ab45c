"""A client nobody here wrote: openapi-python-client generates one from the served /openapi.json
with no warning, and the core loop runs through it (rule → apply → approve → feedback → stream
→ settle), errors parsed into the generated error models; so does money control (a budget, an
approval that reserves from it, the ledger and the audit trail, verified from the typed models)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

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
    assert (into / generated.PACKAGE / "models" / "feedback.py").exists()  # once dropped by a conflict


def test_every_list_is_typed_by_its_own_items(hx):
    from huixiang_client import models

    expected = {
        ("CampaignPage", "items"): models.Campaign,
        ("RulePage", "items"): models.Rule,
        ("ReportPage", "items"): models.Report,
        ("FeedbackRequestPage", "items"): models.FeedbackRequestRow,
        ("FeedbackRevisionPage", "items"): models.Feedback,
        ("SubmittedFeedbackPage", "items"): models.SubmittedFeedbackRow,
        ("AttachmentList", "items"): models.Attachment,
        ("CustomerHistoryPage", "items"): models.Campaign,
        ("BudgetPage", "items"): models.Budget,
        ("LedgerEntryPage", "items"): models.LedgerEntry,
        ("AuditTrailPage", "items"): models.AuditEntry,
        ("CampaignApproval", "chain"): models.ChainStep,
        ("CampaignApproval", "steps"): models.ApprovalStep,
        ("ApprovalPolicy", "levels"): models.PolicyLevel,
        ("ApprovalCard", "warnings"): models.CampaignWarning,
    }
    for (model, field), item in expected.items():
        annotation = getattr(models, model).__annotations__[field]  # the generated source's text
        assert str(annotation).replace("typing.", "") in {f"list[{item.__name__}]", f"list['{item.__name__}']"}, (
            model,
            field,
            annotation,
        )


@pytest.fixture(scope="module")
def as_role(hx, lambda_client, openapi, chalice_app):
    """An AuthenticatedClient per token, all answered by the app, every response recorded."""
    recorder = RecordingHttp(lambda_client.http, openapi, chalice_app.routes)

    def client(token: str):
        return hx.AuthenticatedClient(
            base_url=LOCAL,
            token=token,
            raise_on_unexpected_status=True,
            httpx_args={"transport": generated.transport(recorder)},
        )

    client.recorder = recorder
    return client


def test_the_core_loop_runs_through_the_generated_client(hx, as_role, lambda_client):
    from huixiang_client.api.campaigns import approve_campaign, create_campaign, get_campaign, submit_campaign
    from huixiang_client.api.feedback import get_feedback, save_feedback_draft, submit_feedback
    from huixiang_client.api.rules import create_feedback_rule
    from huixiang_client.api.settlement import settle_campaign
    from huixiang_client.models import (
        Approval,
        CampaignIn,
        CampaignInCustomer,
        CampaignInPlan,
        Error,
        FeedbackIn,
        ReimbursementStatus,
        RuleIn,
        RuleScope,
        SettlementIn,
        ValidationError,
    )

    co, streams = Company(), Streams(lambda_client)
    rep, manager, leader, finance = (as_role(t) for t in (co.rep, co.manager, co.leader, co.finance))

    # GIVEN a rep's application
    body = CampaignIn(
        title="Weekend tasting",
        category="tasting",
        customer=CampaignInCustomer(id="CUST-9", name="Suguo"),
        start_date=dt.date(2026, 11, 1),
        end_date=dt.date(2026, 11, 3),
        plan=CampaignInPlan(expected_spend=200000, expected_sales=1000000),
        requested_amount=200000,
    )
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
    draft = save_feedback_draft.sync(
        campaign.id, client=rep, body=FeedbackIn(actual_spend=150000, actual_sales=900000, effect_rating=4)
    )
    assert draft.status.value == "draft" and draft.kind is None
    overview = get_feedback.sync(campaign.id, client=rep)
    assert overview.submitted is None and overview.draft.actual_spend == 150000
    submitted = submit_feedback.sync(campaign.id, client=rep, body=FeedbackIn(reflections="busy"))
    assert submitted.revision == 1 and submitted.kind.value == "passive"
    assert streams.deliver_feedback(campaign.id) == {"batchItemFailures": []}

    # THEN finance settles the feedback's actual spend
    settled = settle_campaign.sync_detailed(
        campaign.id, client=finance, body=SettlementIn(note="paid"), idempotency_key="settle-1"
    )
    assert settled.status_code == 201, settled.content
    assert settled.parsed.status is ReimbursementStatus.REIMBURSED and settled.parsed.amount == 150000
    assert settled.parsed.campaign.feedback.kind.value == "passive"
    again = settle_campaign.sync_detailed(campaign.id, client=finance)
    assert again.status_code == 409 and again.parsed.code == "already_reimbursed"

    # AND every response the generated client parsed was also the spec's
    assert not as_role.recorder.failures(), as_role.recorder.report()


def test_money_control_runs_through_the_generated_client(hx, as_role):
    """A leader allocates a budget, a manager's approval reserves from it (and one that would
    overspend is the generated BudgetExceeded, with `available`), finance reads the ledger, and
    the rep reads the audit trail and verifies its hash chain from the typed models alone."""
    from huixiang_client.api.approvals import get_approval_card
    from huixiang_client.api.audit import get_campaign_audit
    from huixiang_client.api.budgets import create_budget, list_budget_entries
    from huixiang_client.api.campaigns import approve_campaign, create_campaign, submit_campaign
    from huixiang_client.models import (
        Approval,
        ApprovalLevel,
        AuditAction,
        Budget,
        BudgetExceeded,
        BudgetIn,
        CampaignIn,
        CampaignInCustomer,
        CampaignInPlan,
        CampaignStatus,
        LedgerEntryKind,
    )

    co = Company()
    rep, manager, leader, finance = (as_role(t) for t in (co.rep, co.manager, co.leader, co.finance))

    # GIVEN a company budget for the year
    budget = create_budget.sync(
        client=leader, body=BudgetIn(org=co.root, period="2026", amount=150000), idempotency_key="generated-budget-1"
    )
    assert isinstance(budget, Budget) and budget.available == 150000 and budget.category is None

    # AND a submitted application that the budget covers
    body = CampaignIn(
        title="Weekend tasting",
        category="tasting",
        customer=CampaignInCustomer(id="CUST-9", name="Suguo"),
        start_date=dt.date(2026, 11, 1),
        end_date=dt.date(2026, 11, 3),
        plan=CampaignInPlan(expected_spend=200000, expected_sales=1000000),
        requested_amount=200000,
    )
    campaign = create_campaign.sync(client=rep, body=body)
    assert campaign.approval is None and campaign.budget is None
    submitted = submit_campaign.sync(campaign.id, client=rep)
    assert submitted.approval.next_.level is ApprovalLevel.MANAGER
    # the campaign had begun before it was applied for: the one warning, typed by the generated client
    assert [w.code.value for w in submitted.warnings] == ["retroactive_application"]
    card = get_approval_card.sync(campaign.id, client=manager)
    assert card.budget.id == budget.id and card.budget.available == 150000

    # WHEN the manager approves more than the budget has, the 409 is the generated BudgetExceeded
    short = approve_campaign.sync_detailed(campaign.id, client=manager, body=Approval(approved_amount=180000))
    assert short.status_code == 409 and isinstance(short.parsed, BudgetExceeded), short.content
    assert short.parsed.available == 150000

    # THEN an approval within it reserves exactly its amount
    approved = approve_campaign.sync(campaign.id, client=manager, body=Approval(approved_amount=120000))
    assert approved.status is CampaignStatus.APPROVED
    assert (approved.budget.id, approved.budget.reserved, approved.budget.released) == (budget.id, 120000, 0)
    ledger = list_budget_entries.sync(budget.id, client=finance)
    assert [(e.kind, e.amount) for e in ledger.items] == [
        (LedgerEntryKind.ALLOCATE, 150000),
        (LedgerEntryKind.RESERVE, 120000),
    ]
    assert ledger.items[1].campaign_id == campaign.id and ledger.next_cursor is None

    # AND the audit trail says so, once each, and its chain recomputes from the typed entries
    trail = get_campaign_audit.sync(campaign.id, client=rep)
    assert trail.verified is True and trail.next_cursor is None
    assert [e.action for e in trail.items] == [
        AuditAction.CREATED,
        AuditAction.SUBMITTED,
        AuditAction.APPROVAL_STEP,
        AuditAction.APPROVED,
        AuditAction.BUDGET_RESERVED,
    ]
    prev = "0" * 64
    for seq, entry in enumerate(trail.items, start=1):
        hashed = entry.to_dict()
        claimed = hashed.pop("hash")
        text = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert (entry.seq, entry.prev_hash) == (seq, prev)
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == claimed == entry.hash_
        prev = claimed

    # AND every response the generated client parsed was also the spec's
    assert not as_role.recorder.failures(), as_role.recorder.report()


def _approved(rep, manager, title: str, customer_id: str, customer_name: str):
    """A tasting of 2026-11-01..03 applied for by `rep` and approved at 1,800 yuan by `manager`,
    through the generated client."""
    from huixiang_client.api.campaigns import approve_campaign, create_campaign, submit_campaign
    from huixiang_client.models import Approval, CampaignIn, CampaignInCustomer, CampaignInPlan

    body = CampaignIn(
        title=title,
        category="tasting",
        customer=CampaignInCustomer(id=customer_id, name=customer_name),
        start_date=dt.date(2026, 11, 1),
        end_date=dt.date(2026, 11, 3),
        plan=CampaignInPlan(expected_spend=200000, expected_sales=1000000),
        requested_amount=200000,
    )
    campaign = create_campaign.sync(client=rep, body=body)
    submit_campaign.sync(campaign.id, client=rep)
    approve_campaign.sync(campaign.id, client=manager, body=Approval(approved_amount=180000))
    return campaign


def test_invoices_run_through_the_generated_client(hx, as_role):
    """A rep claims an invoice by its QR text and another typed by hand, a second claim of the
    first is the generated InvoiceAlreadyClaimed naming the campaign, a release frees it, and
    where the company requires invoices finance's settlement beyond them is the generated
    InvoicesShort with `invoice_total`."""
    from huixiang_client.api.invoices import (
        claim_invoice,
        delete_invoice,
        get_settlement_policy,
        list_invoices,
        set_settlement_policy,
    )
    from huixiang_client.api.settlement import settle_campaign
    from huixiang_client.models import (
        InvoiceAlreadyClaimed,
        InvoiceIn,
        InvoicesShort,
        InvoiceType,
        SettlementIn,
        SettlementPolicyIn,
    )

    from tests import corpus

    co = Company()
    rep, manager, finance = (as_role(t) for t in (co.rep, co.manager, co.finance))
    campaign = _approved(rep, manager, "Roadshow", "CUST-INV", "Suguo")

    claimed = claim_invoice.sync_detailed(campaign.id, client=rep, body=InvoiceIn(qr=corpus.INVOICE_QR))
    assert claimed.status_code == 201 and claimed.parsed.key == "032001900111-12345678"
    assert claimed.parsed.amount == 123456 and claimed.parsed.flags.issued_before_campaign is False
    typed = InvoiceIn(
        type_=InvoiceType("32"), number="26322000000012345678", amount=500, issued_on=dt.date(2026, 11, 2)
    )
    by_hand = claim_invoice.sync(campaign.id, client=rep, body=typed)
    assert by_hand.source.value == "manual" and by_hand.code == ""
    twice = claim_invoice.sync_detailed(campaign.id, client=rep, body=InvoiceIn(qr=corpus.INVOICE_QR))
    assert twice.status_code == 409 and isinstance(twice.parsed, InvoiceAlreadyClaimed)
    assert twice.parsed.claimed_on.campaign_id == campaign.id
    listed = list_invoices.sync(campaign.id, client=manager)
    assert [i.id for i in listed.items] == [claimed.parsed.id, by_hand.id] and listed.total == 123956
    assert delete_invoice.sync_detailed(campaign.id, by_hand.id, client=rep).status_code == 204

    assert set_settlement_policy.sync(client=finance, body=SettlementPolicyIn(invoices_required=True)).invoices_required
    assert get_settlement_policy.sync(client=manager).invoices_required is True
    short = settle_campaign.sync_detailed(campaign.id, client=finance, body=SettlementIn(amount=150000))
    assert short.status_code == 409 and isinstance(short.parsed, InvoicesShort) and short.parsed.invoice_total == 123456
    paid = settle_campaign.sync(campaign.id, client=finance, body=SettlementIn(note="on invoices"))
    assert paid.amount == paid.invoice_total == 123456
    set_settlement_policy.sync(client=finance, body=SettlementPolicyIn(invoices_required=False))
    assert not as_role.recorder.failures(), as_role.recorder.report()


def test_vouchers_run_through_the_generated_client(hx, as_role):
    """Finance sets the accounts, makes a batch of a settled campaign (its count, total and
    links typed), a second batch is the generated NothingToExport with `through`, the voucher
    number is recorded, and another number is the generated AlreadyPosted."""
    from huixiang_client.api.settlement import settle_campaign
    from huixiang_client.api.vouchers import (
        create_voucher_batch,
        get_accounting,
        get_voucher_batch,
        list_voucher_batches,
        post_voucher_batch,
        set_accounting,
    )
    from huixiang_client.models import (
        AccountingIn,
        AccountingInExpenseAccountsType0,
        AlreadyPosted,
        NothingToExport,
        SettlementIn,
        VoucherBatchIn,
        VoucherPostIn,
    )

    co = Company()
    rep, manager, finance, leader = (as_role(t) for t in (co.rep, co.manager, co.finance, co.leader))
    campaign = _approved(rep, manager, "品鉴会", "CUST-VOU", "苏果")
    settle_campaign.sync(campaign.id, client=finance, body=SettlementIn(note="paid"))

    per_category = AccountingInExpenseAccountsType0.from_dict({"tasting": "6601.01"})
    accounts = AccountingIn(expense_account="6601", payable_account="2202", expense_accounts=per_category)
    assert set_accounting.sync(client=finance, body=accounts).payable_account == "2202"
    assert get_accounting.sync(client=leader).expense_account == "6601"
    batch = create_voucher_batch.sync(client=finance, body=VoucherBatchIn())
    assert (batch.campaigns, batch.total, batch.status.value) == (1, 180000, "open")
    assert batch.artifacts.csv_url and batch.artifacts.xlsx_url
    again = create_voucher_batch.sync_detailed(client=finance, body=VoucherBatchIn())
    assert again.status_code == 409 and isinstance(again.parsed, NothingToExport)
    assert [b.id for b in list_voucher_batches.sync(client=leader).items] == [batch.id]
    assert get_voucher_batch.sync(batch.id, client=finance).id == batch.id
    posted = post_voucher_batch.sync(batch.id, client=finance, body=VoucherPostIn(voucher_no="记-0042"))
    assert (posted.status.value, posted.voucher_no) == ("posted", "记-0042")
    other = post_voucher_batch.sync_detailed(batch.id, client=finance, body=VoucherPostIn(voucher_no="记-0043"))
    assert other.status_code == 409 and isinstance(other.parsed, AlreadyPosted) and other.parsed.voucher_no == "记-0042"
    assert not as_role.recorder.failures(), as_role.recorder.report()
