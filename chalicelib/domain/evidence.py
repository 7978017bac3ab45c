"""Evidence (attachments): the record, integrity flags, thresholds and the duplicate index keys.

Plain Python: no I/O. Flags inform reviewers; they never block an upload.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("pending_upload", "ready", "rejected")
UPLOAD_PREFIX = "uploads/"
THUMBNAIL_PREFIX = "thumbnails/"
QUARANTINE_PREFIX = "quarantine/"
UPLOAD_TTL_SECONDS = 900            # presigned upload: 15 minutes at most (the issue)
LINK_TTL_SECONDS = 300              # download and thumbnail links
# The 64-bit hash in 3 bands of 21, 21 and 22 bits (pigeonhole index). Wide bands keep every
# bucket nearly empty (2 hashes × N photos ÷ 2^21 values: 0.1 entries per bucket at 100,000
# photos), so a lookup reads about as much at 10,000 photos as at 1,000,000.
BAND_WIDTHS = (21, 21, 22)


@dataclass
class Attachment:
    id: str
    campaign_id: str
    tenant: str
    filename: str
    content_type: str
    size_bytes: int
    kind: str                               # photo | document
    uploaded_by: str
    created_at: str
    status: str = "pending_upload"
    reason: str | None = None
    object_key: str = ""
    thumbnail_key: str | None = None
    checked_etag: str | None = None         # the object version the checker decided on
    checked_at: str | None = None
    taken_at: str | None = None
    gps: dict | None = None
    phash: str | None = None
    phash_crop: str | None = None
    integrity: dict | None = None           # the flags, without duplicate_of (see duplicate_refs)
    duplicate_refs: list[str] = field(default_factory=list)   # "<campaign id>/<attachment id>"

    @property
    def duplicate_of(self) -> list[str]:
        return sorted({ref.rsplit("/", 1)[-1] for ref in self.duplicate_refs})

    @property
    def indexed_hashes(self) -> list[str]:
        return [h for h in (self.phash, self.phash_crop) if h]


def object_key(campaign_id: str, attachment_id: str) -> str:
    """The only place an upload can land: server-chosen ids, nothing from the client."""
    return f"{UPLOAD_PREFIX}{campaign_id}/{attachment_id}"


def parse_object_key(key: str) -> tuple[str, str] | None:
    """(campaign id, attachment id) of an upload key, or None for anything else."""
    if not key.startswith(UPLOAD_PREFIX):
        return None
    parts = key[len(UPLOAD_PREFIX):].split("/")
    if len(parts) != 2 or not all(p and p.replace("-", "").replace("_", "").isalnum() for p in parts):
        return None
    return parts[0], parts[1]


def thumbnail_key(campaign_id: str, attachment_id: str) -> str:
    return f"{THUMBNAIL_PREFIX}{campaign_id}/{attachment_id}.jpg"


def quarantine_key(key: str) -> str:
    return QUARANTINE_PREFIX + key[len(UPLOAD_PREFIX):] if key.startswith(UPLOAD_PREFIX) else QUARANTINE_PREFIX + key


# -- thresholds ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Thresholds:
    window_days_before: int = 1        # a photo may be taken from start − 1 day …
    window_days_after: int = 1         # … to end + 1 day
    far_km: float = 5.0                # farther than this from the campaign location is flagged
    duplicate_distance: int = 8        # Hamming distance (of 64 bits) at or below which photos match


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


def integrity(taken_at: str | None, gps: dict | None, start_date: str, end_date: str,
              location: dict | None, t: Thresholds) -> dict:
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


# -- the duplicate index ---------------------------------------------------------------------------
def band_keys(tenant: str, phash: str) -> list[str]:
    """The index partition keys of a hash: `tenant|band|value`. By pigeonhole, two hashes within
    Hamming distance 2 share at least one band exactly; farther matches are found when their
    differing bits happen to leave one band intact (measured, see the README)."""
    value = int(phash, 16)
    keys, shift = [], 64
    for band, width in enumerate(BAND_WIDTHS):
        shift -= width
        keys.append(f"{tenant}|{band}|{(value >> shift) & ((1 << width) - 1):06x}")
    return keys


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
