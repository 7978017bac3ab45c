"""Vouchers for the general ledger (凭证): the company's accounts, batches that take every
settled campaign exactly once, their two balanced files, and the ERP's voucher number posted
back onto the campaigns (chalicelib.logic.vouchers)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from chalicelib.dal import repos
from chalicelib.domain.vouchers import COLUMNS, LEASE_SECONDS
from chalicelib.handlers import present
from chalicelib.logic import settlement, vouchers
from tests.unit.use_cases.builders import (
    FINANCE,
    LEADER,
    OUTSIDER,
    REGION,
    REP,
    current,
    fed_back,
    refused,
    reimbursed,
    trail_actions,
)
from tests.unit.use_cases.conftest import Clock

FINANCE_2 = FINANCE.__class__("fin-2", "finance", "CN", name="Wu Jiu")
FINANCE_US = FINANCE.__class__("fin-x", "finance", "US", name="Other finance")


def accounts(who: Any = FINANCE, **overrides: Any) -> Any:
    body = {"expense_account": "6601", "payable_account": "2202", "expense_accounts": {"tasting": "6601.01"}}
    body.update(overrides)
    return vouchers.set_accounting(who, body["expense_account"], body["payable_account"], body["expense_accounts"])


def artifact(batch: Any, kind: str) -> bytes:
    return repos.objects().artifact(batch.artifacts[kind])  # type: ignore[attr-defined]  # memory only


def csv_rows(batch: Any) -> list[list[str]]:
    raw = artifact(batch, "csv")
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def xlsx_rows(batch: Any) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(artifact(batch, "xlsx")), read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


# -- the accounts --------------------------------------------------------------------------------
def test_finance_sets_the_accounts_and_finance_and_leaders_read_them():
    # GIVEN no accounts THEN the company reads none
    assert vouchers.get_accounting(LEADER) is None
    # WHEN finance sets them THEN finance and a leader read them back; a category's own account wins
    accounts()
    for who in (FINANCE, LEADER):
        got = vouchers.get_accounting(who)
        assert got is not None and got.payable_account == "2202"
        assert (got.account_for("tasting"), got.account_for("display")) == ("6601.01", "6601")
    assert vouchers.get_accounting(FINANCE).by.id == FINANCE.sub  # type: ignore[union-attr]
    # other roles THEN 403; another company sees its own (none)
    for who in (REP, REGION):
        assert refused(vouchers.get_accounting, who).answer == (403, "forbidden")
    assert refused(accounts, LEADER).answer == (403, "forbidden")
    assert vouchers.get_accounting(FINANCE_US) is None


def test_an_account_for_an_unknown_category_is_refused_naming_it():
    r = refused(accounts, expense_accounts={"tasting": "6601.01", "yachts": "6602"})
    assert r.answer == (400, "validation_error")
    assert r.codes == [("expense_accounts.yachts", "unknown_category")]
    assert vouchers.get_accounting(FINANCE) is None  # nothing half-written
    r = refused(accounts, payable_account="22 02", expense_accounts={"display": "科目"})
    assert r.codes == [("payable_account", "not_an_account"), ("expense_accounts.display", "not_an_account")]


# -- batches --------------------------------------------------------------------------------------
def test_no_batch_without_accounts_nor_without_anything_settled():
    reimbursed()
    assert refused(vouchers.create_batch, FINANCE, None).answer == (409, "accounting_not_configured")
    accounts()
    vouchers.create_batch(FINANCE, None)
    r = refused(vouchers.create_batch, FINANCE, None)
    assert r.answer == (409, "nothing_to_export") and r.details["through"] == "2026-11-20"


def test_a_batch_holds_every_settled_campaign_once_with_two_balanced_lines_each():
    # GIVEN accounts, two settled campaigns (1,500.00 and 1,234.56 yuan) and one not settled yet
    accounts()
    a = reimbursed(spend=150000)
    b = reimbursed(amount=200000, spend=123456, category="display", title="门店陈列 夏季")
    waiting = fed_back()
    # WHEN finance makes a batch
    batch = vouchers.create_batch(FINANCE, None)
    # THEN it holds the two, their total, and is open
    assert (batch.campaigns, batch.total, batch.status, batch.through) == (2, 273456, "open", "2026-11-20")
    rows = csv_rows(batch)
    assert tuple(rows[0]) == COLUMNS
    lines = rows[1:]
    assert len(lines) == 4
    assert [r[5] for r in lines] == [a.id, a.id, b.id, b.id]
    # debit the category's expense account, credit payables, yuan with two decimals
    assert [(r[1], r[2], r[3]) for r in lines] == [
        ("6601.01", "1500.00", "0.00"),
        ("2202", "0.00", "1500.00"),
        ("6601", "1234.56", "0.00"),
        ("2202", "0.00", "1234.56"),
    ]
    assert lines[2][4] == "活动费用核销 门店陈列 夏季 Suguo Xinjiekou"
    assert (lines[0][0], lines[0][6], lines[0][7]) == ("2026-11-20", "Li Lei", "CN/EAST/JS")
    debits = sum(Decimal(r[2]) for r in lines)
    assert debits == sum(Decimal(r[3]) for r in lines) == Decimal("2734.56")
    # the workbook holds the same lines and balances too
    sheet = xlsx_rows(batch)
    assert tuple(sheet[0]) == COLUMNS and len(sheet) == 5
    assert round(sum(r[2] for r in sheet[1:]), 2) == round(sum(r[3] for r in sheet[1:]), 2) == 2734.56
    # WHEN the third is settled and another batch made THEN it holds that one only
    settlement.settle(FINANCE, waiting.id, None, None)
    second = vouchers.create_batch(FINANCE, None)
    assert second.campaigns == 1 and [r[5] for r in csv_rows(second)[1:]] == [waiting.id] * 2
    assert [x.id for x in vouchers.list_batches(FINANCE, page(10)).items] == [second.id, batch.id]


def test_a_campaigns_invoice_numbers_are_on_its_lines_in_claim_order():
    # GIVEN a campaign settled on two invoices (a VAT invoice and a fully digital one), one without
    from chalicelib.logic import invoices

    accounts()
    c = fed_back(spend=150000)
    invoices.claim_invoice(REP, c.id, {"qr": "01,04,3200162130,00001234,1000.00,20261102,,4FD5"})
    invoices.claim_invoice(REP, c.id, {"qr": "01,32,,24322000000000004321,500.00,20261102,,9B1E"})
    settlement.settle(FINANCE, c.id, None, None)
    plain = reimbursed()
    rows = csv_rows(vouchers.create_batch(FINANCE, None))[1:]
    # THEN both lines of each campaign carry its invoices' numbers, `;`-separated; none for the other
    assert [(r[5], r[8]) for r in rows] == [
        (c.id, "00001234;24322000000000004321"),
        (c.id, "00001234;24322000000000004321"),
        (plain.id, ""),
        (plain.id, ""),
    ]


def test_through_takes_the_days_up_to_it_and_leaves_the_later_ones(clock: Clock):
    # GIVEN one campaign settled on the 18th and one on the 20th
    accounts()
    clock.set("2026-11-18", 23, 59)
    early = reimbursed()
    clock.set("2026-11-20")
    late = reimbursed()
    # WHEN finance exports through the 19th THEN the 18th's only, dated the day it was settled
    first = vouchers.create_batch(FINANCE, "2026-11-19")
    rows = csv_rows(first)[1:]
    assert [r[5] for r in rows] == [early.id] * 2 and rows[0][0] == "2026-11-18"
    # THEN through the 19th again: nothing left; through today: the 20th's
    assert refused(vouchers.create_batch, FINANCE, "2026-11-19").answer == (409, "nothing_to_export")
    assert [r[5] for r in csv_rows(vouchers.create_batch(FINANCE, None))[1:]] == [late.id] * 2


def test_a_settlement_racing_a_batch_goes_to_the_next_batch_never_lost_nor_twice(store, monkeypatch):
    # GIVEN accounts and a settled campaign; a second is being settled while finance cuts a batch
    accounts()
    first = reimbursed()
    racing = fed_back()
    real_queue, raced = store.vouchers.queue, []

    def batch_cut_meanwhile(uow_or_tenant: Any, *args: Any) -> None:
        if not raced:
            raced.append(vouchers.create_batch(FINANCE_2, None))
        real_queue(uow_or_tenant, *args)

    monkeypatch.setattr(store.vouchers.__class__, "queue", lambda self, *a: batch_cut_meanwhile(*a))
    paid = settlement.settle(FINANCE, racing.id, None, None)
    monkeypatch.undo()
    # THEN the batch holds the first only; the racing settlement went through (retried) and is next
    assert paid.reimbursement_status == "reimbursed"
    assert [r[5] for r in csv_rows(raced[0])[1:]] == [first.id] * 2
    nxt = vouchers.create_batch(FINANCE, None)
    assert [r[5] for r in csv_rows(nxt)[1:]] == [racing.id] * 2


def test_a_second_creator_during_a_live_lease_waits_then_gets_what_is_left(store, monkeypatch):
    # GIVEN a batch being made (its lease live) WHEN another finance user creates one
    accounts()
    reimbursed()
    state = store.vouchers.state("CN")
    batch = vouchers.VoucherBatch(
        "01JZZZZZZZZZZZZZZZZZZZZZZZ",
        "CN",
        "2026-11-20T02:00:00.000Z",
        FINANCE.person,
        "2026-11-20",
        "",
        "2026-11-20T02:00:01.000Z",
        vouchers.get_accounting(FINANCE),  # type: ignore[arg-type]
    )
    store.vouchers.claim(batch, state, "holder-1", "2026-11-20T03:00:00.000Z")
    monkeypatch.setattr(vouchers, "WAIT_FOR_LEASE_SECONDS", 0.3)
    monkeypatch.setattr(vouchers, "POLL_SECONDS", 0.05)
    # THEN it is told a batch is in progress (it never makes a second batch of the same campaigns)
    assert refused(vouchers.create_batch, FINANCE_2, None).answer == (409, "batch_in_progress")
    assert [b.id for b in vouchers.list_batches(FINANCE, page(10)).items] == [batch.id]


def test_a_crashed_creation_is_resumed_by_the_next_one_not_duplicated(store, clock: Clock, monkeypatch):
    # GIVEN a creation that cut the queue and crashed before its files were made
    accounts()
    c = reimbursed()

    def crash(*_: Any) -> None:
        raise RuntimeError("the function timed out")

    monkeypatch.setattr(vouchers, "export", crash)
    with pytest.raises(RuntimeError):
        vouchers.create_batch(FINANCE, None)
    monkeypatch.undo()
    [stuck] = vouchers.list_batches(FINANCE, page(10)).items
    assert stuck.export == "running" and vouchers.links(stuck) == {"csv_url": None, "xlsx_url": None}
    # WHEN its lease has run out and finance creates a batch
    clock.advance(seconds=LEASE_SECONDS + 1)
    r = refused(vouchers.create_batch, FINANCE_2, None)
    # THEN the crashed batch is finished (its campaign in it, once) and nothing else is left
    assert r.answer == (409, "nothing_to_export")
    done = vouchers.get_batch(FINANCE, stuck.id)
    assert (done.export, done.campaigns) == ("ready", 1)
    assert [row[5] for row in csv_rows(done)[1:]] == [c.id] * 2
    assert len(vouchers.list_batches(FINANCE, page(10)).items) == 1


def test_batches_are_finances_and_leaders_and_stay_in_their_company():
    accounts()
    reimbursed()
    for who in (REP, REGION, LEADER):
        assert refused(vouchers.create_batch, who, None).answer == (403, "forbidden")
    batch = vouchers.create_batch(FINANCE, None)
    assert vouchers.get_batch(LEADER, batch.id).id == batch.id
    for who in (REP, REGION):
        assert refused(vouchers.get_batch, who, batch.id).answer == (403, "forbidden")
        assert refused(vouchers.list_batches, who, page(10)).answer == (403, "forbidden")
    # another company: not found, an empty list, and its own export is empty
    assert refused(vouchers.get_batch, OUTSIDER, batch.id).answer == (404, "not_found")
    assert refused(vouchers.get_batch, FINANCE, "no-such-batch").answer == (404, "not_found")
    assert vouchers.list_batches(FINANCE_US, page(10)).items == []
    vouchers.set_accounting(FINANCE_US, "6601", "2202", None)
    assert refused(vouchers.create_batch, FINANCE_US, None).answer == (409, "nothing_to_export")


def test_batches_page_newest_first():
    accounts()
    made = []
    for _ in range(3):
        reimbursed()
        made.append(vouchers.create_batch(FINANCE, None).id)
    first = vouchers.list_batches(FINANCE, page(2))
    assert [b.id for b in first.items] == made[::-1][:2] and first.next_cursor
    rest = vouchers.list_batches(FINANCE, page(2, first.next_cursor))
    assert [b.id for b in rest.items] == made[:1]


# -- posting the voucher number ---------------------------------------------------------------------
def test_posting_writes_the_number_on_the_batch_every_campaign_and_each_trail_once():
    accounts()
    a, b = reimbursed(), reimbursed()
    batch = vouchers.create_batch(FINANCE, None)
    posted = vouchers.post_batch(FINANCE, batch.id, "记-2026-11-0042")
    assert (posted.status, posted.voucher_no, posted.posted_by.id) == ("posted", "记-2026-11-0042", FINANCE.sub)  # type: ignore[union-attr]
    # the vouchers stream posts it to the campaigns (here called as the stream would)
    assert vouchers.post_to_campaigns("CN", batch.id) == "posted"
    for c in (a, b):
        assert current(c.id).voucher_no == "记-2026-11-0042"
        assert present.campaign(current(c.id))["reimbursement"]["voucher_no"] == "记-2026-11-0042"
        assert trail_actions(c.id).count("voucher_posted") == 1
    assert vouchers.get_batch(FINANCE, batch.id).campaigns_posted == 2
    # THEN the same number again: 200, no second effect, even if the stream runs again
    again = vouchers.post_batch(FINANCE, batch.id, "记-2026-11-0042")
    assert again.posted_at == posted.posted_at
    assert vouchers.post_to_campaigns("CN", batch.id) == "already_posted"
    assert trail_actions(a.id).count("voucher_posted") == 1
    # another number: 409 already_posted, naming the one recorded
    r = refused(vouchers.post_batch, FINANCE, batch.id, "记-2026-11-0043")
    assert r.answer == (409, "already_posted") and r.details["voucher_no"] == "记-2026-11-0042"


def test_a_posting_cut_short_resumes_where_it_stopped(monkeypatch):
    accounts()
    made = [reimbursed() for _ in range(5)]
    batch = vouchers.create_batch(FINANCE, None)
    vouchers.post_batch(FINANCE, batch.id, "V-7")
    monkeypatch.setattr(vouchers, "POSTING_PAGE", 2)
    real, calls = vouchers.post_campaign, []

    def fail_on_the_fourth(campaign_id: str, b: Any) -> str:
        calls.append(campaign_id)
        if len(calls) == 4:
            raise RuntimeError("throttled")
        return real(campaign_id, b)

    monkeypatch.setattr(vouchers, "post_campaign", fail_on_the_fourth)
    with pytest.raises(RuntimeError):
        vouchers.post_to_campaigns("CN", batch.id)
    assert vouchers.get_batch(FINANCE, batch.id).campaigns_posted == 2  # the first page recorded
    monkeypatch.setattr(vouchers, "post_campaign", real)
    assert vouchers.post_to_campaigns("CN", batch.id) == "posted"
    assert vouchers.get_batch(FINANCE, batch.id).posting == "done"
    for c in made:
        assert current(c.id).voucher_no == "V-7" and trail_actions(c.id).count("voucher_posted") == 1


def test_only_finance_posts_and_only_a_ready_batch_of_its_own_company():
    accounts()
    reimbursed()
    batch = vouchers.create_batch(FINANCE, None)
    assert refused(vouchers.post_batch, LEADER, batch.id, "V-1").answer == (403, "forbidden")
    assert refused(vouchers.post_batch, FINANCE_US, batch.id, "V-1").answer == (404, "not_found")
    assert vouchers.get_batch(FINANCE, batch.id).voucher_no is None


def test_the_stream_posts_a_batch_when_its_number_arrives_and_ignores_everything_else():
    # images as the vouchers stream carries them: only a batch whose number is new is posted
    accounts()
    c = reimbursed()
    batch = vouchers.create_batch(FINANCE, None)
    assert vouchers.voucher_item_changed(None, None) is None
    vouchers.post_batch(FINANCE, batch.id, "V-9")
    assert vouchers.post_to_campaigns("CN", batch.id) == "posted"
    assert current(c.id).voucher_no == "V-9"


def page(limit: int, cursor: str | None = None) -> Any:
    from chalicelib.domain.pages import PageRequest

    return PageRequest(limit=limit, cursor=cursor)
