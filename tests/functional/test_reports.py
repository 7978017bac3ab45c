"""Compiled reports (HTML, XLSX, CSV in S3), their email to subscribers, and daily reminders."""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import email.utils
import io
import re

import pytest
import requests

from tests.conftest import make_budget
from tests.functional.test_evaluation import sync
from tests.local_aws import OUTBOX


def compile_pending(streams, tenant: str) -> None:
    def mine(r):
        image = r["dynamodb"].get("NewImage") or {}
        return image.get("tenant", {}).get("S") == tenant and r["eventName"] == "INSERT"

    fresh = [r for r in streams.records("reports", mine) if r["eventID"] not in streams.delivered]
    for record in fresh:
        assert streams.invoke("on_report_requested", [record]) == {"batchItemFailures": []}


def mails_to(address: str) -> list[email.message.EmailMessage]:
    out = []
    for path in sorted(OUTBOX.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in (msg["To"] or "") or address in (msg["Cc"] or ""):
            out.append(msg)
    return out


@pytest.fixture
def november(api, company, flow, streams):
    a = flow.approved(amount=150000)
    flow.submit_feedback(a["id"], actual_spend=100000, actual_sales=500000)
    b = flow.approved(amount=90000, token=company.rep2, category="display")
    flow.submit_feedback(b["id"], token=company.rep2, actual_spend=90000, actual_sales=90000)
    flow.approved(amount=80000, token=company.rep_west, approver=company.west_manager, category="roadshow")
    sync(streams, company)


def sheet_rows(ws) -> list[dict]:
    """A section sheet's table as dicts keyed by heading (the notes under it left out)."""
    rows = list(ws.iter_rows(values_only=True))
    out = []
    for row in rows[1:]:
        if row[0] is None and row[1] is None:
            break
        out.append(dict(zip(rows[0], row, strict=False)))
    return out


def run_report(api, company, streams, period: str = "2026-11", language: str = "en") -> dict:
    r = api.post("/reports/runs", company.leader, {"period": period, "language": language})
    assert r.status_code == 202, r.json
    compile_pending(streams, company.root)
    report = api.get(f"/reports/{r.json['report_id']}", company.leader).json
    assert report["status"] == "ready", report
    return {**report, "run": r.json}


def artifacts(report: dict) -> tuple[str, object, list[dict]]:
    import openpyxl

    links = report["artifacts"]
    html = requests.get(links["html_url"], timeout=10).text
    book = openpyxl.load_workbook(io.BytesIO(requests.get(links["xlsx_url"], timeout=10).content))
    table = list(csv.DictReader(io.StringIO(requests.get(links["csv_url"], timeout=10).content.decode("utf-8-sig"))))
    return html, book, table


def test_a_report_run_compiles_html_xlsx_and_csv_with_the_summary_numbers(api, company, streams, november):
    # GIVEN the EAST manager subscribes, so EAST gets a report of its own
    assert (
        api.put("/me/report-subscription", company.manager, {"frequency": "weekly", "language": "en"}).status_code
        == 200
    )
    # WHEN a leader asks for November's reports
    r = api.post("/reports/runs", company.leader, {"period": "2026-11", "language": "en"})
    assert r.status_code == 202, r.json
    assert set(r.json["scopes"]) == {company.root, company.east} and r.json["language"] == "en"
    report_id = r.json["report_id"]
    assert api.get(f"/reports/{report_id}", company.leader).json["status"] == "pending"
    compile_pending(streams, company.root)
    # THEN the group report is ready with short-lived links to its artifacts
    report = api.get(f"/reports/{report_id}", company.leader).json
    assert report["status"] == "ready" and report["scope"] == company.root and report["period"] == "2026-11"
    assert report["language"] == "en"
    html, book, table = artifacts(report)
    assert "<svg" in html and "Plan vs actual by category" in html
    # AND the workbook opens with the report's facts, then a sheet per section, in yuan
    assert book.sheetnames == [
        "Report",
        "By category",
        "By region",
        "Best ROI",
        "Worst ROI",
        "Trend",
        "ROI ranking",
        "Overdue feedback",
        "Budgets",
    ]
    rows = {row["Category id"]: row for row in sheet_rows(book["By category"])}
    assert rows["total"]["Campaigns"] == 3 and rows["total"]["Approved amount (CNY)"] == 3200.00
    assert rows["tasting"]["Actual spend (CNY)"] == 1000.00 and rows["tasting"]["ROI"] == 4
    assert book["By category"]["K2"].number_format == "0.0%"  # ROI shown as 400.0%, as the console shows it
    assert rows["tasting"]["Category"] == "Tasting" and rows["display"]["ROI"] == 0
    ranking = sheet_rows(book["ROI ranking"])
    assert [r["Rep id"] for r in ranking[:2]] == [company.sub("rep"), company.sub("rep2")]
    # AND the CSV says the same, its money columns labelled in yuan
    regions = {row["Group"]: row for row in table if row["Section"] == "region"}
    assert set(regions) == {company.east, company.west, "total"}
    assert int(regions[company.east]["Campaigns"]) == 2 and regions[company.east]["Actual sales (CNY)"] == "5900.00"
    # AND the EAST manager's report covers EAST only, and only they and leaders may read it
    east_id = r.json["report_ids"][r.json["scopes"].index(company.east)]
    assert api.get(f"/reports/{east_id}", company.manager).json["status"] == "ready"
    assert api.get(f"/reports/{report_id}", company.manager).status_code == 403
    assert [i["id"] for i in api.get("/reports", company.manager).json["items"]] == [east_id]
    assert {i["id"] for i in api.get("/reports", company.leader).json["items"]} == set(r.json["report_ids"])


def test_the_budget_section_shows_each_budget_of_the_scope_in_yuan_in_every_artifact(api, company, flow, streams):
    # GIVEN the group's 2026 money (¥10,000), ¥3,000 of it carved to EAST for Q4 and ¥2,000 to WEST for November
    def budget(amount, org, period, parent=None):
        return make_budget(api, company, amount, org, period, **({"parent_id": parent} if parent else {}))["id"]

    top = budget(1_000_000, company.root, "2026")
    east = budget(300_000, company.east, "2026-Q4", top)
    west = budget(200_000, company.west, "2026-11", top)
    budget(50_000, company.root, "2025")  # not in force in November
    # AND approvals reserve from them, a settlement consumes ¥600 and releases ¥300, a cancellation all
    flow.approved(amount=150_000)
    settled = flow.approved(amount=90_000, token=company.rep2, category="display")
    paid = api.post(f"/campaigns/{settled['id']}/reimbursement", company.finance, {"amount": 60_000})
    assert paid.status_code == 201, paid.json
    flow.approved(amount=80_000, token=company.rep_west, approver=company.west_manager, category="roadshow")
    gone = flow.approved(amount=40_000)
    assert api.post(f"/campaigns/{gone['id']}/cancel", company.rep, {"reason": "store closed"}).status_code == 200
    sync(streams, company)
    assert (
        api.put("/me/report-subscription", company.manager, {"frequency": "weekly", "language": "en"}).status_code
        == 200
    )
    assert (
        api.put("/me/report-subscription", company.leader, {"frequency": "monthly", "language": "en"}).status_code
        == 200
    )
    report = run_report(api, company, streams)
    html, book, table = artifacts(report)
    # THEN the Budgets sheet has one row per budget in force, in yuan, and a total counting carved money once
    rows = {row["Budget id"]: row for row in sheet_rows(book["Budgets"])}
    assert list(rows) == [top, east, west, "total"]
    figures = ("Amount (CNY)", "Carved out (CNY)", "Reserved (CNY)", "Consumed (CNY)", "Available (CNY)", "Utilisation")
    assert [rows[east][f] for f in figures] == [3000.00, 0, 1500.00, 600.00, 900.00, 0.7]
    assert [rows[west][f] for f in figures] == [2000.00, 0, 800.00, 0, 1200.00, 0.4]
    assert [rows[top][f] for f in figures] == [10000.00, 5000.00, 0, 0, 5000.00, 0]
    assert [rows["total"][f] for f in figures] == [10000.00, 0, 2300.00, 600.00, 7100.00, 0.29]
    assert "¥" in book["Budgets"]["F2"].number_format and book["Budgets"]["K2"].number_format == "0.0%"
    # AND every figure matches the budget the API shows
    for budget_id in (top, east, west):
        b = api.get(f"/budgets/{budget_id}", company.leader).json
        assert rows[budget_id]["Available (CNY)"] == b["available"] / 100
    # AND the CSV and the page say the same, the headline's "Budget available" is the total's
    (csv_east,) = [r for r in table if r["Section"] == "budget" and r["Budget id"] == east]
    assert (csv_east["Org"], csv_east["Period"], csv_east["Reserved (CNY)"], csv_east["Utilisation"]) == (
        company.east,
        "2026-Q4",
        "1500.00",
        "0.7",
    )
    assert "<h2 id='budget'" in html and "¥3,000.00" in html and "70.0%" in html
    # AND the cancelled campaign counts nowhere: not in the budgets, not among the approved
    total = next(r for r in sheet_rows(book["By category"]) if r["Category id"] == "total")
    assert (total["Campaigns"], total["Approved amount (CNY)"]) == (3, 3200.00)
    assert re.search(r">Budget available</div><div[^>]*>¥7,100\.00</div>", html)
    (msg,) = mails_to(f"{company.sub('leader')}@example.com")
    assert "<h2 id='budget'" in msg.get_body(("html",)).get_content()
    assert re.search(r"Budget available +¥7,100\.00\n", msg.get_body(("plain",)).get_content())
    # AND EAST's own report shows EAST's budgets and the group's above it, not WEST's
    east_id = report["run"]["report_ids"][report["run"]["scopes"].index(company.east)]
    _, east_book, _ = artifacts(api.get(f"/reports/{east_id}", company.manager).json)
    east_rows = {row["Budget id"]: row for row in sheet_rows(east_book["Budgets"])}
    assert list(east_rows) == [top, east, "total"]
    assert east_rows["total"]["Carved out (CNY)"] == 2000.00 and east_rows["total"]["Available (CNY)"] == 5900.00


def test_money_reads_in_yuan_with_two_decimals_in_every_artifact(api, company, flow, streams):
    # GIVEN one approved in-store promotion of ¥17,600.00 (1,760,000 fen), and a subscribed leader
    flow.approved(
        amount=1760000,
        category="in_store_promotion",
        requested_amount=1760000,
        plan={"expected_spend": 1760000, "expected_sales": 8800000},
    )
    sync(streams, company)
    assert (
        api.put("/me/report-subscription", company.leader, {"frequency": "monthly", "language": "en"}).status_code
        == 200
    )
    html, book, table = artifacts(run_report(api, company, streams))
    # THEN the page and the email say ¥17,600.00 and name the category
    assert "¥17,600.00" in html and "In-store promotion" in html and ">in_store_promotion<" not in html
    (msg,) = mails_to(f"{company.sub('leader')}@example.com")
    assert "¥17,600.00" in msg.get_body(("html",)).get_content()
    assert "¥17,600.00" in msg.get_body(("plain",)).get_content()
    # AND the workbook stores yuan numbers under a yuan currency format, so sums work
    cell = book["By category"]["D2"]
    assert book["By category"]["D1"].value == "Approved amount (CNY)"
    assert cell.value == 17600.00 and "¥" in cell.number_format and "0.00" in cell.number_format
    # AND the CSV labels the unit in the column name
    (promotion,) = [row for row in table if row["Section"] == "category" and row["Group"] == "in_store_promotion"]
    assert promotion["Approved amount (CNY)"] == "17600.00" and promotion["Expected sales (CNY)"] == "88000.00"
    assert "Approved amount" not in promotion


def test_the_overdue_figure_everywhere_is_the_list_of_the_period_as_of_the_compile_time(api, company, flow, streams):
    # GIVEN feedback is required a day after every campaign, and three campaigns: October's and
    # one of November's never fed back (both overdue now), one of November's fed back
    flow.rule(scope="all", due_days=1)
    streams.run_rules(company.root)
    flow.approved(start_date="2026-10-01", end_date="2026-10-02", title="October tasting")
    flow.approved(title="November tasting")
    done = flow.approved(title="Fed back")
    flow.submit_feedback(done["id"])
    sync(streams, company)
    assert (
        api.put("/me/report-subscription", company.leader, {"frequency": "monthly", "language": "en"}).status_code
        == 200
    )
    # WHEN November's report is compiled
    html, book, table = artifacts(run_report(api, company, streams))
    # THEN the headline, the section and its list all say one: November's campaign
    assert "October tasting" not in html, "the list shows a campaign the period's figures do not count"
    assert re.search(r">Overdue feedback</div><div[^>]*>1</div>", html)
    assert "Overdue feedback (1)</h2>" in html and "November tasting" in html and "October tasting" not in html
    overdue = sheet_rows(book["Overdue feedback"])
    assert [o["Campaign"] for o in overdue] == ["November tasting"]
    assert overdue[0]["Feedback due"] == dt.datetime(2026, 11, 4)  # a date, not text
    assert [row["Campaign"] for row in table if row["Section"] == "overdue"] == ["November tasting"]
    totals = {row["Section"]: row for row in table if row["Group"] == "total"}
    assert totals["category"]["Overdue"] == totals["region"]["Overdue"] == "1"
    # AND October's overdue feedback is counted where October is shown: the trend
    trend = {row["Month"]: row for row in sheet_rows(book["Trend"])}
    assert trend[dt.datetime(2026, 10, 1)]["Overdue"] == 1
    assert re.search(r">Overdue, campaigns of the 5 months before</div><div[^>]*>1</div>", html)
    # AND the figures say what instant they are as of, in Asia/Shanghai
    assert re.search(r"figures as of 20\d\d-\d\d-\d\d \d\d:\d\d \(Asia/Shanghai\)", html)
    (msg,) = mails_to(f"{company.sub('leader')}@example.com")
    text = msg.get_body(("plain",)).get_content()
    assert re.search(r"Overdue feedback +1\n", text) and "Overdue feedback (1):" in text
    assert "November tasting" in text and "October tasting" not in text


def test_the_email_has_tables_and_png_charts_and_the_headers_clients_need(api, company, flow, streams):
    # GIVEN an approved campaign with no feedback yet (so ROI has no denominator)
    flow.approved()
    sync(streams, company)
    assert (
        api.put("/me/report-subscription", company.leader, {"frequency": "monthly", "language": "en"}).status_code
        == 200
    )
    run_report(api, company, streams)
    (msg,) = mails_to(f"{company.sub('leader')}@example.com")
    # THEN the body has no SVG and no script, and every image it shows is a PNG inside the message
    html = msg.get_body(("html",)).get_content()
    assert "<svg" not in html and "<script" not in html.lower() and "<table" in html
    cids = set(re.findall(r"src='cid:([^']+)'", html))
    related = {part["Content-ID"].strip().strip("<>"): part for part in msg.walk() if part["Content-ID"]}
    assert cids and cids <= set(related)
    assert all(
        related[c].get_content_type() == "image/png" and related[c].get_content()[:8] == b"\x89PNG\r\n\x1a\n"
        for c in cids
    )
    # AND it is dated and identified
    sent = email.utils.parsedate_to_datetime(msg["Date"])
    assert abs((dt.datetime.now(dt.UTC) - sent).total_seconds()) < 120
    assert re.fullmatch(r"<[^@<>\s]+@[^@<>\s]+>", msg["Message-ID"])
    # AND a missing ratio reads as a dash, never as None
    text = msg.get_body(("plain",)).get_content()
    assert re.search(r"ROI +—\n", text) and "None" not in text and "None" not in html


def test_each_report_is_emailed_with_its_workbook_to_the_subscribers_of_its_scope(api, company, streams, november):
    from tests.conftest import mint

    leader_email = f"{company.sub('leader')}@example.com"
    manager_email = f"{company.sub('manager')}@example.com"
    quiet = mint("lead2-" + company.root, "leader", company.root, name="Quiet")
    assert (
        api.put("/me/report-subscription", company.leader, {"frequency": "monthly", "language": "en"}).status_code
        == 200
    )
    assert (
        api.put("/me/report-subscription", company.manager, {"frequency": "weekly", "language": "en"}).status_code
        == 200
    )
    assert api.put("/me/report-subscription", quiet, {"frequency": "none", "language": "en"}).status_code == 200
    r = api.post("/reports/runs", company.leader, {"period": "2026-11", "language": "en"})
    compile_pending(streams, company.root)
    compile_pending(streams, company.root)  # a redelivery sends nothing twice
    group_mail = mails_to(leader_email)
    assert len(group_mail) == 1 and group_mail[0]["To"] == leader_email and group_mail[0]["Cc"] is None
    east_mail = mails_to(manager_email)
    assert len(east_mail) == 1 and company.east in east_mail[0]["Subject"]
    assert mails_to(f"lead2-{company.root}@example.com") == []
    msg = group_mail[0]
    attachments = list(msg.iter_attachments())
    assert [a.get_filename() for a in attachments if a.get_content_disposition() == "attachment"] == [
        "huixiang-2026-11.xlsx"
    ]
    import openpyxl

    book = openpyxl.load_workbook(
        io.BytesIO(next(a for a in attachments if a.get_filename().endswith(".xlsx")).get_content())
    )
    assert {row["Category id"]: row["Campaigns"] for row in sheet_rows(book["By category"])}["total"] == 3
    assert r.status_code == 202


def test_subscription_and_report_routes_refuse_the_wrong_roles_and_bad_input(api, company):
    assert api.put("/me/report-subscription", company.rep, {"frequency": "weekly", "language": "en"}).status_code == 403
    bad = api.put("/me/report-subscription", company.manager, {"frequency": "daily"})
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "frequency"
    assert api.post("/reports/runs", company.manager, {"period": "2026-11"}).status_code == 403
    bad = api.post("/reports/runs", company.leader, {"period": "2026-13"})
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "period"
    assert api.get("/reports", company.rep).status_code == 403
    assert api.get("/reports/01JUNKJUNKJUNKJUNKJUNKJUNK", company.leader).status_code == 404
    assert api.get("/reports/" + "x" * 3000, company.leader).status_code == 404
    bad = api.get("/reports?cursor=nope", company.leader)
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "cursor"


def test_overdue_reminders_go_once_a_day_to_each_rep_with_a_copy_to_their_manager(api, company, flow, streams):
    from chalicelib.logic.reports import send_reminders

    flow.rule(scope="all", due_days=1)
    streams.run_rules(company.root)
    flow.approved(start_date="2026-10-01", end_date="2026-10-02", title="Tasting one")
    flow.approved(start_date="2026-10-05", end_date="2026-10-06", title="Tasting two")
    done = flow.approved(start_date="2026-10-05", end_date="2026-10-06", title="Fed back")
    flow.submit_feedback(done["id"])
    flow.approved(start_date="2026-10-05", end_date="2099-10-06", title="Not due")
    assert (
        api.put(
            "/me/report-subscription", company.province_manager, {"frequency": "weekly", "language": "en"}
        ).status_code
        == 200
    )
    assert (
        api.put("/me/report-subscription", company.manager, {"frequency": "monthly", "language": "en"}).status_code
        == 200
    )
    rep_email = f"{company.sub('rep')}@example.com"
    # WHEN the schedule fires twice the same day
    first = send_reminders("2026-11-23", tenants=[company.root])
    second = send_reminders("2026-11-23", tenants=[company.root])
    # THEN the rep got one reminder listing both overdue campaigns, copied to the province manager
    assert first["sent"] == 1 and second["sent"] == 0
    mails = mails_to(rep_email)
    assert len(mails) == 1
    assert mails[0]["Cc"] == f"{company.sub('province_manager')}@example.com"
    body = mails[0].get_body(("plain",)).get_content()
    assert "Tasting one" in body and "Tasting two" in body and "Fed back" not in body and "Not due" not in body
    # in Chinese, as everything the product sends a rep
    assert mails[0]["Subject"] == "回响：2 个活动的反馈已逾期" and "截至 2026-11-23 逾期的反馈：" in body
    # AND the next day brings the next reminder
    assert send_reminders("2026-11-24", tenants=[company.root])["sent"] == 1


def test_the_morning_schedule_asks_for_month_to_date_and_the_final_report_on_the_first(api, company):
    from chalicelib.logic.reports import scheduled_reports

    daily = scheduled_reports("2026-11-23", tenants=[company.root])
    assert [(r["kind"], r["period"], r["scope"]) for r in daily] == [("month_to_date", "2026-11", company.root)]
    first = scheduled_reports("2026-12-01", tenants=[company.root])
    assert [(r["kind"], r["period"]) for r in first] == [("final", "2026-11")]


def test_the_report_of_a_month_that_starts_today_compiles_with_nothing_overdue(api, company, flow, streams):
    """On the 1st, the month-to-date report's overdue window (due in the period, before today)
    is empty: the compiler says "none", it does not refuse its own filters."""
    from chalicelib.logic.reports import overdue_list, report_data

    flow.rule(scope="all")
    streams.run_rules(company.root)
    flow.approved(start_date="2026-12-01", end_date="2026-12-01")
    assert overdue_list(company.root, company.root, "2026-12-01", period="2026-12") == ([], False)
    assert report_data(company.root, company.root, "2026-12", "month_to_date", "2026-12-01").period == "2026-12"


def test_a_report_is_in_chinese_unless_asked_and_each_subscriber_reads_it_in_their_own_language(
    api, company, streams, november
):
    from tests.conftest import mint

    # GIVEN a leader subscribes without saying a language, another in English
    reader = mint("lead-en-" + company.root, "leader", company.root, name="Ada")
    zh = api.put("/me/report-subscription", company.leader, {"frequency": "monthly"})
    en = api.put("/me/report-subscription", reader, {"frequency": "monthly", "language": "en"})
    assert (zh.json["language"], en.json["language"]) == ("zh", "en")
    # WHEN a report is run without a language (and its record is delivered twice)
    r = api.post("/reports/runs", company.leader, {"period": "2026-11"})
    assert r.status_code == 202 and r.json["language"] == "zh"
    compile_pending(streams, company.root)
    compile_pending(streams, company.root)
    # THEN its page, workbook and CSV are Chinese, in the console's words, ROI as a percentage
    report = api.get(f"/reports/{r.json['report_id']}", company.leader).json
    assert report["language"] == "zh"
    html, book, table = artifacts(report)
    assert "<html lang='zh-CN'>" in html and "各活动类型：计划与实际" in html and "Plan vs actual" not in html
    assert ">品鉴<" in html and ">Tasting<" not in html and "投资回报率" in html
    assert ">400.0%<" in html  # the tasting: sales ¥5,000.00 on spend ¥1,000.00, as the console shows ROI
    assert book.sheetnames[:3] == ["报表", "按活动类型", "按大区"]
    assert [c.value for c in book["按活动类型"][1]][:4] == ["活动类型 ID", "活动类型", "活动场次", "批准金额（元）"]
    assert list(table[0])[:4] == ["报表月份", "范围", "数据截至", "分表"]
    # AND each subscriber got one message, in the language of their subscription
    (zh_mail,) = mails_to(f"{company.sub('leader')}@example.com")
    (en_mail,) = mails_to(f"lead-en-{company.root}@example.com")
    assert zh_mail["Subject"] == f"回响活动报表 2026-11（手动生成）— {company.root}"
    assert en_mail["Subject"] == f"Huixiang campaign report 2026-11 (on demand) — {company.root}"
    assert "投资回报率" in zh_mail.get_body(("html",)).get_content()
    assert "反馈及时率" in zh_mail.get_body(("plain",)).get_content()
    assert "Feedback compliance" in en_mail.get_body(("plain",)).get_content()
    import openpyxl

    def workbook(msg):
        (xlsx,) = [a for a in msg.iter_attachments() if a.get_filename().endswith(".xlsx")]
        return openpyxl.load_workbook(io.BytesIO(xlsx.get_content()))

    assert workbook(zh_mail).sheetnames[0] == "报表" and workbook(en_mail).sheetnames[0] == "Report"


def test_the_language_is_one_of_zh_and_en(api, company):
    bad = api.put("/me/report-subscription", company.manager, {"frequency": "weekly", "language": "fr"})
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "language"
    bad = api.post("/reports/runs", company.leader, {"period": "2026-11", "language": "EN"})
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "language"


def test_a_director_reads_the_best_and_worst_campaigns_with_the_reps_words_and_a_photo(
    api, company, flow, streams, lambda_client
):
    from tests import corpus as C
    from tests.functional.evidence_support import Evidence

    # GIVEN seven November campaigns fed back, each spending ¥1,000.00, selling from ¥0 to ¥9,000.00
    sales = {"A": 500000, "B": 90000, "C": 300000, "D": 150000, "E": 120000, "F": 900000, "G": 0}
    made = {}
    for name, sold in sales.items():
        c = flow.approved(amount=100000, title=f"Campaign {name}")
        flow.submit_feedback(c["id"], actual_spend=100000, actual_sales=sold, reflections=f"First words on {name}")
        made[name] = c["id"]
    # AND the best campaign's rep wrote again (the report quotes the latest) and added a photo
    flow.submit_feedback(made["F"], actual_spend=100000, actual_sales=900000, reflections="路演人气很旺，下次再来")
    photo = Evidence(api, lambda_client, company).upload(made["F"], C.jpeg(C.scene(7)))
    assert photo["status"] == "ready"
    sync(streams, company)
    assert (
        api.put("/me/report-subscription", company.leader, {"frequency": "monthly", "language": "en"}).status_code
        == 200
    )
    html, book, _ = artifacts(run_report(api, company, streams))
    # THEN the page names the three best and the three worst, best and worst first, with ROI as a percentage
    best = html.split("<h2 id='best'")[1].split("<h2")[0]
    worst = html.split("<h2 id='worst'")[1].split("<h2")[0]
    assert re.findall(r">(Campaign [A-G])<", best) == ["Campaign F", "Campaign A", "Campaign C"]
    assert re.findall(r">(Campaign [A-G])<", worst) == ["Campaign G", "Campaign B", "Campaign E"]
    assert ">800.0%<" in best and ">-100.0%<" in worst
    # AND each with its rep's latest words, and the photo inside the page itself
    assert "路演人气很旺，下次再来" in best and "First words on F" not in best and "First words on G" in worst
    assert best.count("src='data:image/jpeg;base64,") == 1
    assert [r["Campaign"] for r in sheet_rows(book["Best ROI"])] == ["Campaign F", "Campaign A", "Campaign C"]
    # AND the email carries the photo as an inline part its HTML shows (no remote image to block)
    (msg,) = mails_to(f"{company.sub('leader')}@example.com")
    body = msg.get_body(("html",)).get_content()
    (photo_cid,) = re.findall(r"src='cid:(photo[^']+)'", body)
    (part,) = [p for p in msg.walk() if (p["Content-ID"] or "").strip("<>") == photo_cid]
    assert part.get_content_type() == "image/jpeg" and part.get_content()[:2] == b"\xff\xd8"
    assert re.search(r"^- Campaign F \(.+\): ROI 800\.0%$", msg.get_body(("plain",)).get_content(), re.M)
