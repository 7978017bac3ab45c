"""One clock for the whole service (chalicelib/clock.py): set it once and every reading follows."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib import clock
from chalicelib.domain.ids import new_id
from chalicelib.logic.reports import as_of


@pytest.fixture
def evening_utc():
    """16:30 UTC on 20 November: already 00:30 on the 21st in Shanghai."""
    instant = dt.datetime(2026, 11, 20, 16, 30, tzinfo=dt.UTC)
    previous = clock.use_clock(lambda: instant)
    yield instant
    clock.use_clock(previous)


def test_today_is_the_shanghai_date_whatever_the_utc_date(evening_utc):
    assert clock.now_iso() == "2026-11-20T16:30:00.000Z"
    assert clock.business_today() == "2026-11-21"


def test_new_ids_and_a_reports_as_of_read_the_same_clock(evening_utc):
    assert new_id()[:10] == new_id(int(evening_utc.timestamp() * 1000))[:10]
    assert as_of().isoformat() == "2026-11-21T00:30:00+08:00"
    assert as_of("2026-11-25").isoformat() == "2026-11-25T00:00:00+08:00"


def test_no_source_means_the_system_clock_again(evening_utc):
    clock.use_clock(None)
    assert abs((clock.now() - dt.datetime.now(dt.UTC)).total_seconds()) < 5
