"""Compiled reports: asking for them, compiling them (pending → running → ready, or failed and
retried), who reads them, subscriptions, the 07:00 schedule and the 09:00 overdue reminders
(chalicelib.logic.reports)."""

from __future__ import annotations

import pytest

from chalicelib.domain.access import Principal
from chalicelib.logic import reports
from chalicelib.logic.rollups import apply_campaign_change
from tests.unit.use_cases.builders import (
    LEADER,
    PROVINCE,
    REGION,
    REP,
    REP_WEST,
    REP_ZJ,
    WEST,
    ZJ_MANAGER,
    approved,
    current,
    fed_back,
    refused,
    rule,
)


def sent(store) -> list:
    return store.mailer.sent


def subscribed() -> None:
    """The leader and the region manager get every report; Zhejiang's manager has opted out."""
    reports.subscribe(LEADER, "monthly")
    reports.subscribe(REGION, "weekly")
    reports.subscribe(ZJ_MANAGER, "none")


# -- asking for reports -----------------------------------------------------------------------------
def test_a_leader_asks_for_a_report_of_the_company_and_of_each_subscribed_office():
    # GIVEN the leader, the East's manager and (opted out) Zhejiang's manager subscribed
    # WHEN the leader asks for November THEN one pending report for the company and one for the East
    subscribed()
    asked = reports.run_reports(LEADER, "2026-11")
    assert [(r["scope"], r["kind"], r["period"]) for r in asked] == [
        ("CN", "on_demand", "2026-11"),
        ("CN/EAST", "on_demand", "2026-11"),
    ]
    assert {reports.get_report(LEADER, r["id"])["status"] for r in asked} == {"pending"}


def test_only_a_leader_asks_for_reports():
    # WHEN a manager asks for reports THEN 403
    assert refused(reports.run_reports, REGION, "2026-11").answer == (403, "forbidden")


def test_a_subscription_needs_an_email_and_covers_the_subscribers_office():
    # THEN a manager's reports cover their office, a leader's the company; no email, no subscription
    assert reports.subscribe(REGION, "weekly")["scope"] == "CN/EAST"
    assert reports.subscribe(LEADER, "monthly")["scope"] == "CN"
    no_mail = Principal("pm-9", "manager", "CN/WEST", name="No Mail")
    assert refused(reports.subscribe, no_mail, "weekly").codes == [("email", "no_email")]
    assert refused(reports.subscribe, REP, "weekly").answer == (403, "forbidden")


# -- reading reports ----------------------------------------------------------------------------------
def test_a_manager_reads_the_reports_of_scopes_within_theirs():
    # GIVEN reports for the company and for Jiangsu, twice
    # THEN Jiangsu's manager lists Jiangsu's, the leader all, the West none; the company's is forbidden to a manager
    reports.subscribe(PROVINCE, "weekly")
    company, _province = reports.run_reports(LEADER, "2026-11")
    office = reports.request_reports("CN", "2026-10", "final")  # CN and CN/EAST/JS again
    assert [r["scope"] for r in reports.list_reports(PROVINCE, 10, None)[0]] == ["CN/EAST/JS", "CN/EAST/JS"]
    assert len(reports.list_reports(LEADER, 10, None)[0]) == 4
    assert reports.list_reports(WEST, 10, None)[0] == []
    assert refused(reports.get_report, PROVINCE, company["id"]).answer == (403, "forbidden")
    assert reports.get_report(REGION, office[1]["id"])["scope"] == "CN/EAST/JS"


def test_reports_list_newest_first_and_refuse_a_made_up_cursor_or_id():
    # GIVEN October's, then November's report THEN newest first, a page at a time
    first, second = reports.run_reports(LEADER, "2026-10")[0], reports.run_reports(LEADER, "2026-11")[0]
    page, cursor = reports.list_reports(LEADER, 1, None)
    assert [r["id"] for r in page] == [second["id"]]
    assert [r["id"] for r in reports.list_reports(LEADER, 1, cursor)[0]] == [first["id"]]
    assert refused(reports.list_reports, LEADER, 1, "../x").codes == [("cursor", "bad_cursor")]
    assert refused(reports.get_report, LEADER, "not-a-report").answer == (404, "not_found")
    assert refused(reports.get_report, LEADER, "01ARZ3NDEKTSV4RRFFQ69G5FAV").answer == (404, "not_found")


# -- compiling ----------------------------------------------------------------------------------------
def test_a_compiled_report_is_ready_with_its_three_files_and_is_emailed_once(store):
    # GIVEN a fed-back campaign in the roll-ups and the company's report asked for
    subscribed()
    rule(scope="all")
    c = fed_back()
    apply_campaign_change("E1", None, current(c.id))
    report = reports.run_reports(LEADER, "2026-11")[0]
    # WHEN it is compiled THEN it is ready with HTML, XLSX and CSV, emailed to the company's subscriber
    assert reports.compile_report("CN", report["id"]) == "ready"
    shown = reports.get_report(LEADER, report["id"])
    assert shown["status"] == "ready" and all(shown["artifacts"][k] for k in ("html_url", "xlsx_url", "csv_url"))
    assert [m.to for m in sent(store)] == [("sun.qi@example.cn",)]  # the company's subscriber
    assert sent(store)[0].attachments[0].filename == "huixiang-2026-11.xlsx"
    # WHEN its stream record is delivered again THEN nothing is compiled or sent twice
    assert reports.compile_report("CN", report["id"]) == "already_ready" and len(sent(store)) == 1
    listed = {r["id"]: r for r in reports.list_reports(LEADER, 5, None)[0]}[report["id"]]
    assert listed["status"] == "ready" and listed["artifacts"]["html_url"] is None  # links only on GET by id


def test_a_report_that_fails_to_compile_says_why_and_compiles_on_the_next_attempt(store, monkeypatch):
    # GIVEN the workbook cannot be written WHEN the report is compiled THEN it fails and says why
    report = reports.run_reports(LEADER, "2026-11")[0]
    from chalicelib.reporting import tables

    real = tables.to_xlsx
    monkeypatch.setattr(tables, "to_xlsx", lambda data: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        reports.compile_report("CN", report["id"])
    failed = reports.get_report(LEADER, report["id"])
    assert (failed["status"], failed["error"]) == ("failed", "OSError: disk full")
    # WHEN the stream retries once the fault is gone THEN it is ready
    monkeypatch.setattr(tables, "to_xlsx", real)
    assert reports.compile_report("CN", report["id"]) == "ready"
    assert reports.get_report(LEADER, report["id"])["status"] == "ready"


def test_compiling_a_report_nobody_asked_for_fails():
    # GIVEN no such report WHEN it is compiled THEN the record fails (the stream parks it)
    with pytest.raises(LookupError):
        reports.compile_report("CN", "01ARZ3NDEKTSV4RRFFQ69G5FAV")


def test_a_report_counts_the_overdue_feedback_of_its_scope_as_of_the_moment_it_is_compiled():
    # GIVEN a Jiangsu campaign whose required feedback was due on 10 November
    # THEN today's company report counts and lists it as overdue; the West's does not
    rule(scope="all", due_days=7)
    late = approved()  # due 11-10
    apply_campaign_change("E1", None, current(late.id))
    data = reports.report_data("CN", "CN", "2026-11", "final")
    assert data.figure("overdue").value == 1 and data.figure("campaigns").value == 1
    assert [row["campaign_id"] for row in data.section("overdue").rows] == [late.id]
    assert reports.report_data("CN", "CN/WEST", "2026-11", "final").figure("overdue").value == 0


# -- the schedules ------------------------------------------------------------------------------------
def test_on_the_first_of_a_month_the_schedule_asks_for_last_months_final_report(store):
    # GIVEN a company the roll-ups know THEN on 1 December: November's final; on the 7th: December so far
    apply_campaign_change("E1", None, current(approved().id))  # the roll-ups know the company
    assert [(r["tenant"], r["kind"], r["period"]) for r in reports.scheduled_reports("2026-12-01")] == [
        ("CN", "final", "2026-11")
    ]
    assert [(r["kind"], r["period"]) for r in reports.scheduled_reports("2026-12-07")] == [("month_to_date", "2026-12")]


def test_a_month_to_date_report_goes_to_weekly_subscribers_on_mondays_only():
    # GIVEN weekly and monthly subscribers THEN month-to-date reports reach weekly ones on Mondays; finals all
    subscribed()
    monday, tuesday = "2026-11-23", "2026-11-24"
    weekly = [s["user_id"] for s in reports.report_recipients("CN", "CN/EAST", "month_to_date", monday)]
    assert weekly == [REGION.sub]
    assert reports.report_recipients("CN", "CN/EAST", "month_to_date", tuesday) == []
    assert [s["user_id"] for s in reports.report_recipients("CN", "CN", "final", tuesday)] == [LEADER.sub]


def test_each_rep_with_overdue_feedback_gets_one_reminder_a_day_copied_to_their_nearest_subscribed_managers(
    store, clock
):
    # GIVEN Jiangsu's and the East's managers subscribed, and two Jiangsu campaigns with overdue feedback,
    # one in Sichuan (its rep has no email) and one fed back in Zhejiang
    reports.subscribe(PROVINCE, "weekly")
    reports.subscribe(REGION, "weekly")
    rule(scope="all", due_days=7)
    first = approved()
    approved(start_date="2026-11-05", end_date="2026-11-06")
    approved(owner=REP_WEST, approver=WEST)  # overdue too, but the rep has no email address
    fed_back(owner=REP_ZJ)  # delivered: nothing to remind
    apply_campaign_change("E1", None, current(first.id))  # the roll-ups know the company
    # WHEN the 09:00 schedule runs THEN the Jiangsu rep gets one email listing both, copied to Jiangsu's manager
    assert reports.send_reminders() == {"sent": 1, "skipped": 1}
    mail = sent(store)[0]
    assert (mail.to, mail.cc) == (("li.lei@example.cn",), ("zhang.san@example.cn",))
    # in Chinese, as everything the product sends a rep
    assert mail.subject == "回响：2 个活动的反馈已逾期" and "截止 2026-11-10，逾期 10 天" in mail.text
    assert "截止 2026-11-13，逾期 7 天" in mail.text  # the second campaign, in the same email
    # WHEN it runs again that day THEN nothing is sent; the next day it is
    assert reports.send_reminders() == {"sent": 0, "skipped": 2}
    clock.set("2026-11-21")
    assert reports.send_reminders()["sent"] == 1
