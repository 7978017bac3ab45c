"""The local scheduler's reading of EventBridge expressions, and the app's schedules."""

from __future__ import annotations

import datetime as dt

import pytest

from devstack.scheduler import Cron, Rate, ScheduleRunner, parse_schedule, schedule_sources

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_daily_cron_fires_next_at_its_hour_in_utc():
    cron = Cron.parse("cron(0 23 * * ? *)")
    assert cron.next_after(at("2026-11-23 22:10")) == at("2026-11-23 23:00")
    assert cron.next_after(at("2026-11-23 23:00")) == at("2026-11-24 23:00")


def test_cron_lists_ranges_steps_and_day_names():
    cron = Cron.parse("cron(0/15 8-9 ? * MON-FRI *)")
    assert cron.next_after(at("2026-11-21 12:00")) == at("2026-11-23 08:00")  # Saturday → Monday
    assert cron.next_after(at("2026-11-23 08:50")) == at("2026-11-23 09:00")
    assert Cron.parse("cron(30 1 1 JAN,JUL ? 2027)").next_after(at("2026-11-23 00:00")) == at("2027-01-01 01:30")


def test_unsupported_cron_syntax_is_refused_clearly():
    with pytest.raises(ValueError, match="not supported"):
        Cron.parse("cron(0 0 L * ? *)")


def test_a_rate_fires_every_period():
    assert Rate("rate(5 minutes)").next_after(at("2026-11-23 10:00")) == at("2026-11-23 10:05")


def test_the_apps_schedules_are_07_00_and_09_00_in_shanghai(chalice_app):
    schedules = {s.name: parse_schedule(s.schedule_expression) for s in schedule_sources(chalice_app)}
    shanghai = dt.timezone(dt.timedelta(hours=8))
    report = schedules["compile_scheduled_reports"].next_after(at("2026-11-23 12:00")).astimezone(shanghai)
    reminder = schedules["send_overdue_reminders"].next_after(at("2026-11-23 12:00")).astimezone(shanghai)
    assert (report.hour, report.minute, report.date().isoformat()) == (7, 0, "2026-11-24")
    assert (reminder.hour, reminder.minute) == (9, 0)


def test_a_schedule_runner_fires_its_function_with_a_scheduled_event():
    seen = []
    runner = ScheduleRunner("tick", lambda event, context: seen.append(event) or "done", "rate(1 minute)")
    assert runner.fire() == "done" and runner.invocations == 1
    assert seen[0]["detail-type"] == "Scheduled Event" and seen[0]["source"] == "aws.events"
    assert runner.drain(0.1)
