"""Check-ins at the store (到店签到) and what they attest of the photos taken during them.

Plain Python: no I/O. A visit is the server's record of a rep at a place at a time: the time
is the server's (never the client's), the place the browser's. It is recorded and flagged,
never refused: far from the campaign's location or outside its dates, a reviewer decides.

An attachment requested with a visit's id is attested when all three hold:

* `requested_during_visit`: the upload was asked for between the visit's `at` and `expires_at`;
* `taken_during_visit`: the photo's EXIF time falls in that window (EXIF keeps local time without
  a zone: it is read in the business zone, Asia/Shanghai, to the second);
* `near_visit`: the photo's EXIF position lies within NEAR_VISIT_KM of the visit's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.evidence import Thresholds, haversine_km

VISIT_HOURS = 2  # a visit is in force this long after it is recorded
NEAR_VISIT_KM = 0.5  # a photo within this distance of the visit was taken there
_EXIF_ZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Visit:
    id: str
    campaign_id: str
    tenant: str
    org: str  # the campaign's org and owner: who may see the visit
    owner_id: str
    at: str  # UTC, the server's clock
    expires_at: str
    lat: float
    lon: float
    accuracy_m: float | None
    distance_km: float | None  # from the campaign's location; None when it has no coordinates
    far_from_location: bool | None  # None when the distance is unknown
    within_campaign_dates: bool


def _instant(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_visit(
    visit_id: str,
    campaign_id: str,
    org: str,
    owner_id: str,
    at: str,
    lat: float,
    lon: float,
    accuracy_m: float | None,
    start_date: str,
    end_date: str,
    location: Mapping[str, Any] | None,
    t: Thresholds,
) -> Visit:
    """A visit at `at` (UTC, the server's now), flagged against the campaign's place and dates.
    "Far" is the photos' threshold (`Thresholds.far_km`); the dates are Asia/Shanghai days."""
    distance = None
    if location and location.get("lat") is not None and location.get("lon") is not None:
        distance = round(haversine_km(lat, lon, float(location["lat"]), float(location["lon"])), 3)
    day = _instant(at).astimezone(_EXIF_ZONE).date().isoformat()
    return Visit(
        id=visit_id,
        campaign_id=campaign_id,
        tenant=org.split("/", 1)[0],
        org=org,
        owner_id=owner_id,
        at=at,
        expires_at=_iso(_instant(at) + dt.timedelta(hours=VISIT_HOURS)),
        lat=lat,
        lon=lon,
        accuracy_m=accuracy_m,
        distance_km=distance,
        far_from_location=None if distance is None else distance > t.far_km,
        within_campaign_dates=start_date <= day <= end_date,
    )


def in_force(visit: Visit, instant: str) -> bool:
    """Whether `instant` (UTC ISO) lies in the visit's window, its ends included."""
    return _instant(visit.at) <= _instant(instant) <= _instant(visit.expires_at)


def _exif_instant(taken_at: str) -> dt.datetime | None:
    """An EXIF time (local, no zone, to the second) as an instant: read in Asia/Shanghai unless
    it carries its own offset."""
    try:
        moment = dt.datetime.fromisoformat(taken_at)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_EXIF_ZONE)


def taken_during(visit: Visit, taken_at: str | None) -> bool:
    """The photo's EXIF time lies in the visit's window (the window's start taken to the
    second, as EXIF keeps it)."""
    moment = _exif_instant(taken_at) if taken_at else None
    if moment is None:
        return False
    start = _instant(visit.at).replace(microsecond=0)
    return start <= moment <= _instant(visit.expires_at)


def near(visit: Visit, gps: Mapping[str, float] | None) -> bool:
    if not gps:
        return False
    return haversine_km(visit.lat, visit.lon, gps["lat"], gps["lon"]) <= NEAR_VISIT_KM


def requested(visit: Visit, requested_at: str) -> dict[str, Any]:
    """An attachment's attestation when its upload is asked for: the photo is not known yet."""
    return {
        "visit_id": visit.id,
        "requested_during_visit": in_force(visit, requested_at),
        "taken_during_visit": None,
        "near_visit": None,
    }


def checked(
    visit: Visit, attestation: Mapping[str, Any], taken_at: str | None, gps: Mapping[str, float] | None
) -> dict[str, Any]:
    """The attestation once the checker has read the photo (a document, or a photo without
    EXIF, was neither taken during the visit nor near it, as far as anyone can tell)."""
    return {**attestation, "taken_during_visit": taken_during(visit, taken_at), "near_visit": near(visit, gps)}
