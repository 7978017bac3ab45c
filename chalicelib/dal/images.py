"""What the tables' streams carry: an item's image (DynamoDB JSON, as a stream record holds
it), read by the table's own model into domain objects, for the use cases the streams drive.

The repository modules are imported on first use (chalicelib/lazy.py): their models read the
settings when imported, and a use-case module is imported before a test or the local stack
has set them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalicelib.lazy import on_first_use

if TYPE_CHECKING:
    from chalicelib.dal import campaigns, evidence, feedback, rules, visits, vouchers
    from chalicelib.domain.campaign import Campaign
    from chalicelib.domain.evidence import Attachment
    from chalicelib.domain.feedback import FeedbackReport, FeedbackRule, Sweep
    from chalicelib.domain.visits import Visit
    from chalicelib.domain.vouchers import VoucherBatch
else:
    campaigns = on_first_use("chalicelib.dal.campaigns")
    evidence = on_first_use("chalicelib.dal.evidence")
    feedback = on_first_use("chalicelib.dal.feedback")
    rules = on_first_use("chalicelib.dal.rules")
    visits = on_first_use("chalicelib.dal.visits")
    vouchers = on_first_use("chalicelib.dal.vouchers")

Image = Mapping[str, Any]


def campaign(image: Image | None) -> Campaign | None:
    """A campaign from a campaigns-table image; None for no image."""
    return campaigns.campaign_from_image(image)


def feedback_report(image: Image | None) -> FeedbackReport | None:
    """A feedback draft or revision from a feedback-table image; None for no image."""
    return feedback.report_from_image(image)


def rules_item(image: Image) -> FeedbackRule | Sweep:
    """What a rules-table image holds: a rule, or a sweep's progress."""
    return rules.change_from_image(image)


# -- the evidence table: attachments and visits (their sort keys tell them apart) ------------------
def evidence_kind(image: Image) -> str | None:
    """`attachment`, `visit`, or None for what else the table holds (duplicate-index entries)."""
    sk = (image.get("sk") or {}).get("S", "")
    return "attachment" if sk.startswith("a#") else "visit" if sk.startswith("v#") else None


def attachment(image: Image) -> Attachment:
    return evidence.attachment_from_image(image)


def visit(image: Image) -> Visit:
    return visits.visit_from_image(image)


# -- images of what a use case read (the feed keeps an entity's state as its table holds it) -------
def campaign_image(c: Campaign) -> dict[str, Any]:
    return campaigns.campaign_image(c)


def feedback_image(r: FeedbackReport) -> dict[str, Any]:
    return feedback.report_image(r)


def attachment_image(a: Attachment) -> dict[str, Any]:
    return evidence.attachment_image(a)


def visit_image(v: Visit) -> dict[str, Any]:
    return visits.visit_image(v)


def voucher_batch(image: Image | None) -> VoucherBatch | None:
    """The voucher batch a vouchers-table image holds; None for no image or another item."""
    return vouchers.batch_from_image(image) if image else None
