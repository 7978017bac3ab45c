"""Check-ins at the store (到店签到): record one, list a campaign's, and find the one an upload
names (what an attested photo is measured against)."""

from __future__ import annotations

from chalicelib.clock import now_iso
from chalicelib.config import settings
from chalicelib.dal import repos
from chalicelib.domain import access
from chalicelib.domain.access import Principal
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.evidence import thresholds_for
from chalicelib.domain.ids import new_id
from chalicelib.domain.pages import Page, PageRequest
from chalicelib.domain.visits import Visit, new_visit
from chalicelib.logic import history, retry_on_stale_from
from chalicelib.logic.visibility import load_visible


def record_visit(principal: Principal, campaign_id: str, lat: float, lon: float, accuracy_m: float | None) -> Visit:
    """The owner checks in at the store of an approved campaign: the server's time, the given
    place, flagged (far away, outside the campaign's dates) but never refused. The visit and
    its audit entry `visit_recorded` are one unit of work, conditional on the campaign's version."""
    access.require(principal, "visit.create")
    campaign = load_visible(principal, campaign_id)
    access.require_owner(principal, campaign.owner_id)

    def attempt(current: Campaign) -> Visit:
        if current.status != "approved":
            raise Conflict(
                f"only an approved campaign takes check-ins (this one is {current.status})", code="invalid_state"
            )
        now = now_iso()
        t = thresholds_for(current.category, settings().evidence_thresholds)
        visit = new_visit(
            new_id(),
            current.id,
            current.org,
            current.owner_id,
            now,
            lat,
            lon,
            accuracy_m,
            current.start_date,
            current.end_date,
            current.location,
            t,
        )
        change = {
            "visit_id": [None, visit.id],
            "lat": [None, visit.lat],
            "lon": [None, visit.lon],
            "accuracy_m": [None, visit.accuracy_m],
            "distance_km": [None, visit.distance_km],
            "far_from_location": [None, visit.far_from_location],
            "within_campaign_dates": [None, visit.within_campaign_dates],
        }
        with repos.unit_of_work() as uow:
            uow.visits.insert(visit)
            history.save(uow, current, history.actor(principal), [("visit_recorded", change)], now)
        return visit

    return retry_on_stale_from(campaign, lambda: load_visible(principal, campaign_id), attempt)


def list_visits(principal: Principal, campaign_id: str, page: PageRequest) -> Page[Visit]:
    """A campaign's visits, newest first (scoped like the campaign)."""
    access.require(principal, "visit.read")
    load_visible(principal, campaign_id)
    return repos.visits().list(campaign_id, page)


def of_campaign(campaign_id: str, limit: int = 200) -> list[Visit]:
    """Every visit of a campaign (for a use case that has already checked the caller sees it)."""
    out: list[Visit] = []
    page = PageRequest(limit)
    while True:
        found = repos.visits().list(campaign_id, page)
        out += found.items
        if found.next_cursor is None:
            return out
        page = PageRequest(limit, found.next_cursor)


def visit_for_upload(principal: Principal, campaign: Campaign, visit_id: str) -> Visit:
    """The caller's own visit to this campaign, which an upload names: another campaign's visit
    or another person's is a 400 naming `visit_id` (and so is one that does not exist)."""
    visit = repos.visits().get(campaign.id, visit_id)
    if visit is None or visit.owner_id != principal.sub:
        raise InvalidInput.field("visit_id", "unknown_visit", "is not a check-in of yours at this campaign")
    return visit
