"""Vouchers on the local stack, over HTTP: finance users creating batches at the same moment
while settlements keep landing never put a campaign in two batches nor leave one out; the files
open as Excel opens them (BOM, UTF-8, Chinese intact) and balance; a voucher number recorded
twice at once is posted to every campaign once, by the vouchers stream."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

import openpyxl
import requests

from tests.e2e.conftest import Http, token, wait_for

ROUNDS = 3
PER_ROUND = 3


def at_once(*calls: Any) -> list[Any]:
    barrier, out = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i: int, fn: Any) -> None:
        barrier.wait()
        out[i] = fn()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


class Company:
    def __init__(self, http: Http) -> None:
        self.http = http
        self.root = "V" + uuid.uuid4().hex[:8].upper()
        self.rep = token(f"rep-{self.root}", "rep", f"{self.root}/EAST/JS")
        self.manager = token(f"mgr-{self.root}", "manager", f"{self.root}/EAST")
        self.finance = token(f"fin-{self.root}", "finance", self.root)
        self.finance_2 = token(f"fin2-{self.root}", "finance", self.root)
        self.leader = token(f"lead-{self.root}", "leader", self.root)

    def approved(self, n: int) -> str:
        ended = (dt.date.today() - dt.timedelta(days=3)).isoformat()
        body = {
            "title": f"品鉴会 第{n}场",
            "category": "tasting" if n % 2 else "display",
            "customer": {"id": f"K{n}", "name": "苏果新街口店"},
            "start_date": ended,
            "end_date": ended,
            "plan": {"expected_spend": 100000, "expected_sales": 500000},
            "requested_amount": 100000 + n,
        }
        status, c = self.http("POST", "/campaigns", self.rep, body)
        assert status == 201, c
        assert self.http("POST", f"/campaigns/{c['id']}/submit", self.rep)[0] == 200
        status, c = self.http("POST", f"/campaigns/{c['id']}/approve", self.manager, {"approved_amount": 100000 + n})
        assert status == 200, c
        return str(c["id"])

    def settle(self, campaign_id: str) -> None:
        status, body = self.http("POST", f"/campaigns/{campaign_id}/reimbursement", self.finance, {})
        assert status == 201, body


def lines_of(batch: dict[str, Any]) -> list[list[str]]:
    raw = requests.get(batch["artifacts"]["csv_url"], timeout=10).content
    assert raw[:3] == b"\xef\xbb\xbf"  # the BOM by which Excel knows UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["date", "account", "debit", "credit", "summary", "campaign_id", "owner", "org", "invoices"]
    return rows[1:]


def test_racing_batch_creation_puts_every_settled_campaign_in_exactly_one_balanced_batch(http: Http) -> None:
    co = Company(http)
    assert http("POST", "/voucher-batches", co.finance, {})[1]["code"] == "accounting_not_configured"
    accounts = {"expense_account": "6601", "expense_accounts": {"tasting": "6601.01"}, "payable_account": "2202"}
    assert http("PUT", "/accounting", co.finance, accounts)[0] == 200
    settled: dict[str, int] = {}
    batches: list[dict[str, Any]] = []
    n = 0
    for _ in range(ROUNDS):
        ready = [co.approved(n := n + 1) for _ in range(PER_ROUND)]
        # two finance users create batches at the same moment while a third campaign is being settled
        for cid in ready[:-1]:
            co.settle(cid)
        racing = ready[-1]
        answers = at_once(
            lambda: http("POST", "/voucher-batches", co.finance, {}),
            lambda: http("POST", "/voucher-batches", co.finance_2, {}),
            lambda: co.settle(racing),  # noqa: B023  # run before the loop moves on (at_once joins)
        )
        settled.update(
            {cid: http("GET", f"/campaigns/{cid}", co.finance)[1]["reimbursement"]["amount"] for cid in ready}
        )
        for answer in answers[:2]:
            status, body = answer
            assert status in (201, 409), body
            if status == 409:
                assert body["code"] in ("nothing_to_export", "batch_in_progress"), body
            else:
                batches.append(body)
    # what is left goes in one last batch
    status, last = http("POST", "/voucher-batches", co.finance, {})
    if status == 201:
        batches.append(last)
    else:
        assert last["code"] == "nothing_to_export"
    # THEN every settled campaign is in exactly one batch, and each batch balances at its total
    seen: Counter[str] = Counter()
    for batch in batches:
        lines = lines_of(batch)
        ids = [r[5] for r in lines]
        assert len(lines) == 2 * batch["campaigns"] and ids[::2] == ids[1::2]
        seen.update(ids[::2])
        debits, credits = sum(Decimal(r[2]) for r in lines), sum(Decimal(r[3]) for r in lines)
        assert debits == credits == Decimal(batch["total"]) / 100
        assert all(r[4].startswith("活动费用核销 品鉴会 第") and r[4].endswith("苏果新街口店") for r in lines)
        book = openpyxl.load_workbook(io.BytesIO(requests.get(batch["artifacts"]["xlsx_url"], timeout=10).content))
        sheet = list(book.worksheets[0].iter_rows(values_only=True))[1:]
        assert round(sum(r[2] for r in sheet), 2) == round(sum(r[3] for r in sheet), 2) == batch["total"] / 100
    assert seen == Counter(settled.keys()), (seen, settled)  # each once, none left out
    assert sum(b["total"] for b in batches) == sum(settled.values())
    listed = http("GET", "/voucher-batches", co.leader)[1]["items"]
    assert sorted(b["id"] for b in listed) == sorted(b["id"] for b in batches)
    assert [b["id"] for b in listed] == sorted((b["id"] for b in listed), reverse=True)


def test_a_voucher_number_recorded_twice_at_once_is_posted_to_every_campaign_once(http: Http) -> None:
    co = Company(http)
    assert http("PUT", "/accounting", co.finance, {"expense_account": "6601", "payable_account": "2202"})[0] == 200
    ids = [co.approved(n) for n in range(1, 4)]
    for cid in ids:
        co.settle(cid)
    status, batch = http("POST", "/voucher-batches", co.finance, {"through": dt.date.today().isoformat()})
    assert status == 201 and batch["campaigns"] == 3 and batch["status"] == "open", batch
    answers = at_once(
        lambda: http("POST", f"/voucher-batches/{batch['id']}/posted", co.finance, {"voucher_no": "记-0042"}),
        lambda: http("POST", f"/voucher-batches/{batch['id']}/posted", co.finance_2, {"voucher_no": "记-0042"}),
    )
    assert [s for s, _ in answers] == [200, 200], answers
    assert {b["voucher_no"] for _, b in answers} == {"记-0042"}
    status, other = http("POST", f"/voucher-batches/{batch['id']}/posted", co.finance, {"voucher_no": "记-0043"})
    assert (status, other["code"], other["voucher_no"]) == (409, "already_posted", "记-0042")
    # the vouchers stream writes it on every campaign, with one audit entry each
    wait_for(
        lambda: http("GET", f"/voucher-batches/{batch['id']}", co.finance)[1]["posting"]["status"] == "done",
        timeout=30,
    )
    for cid in ids:
        assert http("GET", f"/campaigns/{cid}", co.rep)[1]["reimbursement"]["voucher_no"] == "记-0042"
        trail = http("GET", f"/campaigns/{cid}/audit", co.finance)[1]
        assert trail["verified"] is True
        assert [e["action"] for e in trail["items"]].count("voucher_posted") == 1
    # the same number again, after all that: 200 and nothing new
    assert http("POST", f"/voucher-batches/{batch['id']}/posted", co.finance, {"voucher_no": "记-0042"})[0] == 200
    wait_for(lambda: True)
    trail = http("GET", f"/campaigns/{ids[0]}/audit", co.finance)[1]
    assert [e["action"] for e in trail["items"]].count("voucher_posted") == 1
