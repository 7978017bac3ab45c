"""Integrity flags and their per-category thresholds."""

from __future__ import annotations

import json

import pytest

from chalicelib.dal.objects import attachment_of
from chalicelib.domain.evidence import Thresholds, haversine_km, integrity, thresholds_for

NANJING = {"lat": 32.0415, "lon": 118.7849}


def test_thresholds_come_from_defaults_then_category():
    raw = json.dumps({"default": {"far_km": 3, "duplicate_distance": 6}, "roadshow": {"far_km": 30}})
    assert thresholds_for("roadshow", raw) == Thresholds(far_km=30, duplicate_distance=6)
    assert thresholds_for("tasting", raw) == Thresholds(far_km=3, duplicate_distance=6)
    assert thresholds_for("tasting", None) == Thresholds(far_km=5.0, duplicate_distance=8)


@pytest.mark.parametrize(
    "day,outside",
    [("2026-10-30", True), ("2026-10-31", False), ("2026-11-02", False), ("2026-11-04", False), ("2026-11-05", True)],
)
def test_window_is_start_minus_one_to_end_plus_one_day(day, outside):
    flags = integrity(f"{day}T23:59:00", None, "2026-11-01", "2026-11-03", NANJING, Thresholds())
    assert flags["outside_campaign_window"] is outside


def test_distance_is_haversine_and_far_uses_the_category_threshold():
    shanghai = {"lat": 31.2304, "lon": 121.4737}
    assert 265 < haversine_km(NANJING["lat"], NANJING["lon"], shanghai["lat"], shanghai["lon"]) < 275
    near = {"lat": 32.0415, "lon": 118.8300}  # ~4.3 km east
    assert integrity(None, near, "2026-11-01", "2026-11-03", NANJING, Thresholds())["far_from_location"] is False
    assert integrity(None, near, "2026-11-01", "2026-11-03", NANJING, Thresholds(far_km=3))["far_from_location"]


def test_unknowns_are_null_not_false():
    flags = integrity(None, None, "2026-11-01", "2026-11-03", None, Thresholds())
    assert flags == {
        "outside_campaign_window": None,
        "distance_km": None,
        "far_from_location": None,
        "missing_exif": True,
    }


@pytest.mark.parametrize(
    "key,expected",
    [
        ("uploads/C1/A1", ("C1", "A1")),
        ("uploads/C1/A1/extra", None),
        ("uploads/../x/A1", None),
        ("thumbnails/C1/A1.jpg", None),
        ("uploads/C1/", None),
    ],
)
def test_only_server_shaped_upload_keys_are_checked(key, expected):
    assert attachment_of(key) == expected
