"""Evidence (attachments): the record, integrity flags, thresholds and duplicate matching.

Plain Python: no I/O. Flags inform reviewers; they never block an upload.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("pending_upload", "ready", "rejected")


@dataclass
class Attachment:
    id: str
    campaign_id: str
    tenant: str
    filename: str
    content_type: str
    size_bytes: int
    kind: str  # photo | document
    uploaded_by: str
    created_at: str
    status: str = "pending_upload"
    reason: str | None = None  # why the checker refused it, in English
    reason_code: str | None = None  # the same for clients: one of filecheck.REJECTIONS
    reason_params: dict[str, object] | None = None
    object_key: str = ""
    upload_token: str | None = None  # pinned in the upload form; the checker compares it
    thumbnail_key: str | None = None
    checked_etag: str | None = None  # the object version the checker decided on
    checked_at: str | None = None
    taken_at: str | None = None
    gps: dict[str, float] | None = None  # {"lat": …, "lon": …}
    phash: str | None = None
    phash_crop: str | None = None
    integrity: dict[str, Any] | None = None  # the flags, without duplicate_of (see duplicate_refs)
    duplicate_refs: list[str] = field(default_factory=list)  # "<campaign id>/<attachment id>"
    sha256: str | None = None  # of the stored bytes, once the checker has read them
    declared_sha256: str | None = None  # what the client said it would upload (other bytes are refused)
    visit_id: str | None = None  # the check-in the upload was requested during (domain/visits.py)
    attestation: dict[str, Any] | None = None  # {visit_id, requested_during_visit, taken_during_visit, near_visit}
    invoice_qr: str | None = None  # the text of an invoice's QR code the checker found in it

    @property
    def duplicate_of(self) -> list[str]:
        return sorted({ref.rsplit("/", 1)[-1] for ref in self.duplicate_refs})

    @property
    def attested(self) -> bool:
        """Requested during a check-in, taken during it and near it (domain/visits.py)."""
        if not self.attestation:
            return False
        return all(
            self.attestation.get(k) is True for k in ("requested_during_visit", "taken_during_visit", "near_visit")
        )

    @property
    def indexed_hashes(self) -> list[str]:
        return [h for h in (self.phash, self.phash_crop) if h]


# -- thresholds ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Thresholds:
    window_days_before: int = 1  # a photo may be taken from start − 1 day …
    window_days_after: int = 1  # … to end + 1 day
    far_km: float = 5.0  # farther than this from the campaign location is flagged
    duplicate_distance: int = 8  # Hamming distance (of 64 bits) at or below which photos match


def thresholds_for(category: str, raw: str | None) -> Thresholds:
    """Thresholds from stage config (EVIDENCE_THRESHOLDS, JSON): {"default": {...}, "<category>": {...}};
    a category's values override the defaults, which override the built-in ones."""
    base = Thresholds()
    if not raw:
        return base
    config = json.loads(raw)
    values: dict[str, Any] = {**config.get("default", {}), **config.get(category, {})}
    known = {k: v for k, v in values.items() if k in Thresholds.__dataclass_fields__}
    return Thresholds(**{**base.__dict__, **known})


# -- integrity flags ------------------------------------------------------------------------------
def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def integrity(
    taken_at: str | None,
    gps: Mapping[str, float] | None,
    start_date: str,
    end_date: str,
    location: Mapping[str, Any] | None,
    t: Thresholds,
) -> dict[str, Any]:
    """The flags a reviewer sees, but duplicate_of (kept apart because later photos add to it).
    None means "cannot tell" (no EXIF time, no campaign location)."""
    outside = None
    if taken_at:
        day = dt.date.fromisoformat(taken_at[:10])
        first = dt.date.fromisoformat(start_date) - dt.timedelta(days=t.window_days_before)
        last = dt.date.fromisoformat(end_date) + dt.timedelta(days=t.window_days_after)
        outside = not first <= day <= last
    distance = None
    if gps and location and location.get("lat") is not None and location.get("lon") is not None:
        distance = round(haversine_km(gps["lat"], gps["lon"], float(location["lat"]), float(location["lon"])), 3)
    return {
        "outside_campaign_window": outside,
        "distance_km": distance,
        "far_from_location": None if distance is None else distance > t.far_km,
        "missing_exif": taken_at is None or gps is None,
    }


# -- duplicate matching ------------------------------------------------------------------------
@dataclass
class Candidate:
    attachment_id: str
    campaign_id: str
    phash: str


@dataclass
class Match:
    attachment_id: str
    campaign_id: str
    distance: int


def best_matches(own_id: str, hashes: list[str], candidates: list[Candidate], threshold: int) -> list[Match]:
    """Exact Hamming check of the index candidates: the nearest distance per other attachment."""
    best: dict[str, Match] = {}
    for c in candidates:
        if c.attachment_id == own_id:
            continue
        d = min((int(h, 16) ^ int(c.phash, 16)).bit_count() for h in hashes)
        if d <= threshold and (c.attachment_id not in best or d < best[c.attachment_id].distance):
            best[c.attachment_id] = Match(c.attachment_id, c.campaign_id, d)
    return sorted(best.values(), key=lambda m: (m.distance, m.attachment_id))
