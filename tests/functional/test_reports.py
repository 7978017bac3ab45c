"""Compiled reports (HTML, XLSX, CSV in S3), their email to subscribers, and daily reminders."""
from __future__ import annotations

import csv
import email
import email.policy
import io

import pytest
import requests

from tests.conftest import OUTBOX
from tests.functional.test_evaluation import sync


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


def test_a_report_run_compiles_html_xlsx_and_csv_with_the_summary_numbers(api, company, streams, november):
    # GIVEN the EAST manager subscribes, so EAST gets a report of its own
    assert api.put("/me/report-subscription", company.manager, {"frequency": "weekly"}).status_code == 200
    # WHEN a leader asks for November's reports
    r = api.post("/reports/runs", company.leader, {"period": "2026-11"})
    assert r.status_code == 202, r.json
    assert set(r.json["scopes"]) == {company.root, company.east}
    report_id = r.json["report_id"]
    assert api.get(f"/reports/{report_id}", company.leader).json["status"] == "pending"
    compile_pending(streams, company.root)
    # THEN the group report is ready with short-lived links to its artifacts
    report = api.get(f"/reports/{report_id}", company.leader).json
    assert report["status"] == "ready" and report["scope"] == company.root and report["period"] == "2026-11"
    links = report["artifacts"]
    html = requests.get(links["html_url"], timeout=10)
    assert html.status_code == 200 and "<svg" in html.text and "Plan vs actual by category" in html.text
    # AND the workbook opens and holds the right numbers
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(requests.get(links["xlsx_url"], timeout=10).content))
    assert book.sheetnames == ["Summary", "By region", "ROI ranking", "Overdue feedback"]
    summary = [row for row in book["Summary"].iter_rows(values_only=True)]
    header = summary[0]
    rows = {(row[0], row[1]): dict(zip(header, row)) for row in summary[1:]}
    assert rows[("total", "total")]["campaigns"] == 3
    assert rows[("total", "total")]["approved_amount"] == 320000
    assert rows[("category", "tasting")]["actual_spend"] == 100000 and rows[("category", "tasting")]["roi"] == 4
    assert rows[("category", "display")]["roi"] == 0
    ranking = [row for row in book["ROI ranking"].iter_rows(values_only=True)][1:]
    assert [r[1] for r in ranking[:2]] == [company.sub("rep"), company.sub("rep2")]
    # AND the CSV says the same
    text = requests.get(links["csv_url"], timeout=10).content.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    regions = {row["group"]: row for row in table if row["section"] == "region"}
    assert set(regions) == {company.east, company.west}
    assert int(regions[company.east]["campaigns"]) == 2 and int(regions[company.east]["actual_sales"]) == 590000
    # AND the EAST manager's report covers EAST only, and only they and leaders may read it
    east_id = r.json["report_ids"][r.json["scopes"].index(company.east)]
    assert api.get(f"/reports/{east_id}", company.manager).json["status"] == "ready"
    assert api.get(f"/reports/{report_id}", company.manager).status_code == 403
    assert [i["id"] for i in api.get("/reports", company.manager).json["items"]] == [east_id]
    assert {i["id"] for i in api.get("/reports", company.leader).json["items"]} == set(r.json["report_ids"])


def test_each_report_is_emailed_with_its_workbook_to_the_subscribers_of_its_scope(api, company, streams, november):
    from tests.conftest import mint

    leader_email = f"{company.sub('leader')}@example.com"
    manager_email = f"{company.sub('manager')}@example.com"
    quiet = mint("lead2-" + company.root, "leader", company.root, name="Quiet")
    assert api.put("/me/report-subscription", company.leader, {"frequency": "monthly"}).status_code == 200
    assert api.put("/me/report-subscription", company.manager, {"frequency": "weekly"}).status_code == 200
    assert api.put("/me/report-subscription", quiet, {"frequency": "none"}).status_code == 200
    r = api.post("/reports/runs", company.leader, {"period": "2026-11"})
    compile_pending(streams, company.root)
    compile_pending(streams, company.root)          # a redelivery sends nothing twice
    group_mail = mails_to(leader_email)
    assert len(group_mail) == 1 and group_mail[0]["To"] == leader_email and group_mail[0]["Cc"] is None
    east_mail = mails_to(manager_email)
    assert len(east_mail) == 1 and company.east in east_mail[0]["Subject"]
    assert mails_to(f"lead2-{company.root}@example.com") == []
    msg = group_mail[0]
    attachments = list(msg.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["huixiang-2026-11.xlsx"]
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(attachments[0].get_content()))
    assert [c.value for c in book["Summary"][2][:4]] == ["total", "total", None, 3]
    assert msg.get_body(("html",)).get_content().count("<svg") >= 1
    assert r.status_code == 202


def test_the_overdue_figure_everywhere_is_the_list_of_the_period_as_of_the_day_compiled(api, company, flow, streams):
    # GIVEN feedback is required a day after every campaign, and three campaigns: October's and
    # one of November's never fed back (both overdue now), one of November's fed back
    flow.rule(scope="all", due_days=1)
    streams.run_rules(company.root)
    flow.approved(start_date="2026-10-01", end_date="2026-10-02", title="October tasting")
    flow.approved(title="November tasting")
    done = flow.approved(title="Fed back")
    flow.submit_feedback(done["id"])
    sync(streams, company)
    assert api.put("/me/report-subscription", company.leader, {"frequency": "monthly"}).status_code == 200
    # WHEN November's report is compiled
    r = api.post("/reports/runs", company.leader, {"period": "2026-11"})
    compile_pending(streams, company.root)
    links = api.get(f"/reports/{r.json['report_id']}", company.leader).json["artifacts"]
    html = requests.get(links["html_url"], timeout=10).text
    # THEN the headline, the section and its list all say one: November's campaign
    assert "October tasting" not in html, "the list shows a campaign the period's figures do not count"
    assert "<b>1 overdue</b>" in html and "Overdue feedback (1)" in html and "November tasting" in html
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(requests.get(links["xlsx_url"], timeout=10).content))
    assert [row[1] for row in book["Overdue feedback"].iter_rows(min_row=2, values_only=True)] == ["November tasting"]
    (msg,) = mails_to(f"{company.sub('leader')}@example.com")
    assert "1 feedback reports overdue" in msg.get_body(("plain",)).get_content()


def test_subscription_and_report_routes_refuse_the_wrong_roles_and_bad_input(api, company):
    assert api.put("/me/report-subscription", company.rep, {"frequency": "weekly"}).status_code == 403
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
    assert api.put("/me/report-subscription", company.province_manager, {"frequency": "weekly"}).status_code == 200
    assert api.put("/me/report-subscription", company.manager, {"frequency": "monthly"}).status_code == 200
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
    # AND the next day brings the next reminder
    assert send_reminders("2026-11-24", tenants=[company.root])["sent"] == 1


def test_the_morning_schedule_asks_for_month_to_date_and_the_final_report_on_the_first(api, company):
    from chalicelib.logic.reports import scheduled_reports

    daily = scheduled_reports("2026-11-23", tenants=[company.root])
    assert [(r["kind"], r["period"], r["scope"]) for r in daily] == [("month_to_date", "2026-11", company.root)]
    first = scheduled_reports("2026-12-01", tenants=[company.root])
    assert [(r["kind"], r["period"]) for r in first] == [("final", "2026-11")]
