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
    from chalicelib.dal import campaigns, feedback, rules
    from chalicelib.domain.campaign import Campaign
    from chalicelib.domain.feedback import FeedbackReport, FeedbackRule, Sweep
else:
    campaigns = on_first_use("chalicelib.dal.campaigns")
    feedback = on_first_use("chalicelib.dal.feedback")
    rules = on_first_use("chalicelib.dal.rules")

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
