"""The evidence bundle: everything an auditor needs to check one campaign offline, in one answer.

The campaign, its submitted feedback, its check-ins, its attachments (each with the sha256 the
audit trail committed to and a short-lived download link), its invoices, and the whole audit
trail with the server's own verdict. tools/verify_audit.py checks such a bundle with the
standard library alone (docs/audit.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.dal import repos
from chalicelib.domain import access
from chalicelib.domain.access import Principal
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.evidence import Attachment
from chalicelib.domain.feedback import FeedbackReport
from chalicelib.domain.invoices import Invoice
from chalicelib.domain.pages import PageRequest
from chalicelib.domain.visits import Visit
from chalicelib.logic import history, visits
from chalicelib.logic.visibility import load_visible


@dataclass
class EvidenceBundle:
    campaign: Campaign
    revisions: list[FeedbackReport]  # every submitted revision, newest first
    visits: list[Visit]  # newest first
    attachments: list[Attachment]  # oldest first
    audit: list[dict[str, Any]]  # the whole trail, oldest first
    verified: bool
    invoices: list[Invoice] = field(default_factory=list)  # in claim order, as the campaign lists them


def _revisions(campaign_id: str) -> list[FeedbackReport]:
    out: list[FeedbackReport] = []
    page = PageRequest(200)
    while True:
        found = repos.feedback().revisions(campaign_id, page)
        out += found.items
        if found.next_cursor is None:
            return out
        page = PageRequest(200, found.next_cursor)


def evidence_bundle(principal: Principal, campaign_id: str) -> EvidenceBundle:
    """The bundle of a campaign the caller may see. The evidence is read first and the
    campaign and its trail last, so that every verdict the evidence shows is already in the
    trail read after it."""
    access.require(principal, "campaign.evidence")
    seen = load_visible(principal, campaign_id)
    attachments = repos.evidence().list(campaign_id)
    found_visits = visits.of_campaign(campaign_id)
    revisions = _revisions(campaign_id)
    held = repos.invoices().of_campaign(seen)
    campaign, items, verified = history.whole_chain(seen)
    return EvidenceBundle(campaign, revisions, found_visits, attachments, items, verified, held)
