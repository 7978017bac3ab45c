"""A voucher batch's two files, for the general ledger's import: a CSV (UTF-8 with a BOM, so
Excel opens the Chinese summaries right) and a workbook.

Both hold two lines per campaign in the contract's column order (domain/vouchers.py: COLUMNS):
the debit of the category's expense account and the credit of payables, each the settled
amount in yuan with two decimals (the other side 0.00). They are written to disk line by line
as the batch's export items stream in (the workbook in XlsxWriter's constant-memory mode), so a
batch of any size never sits in memory whole; the workbook's second sheet states the batch and
its totals (debits = credits = total).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.domain.vouchers import COLUMNS, ExportItem, VoucherBatch, lines
from chalicelib.reporting.values import category_name, yuan

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
LINES_SHEET = "凭证 Vouchers"
BATCH_SHEET = "批次 Batch"
WIDTHS = {"date": 11, "account": 14, "debit": 14, "credit": 14, "summary": 48, "campaign_id": 28, "owner": 16}


def filename(batch_id: str, kind: str) -> str:
    """What a downloaded file is called (`huixiang-vouchers-<batch id>.csv`)."""
    return f"huixiang-vouchers-{batch_id}.{kind}"


def amount(fen: int) -> str:
    """Yuan with two decimals, as the CSV writes it: `1500.00`."""
    return str(yuan(fen))


class VoucherFiles:
    """The CSV and the workbook of one batch, written as its export items are added; `close()`
    finishes both. `campaigns`, `debits`, `credits` count what was written (fen)."""

    def __init__(self, directory: str, batch: VoucherBatch) -> None:
        import xlsxwriter  # imported here: only a batch's creation needs it

        self.batch = batch
        self.csv_path = os.path.join(directory, filename(batch.id, "csv"))
        self.xlsx_path = os.path.join(directory, filename(batch.id, "xlsx"))
        self.campaigns = self.debits = self.credits = 0
        self._csv_file = open(self.csv_path, "w", encoding="utf-8-sig", newline="")  # utf-8-sig: the BOM
        self._csv = csv.writer(self._csv_file, lineterminator="\r\n")
        self._csv.writerow(COLUMNS)
        self._book = xlsxwriter.Workbook(self.xlsx_path, {"constant_memory": True, "tmpdir": directory})
        created = dt.datetime.fromisoformat(batch.created_at.replace("Z", "+00:00")).replace(tzinfo=None)
        self._book.set_properties(
            {
                "title": f"Huixiang vouchers {batch.id}",
                "author": "Huixiang",
                "created": created,
                "company": batch.tenant,
            }
        )
        self._money = self._book.add_format({"num_format": "0.00"})
        self._date = self._book.add_format({"num_format": "yyyy-mm-dd"})
        self._head = self._book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
        self._bold = self._book.add_format({"bold": True})
        self._bold_money = self._book.add_format({"bold": True, "num_format": "0.00"})
        self._lines = self._book.add_worksheet(LINES_SHEET)
        self._summary = self._book.add_worksheet(BATCH_SHEET)  # written last, once the totals are known
        self._lines.activate()
        for c, name in enumerate(COLUMNS):
            self._lines.set_column(c, c, WIDTHS.get(name, 20))
        self._lines.write_row(0, 0, COLUMNS, self._head)
        self._lines.freeze_panes(1, 0)
        self._row = 0
        self._closed = False

    def add(self, item: ExportItem) -> None:
        for line in lines(item, self.batch.accounting):
            self._csv.writerow(
                [
                    line.date,
                    line.account,
                    amount(line.debit),
                    amount(line.credit),
                    line.summary,
                    line.campaign_id,
                    line.owner,
                    line.org,
                    line.invoices,
                ]
            )
            self._row += 1
            ws, r = self._lines, self._row
            ws.write_datetime(r, 0, dt.datetime.fromisoformat(line.date), self._date)
            ws.write_string(r, 1, line.account)
            ws.write_number(r, 2, float(yuan(line.debit)), self._money)
            ws.write_number(r, 3, float(yuan(line.credit)), self._money)
            ws.write_string(r, 4, line.summary)
            ws.write_string(r, 5, line.campaign_id)
            ws.write_string(r, 6, line.owner)
            ws.write_string(r, 7, line.org)
            ws.write_string(r, 8, line.invoices)
            self.debits += line.debit
            self.credits += line.credit
        self.campaigns += 1

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._csv_file.close()
        if self._row:
            self._lines.autofilter(0, 0, self._row, len(COLUMNS) - 1)
        self._write_summary(self._summary)
        self._book.close()

    def _write_summary(self, ws: Worksheet) -> None:
        b, a = self.batch, self.batch.accounting
        ws.set_column(0, 0, 34)
        ws.set_column(1, 1, 34)
        rows: list[tuple[str, Any, Format | None]] = [
            ("批次 Batch", b.id, None),
            ("公司 Company", b.tenant, None),
            ("截至 Through (settled on or before)", b.through, None),
            ("核销时间自 Settled from (UTC)", b.since or "—", None),
            ("核销时间至 Settled before (UTC)", b.until, None),
            ("生成 Created (UTC)", b.created_at, None),
            ("生成人 Created by", b.by.name or b.by.id, None),
            ("活动数 Campaigns", self.campaigns, None),
            ("借方合计 Debits (CNY)", yuan(self.debits), self._bold_money),
            ("贷方合计 Credits (CNY)", yuan(self.credits), self._bold_money),
            ("应付科目 Payable account", a.payable_account, None),
            ("费用科目 Expense account (default)", a.expense_account, None),
        ]
        rows += [
            (
                f"费用科目 Expense account: {category_name(category, 'zh')} {category_name(category, 'en')}",
                account,
                None,
            )
            for category, account in sorted(a.expense_accounts.items())
        ]
        for r, (label, value, fmt) in enumerate(rows):
            ws.write_string(r, 0, label, self._bold)
            if isinstance(value, Decimal):
                ws.write_number(r, 1, float(value), fmt)
            elif isinstance(value, int):
                ws.write_number(r, 1, value)
            else:
                ws.write_string(r, 1, str(value))
        ws.write_string(
            len(rows) + 1,
            0,
            "Two lines per campaign: debit the expense account of its category, credit payables, "
            "each the settled amount in yuan.",
        )
