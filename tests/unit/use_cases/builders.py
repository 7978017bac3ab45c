"""What the use-case tests are built from: the cast of one company (a principal per role and
place), campaigns in every state, rules, budgets and photos, all made through the public use
cases (chalicelib.logic.*) against the in-memory storage the `store` fixture installs.

The company `CN`:

    CN                  LEADER, FINANCE
    ├── CN/EAST         REGION (manager)
    │   ├── CN/EAST/JS  PROVINCE (manager), REP
    │   └── CN/EAST/ZJ  ZJ_MANAGER (manager), REP_ZJ
    └── CN/WEST         WEST (manager)
        └── CN/WEST/SC  REP_WEST

and OUTSIDER, a leader of another company. Campaigns run 2026-11-01..03 unless a test says
otherwise; the `clock` fixture makes today 2026-11-20 (Asia/Shanghai), so they have ended and
default feedback (due 7 days after the end) is overdue.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from chalicelib.dal import repos
from chalicelib.dal.memory import InMemoryStorage
from chalicelib.domain.access import Principal
from chalicelib.domain.budget import Budget
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.errors import DomainError, InvalidInput
from chalicelib.domain.evidence import Attachment
from chalicelib.domain.feedback import FeedbackReport, FeedbackRule
from chalicelib.logic import budgets, campaigns, evidence, feedback, rules, settlement
from chalicelib.logic.uploads import UploadEvent, check_upload
from tests.conftest import campaign_body

TODAY = "2026-11-20"

REP = Principal("rep-1", "rep", "CN/EAST/JS", name="Li Lei", email="li.lei@example.cn")
REP_ZJ = Principal("rep-2", "rep", "CN/EAST/ZJ", name="Han Meimei", email="han.meimei@example.cn")
REP_WEST = Principal("rep-3", "rep", "CN/WEST/SC", name="Wang Wu")
PROVINCE = Principal("pm-1", "manager", "CN/EAST/JS", name="Zhang San", email="zhang.san@example.cn")
ZJ_MANAGER = Principal("pm-2", "manager", "CN/EAST/ZJ", name="Chen Er", email="chen.er@example.cn")
REGION = Principal("rm-1", "manager", "CN/EAST", name="Zhao Si", email="zhao.si@example.cn")
WEST = Principal("wm-1", "manager", "CN/WEST", name="Qian Liu", email="qian.liu@example.cn")
LEADER = Principal("lead-1", "leader", "CN", name="Sun Qi", email="sun.qi@example.cn")
FINANCE = Principal("fin-1", "finance", "CN", name="Zhou Ba")
OUTSIDER = Principal("lead-x", "leader", "US", name="Other company")

#: an approval policy: the province manager up to 1,000 yuan, the region's up to 5,000, then a leader
POLICY = [
    {"up_to": 100000, "approver": "province"},
    {"up_to": 500000, "approver": "region"},
    {"up_to": None, "approver": "leader"},
]


# -- what a user sees when a use case refuses ------------------------------------------------
@dataclass
class Refusal:
    """A refused request as its caller sees it: HTTP status, error code, fields at fault (and
    each one's field code)."""

    status: int
    code: str
    message: str
    fields: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    codes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def answer(self) -> tuple[int, str]:
        return self.status, self.code


def refused(use_case: Callable[..., Any], *args: Any, **kwargs: Any) -> Refusal:
    """Run a use case that must refuse; what the caller is told."""
    from chalicelib.handlers.api import status_of

    with pytest.raises(DomainError) as err:
        use_case(*args, **kwargs)
    e = err.value
    errors = e.errors if isinstance(e, InvalidInput) else []
    return Refusal(
        status_of(e),
        e.code,
        e.message,
        [f["field"] for f in errors],
        dict(e.details),
        [(f["field"], f["code"]) for f in errors],
    )


# -- campaigns in every state ------------------------------------------------------------------
def application(**overrides: Any) -> dict[str, Any]:
    """The body of POST /campaigns the other suites send, for the store Suguo Xinjiekou."""
    return campaign_body(**{"customer": {"id": "SUGUO-XJK", "name": "Suguo Xinjiekou"}, **overrides})


def draft(owner: Principal = REP, **overrides: Any) -> Campaign:
    return campaigns.create_campaign(owner, application(**overrides))


def submitted(owner: Principal = REP, **overrides: Any) -> Campaign:
    return campaigns.submit_campaign(owner, draft(owner, **overrides).id)


def approved(amount: int = 180000, owner: Principal = REP, approver: Principal = REGION, **overrides: Any) -> Campaign:
    return campaigns.approve_campaign(approver, submitted(owner, **overrides).id, amount, None)


def rejected(owner: Principal = REP, approver: Principal = REGION, **overrides: Any) -> Campaign:
    return campaigns.reject_campaign(approver, submitted(owner, **overrides).id, "not this month")


def cancelled(owner: Principal = REP, **overrides: Any) -> Campaign:
    return campaigns.cancel_campaign(owner, approved(owner=owner, **overrides).id, "the store closed")


def feedback_in(
    campaign_id: str, owner: Principal = REP, spend: int = 150000, sales: int = 900000
) -> tuple[Campaign, FeedbackReport]:
    """The owner submits feedback with these actual figures."""
    return feedback.submit_feedback(
        owner, campaign_id, {"actual_spend": spend, "actual_sales": sales, "effect_rating": 4, "reflections": "busy"}
    )


def unlock(campaign_id: str) -> str:
    """What the feedback stream does with the latest submitted revision."""
    latest = repos.feedback().latest_submitted(campaign_id)
    assert latest is not None
    return settlement.unlock_settlement(campaign_id, latest.revision, latest.actual_spend)


def fed_back(amount: int = 180000, spend: int = 150000, owner: Principal = REP, **overrides: Any) -> Campaign:
    """Approved, feedback submitted, and the stream has applied it to settlement."""
    c = approved(amount, owner, **overrides)
    feedback_in(c.id, owner, spend)
    unlock(c.id)
    return current(c.id)


def reimbursed(amount: int = 180000, spend: int = 150000, owner: Principal = REP, **overrides: Any) -> Campaign:
    return settlement.settle(FINANCE, fed_back(amount, spend, owner, **overrides).id, None, "paid")


#: a campaign in each state, as a test names it
IN_STATE: dict[str, Callable[[], Campaign]] = {
    "draft": draft,
    "submitted": submitted,
    "approved": approved,
    "rejected": rejected,
    "cancelled": cancelled,
    "reimbursed": reimbursed,
}


def current(campaign_id: str) -> Campaign:
    """The campaign as stored now."""
    found = repos.campaigns().get(campaign_id)
    assert found is not None
    return found


def trail_actions(campaign_id: str) -> list[str]:
    return [e["action"] for e in repos.audit().entries(campaign_id)]


# -- rules ------------------------------------------------------------------------------------
def rule(**body: Any) -> FeedbackRule:
    """A leader's feedback rule, and its sweep run to the end as the rules stream would."""
    created = rules.create_rule(LEADER, body)
    sweep(created, "created")
    return created


def sweep(changed: FeedbackRule, change: str) -> int:
    """Deliver a rule change and every page of the sweep it starts; how many campaigns changed."""
    rules.rule_changed(changed, change)
    moved = 0
    memory = cast(InMemoryStorage, repos.storage())  # sweeps are driven by the rules stream elsewhere
    while (progress := memory.rules.sweep(changed.id, change)) is not None and not progress.done:
        moved += rules.continue_sweep(progress)
    return moved


# -- money ------------------------------------------------------------------------------------
def budget(
    amount: int = 1_000_000,
    org: str = "CN",
    period: str = "2026",
    category: str | None = None,
    parent: Budget | None = None,
    by: Principal = LEADER,
) -> Budget:
    return budgets.create_budget(by, org, period, category, amount, parent.id if parent else None)


def figures(budget_id: str) -> tuple[int, int, int, int, int]:
    """(amount, allocated, reserved, consumed, available) as stored now."""
    b = repos.budgets().get(budget_id)
    assert b is not None
    return b.amount, b.allocated, b.reserved, b.consumed, b.available


# -- evidence ---------------------------------------------------------------------------------
def upload(
    campaign_id: str, data: bytes, owner: Principal = REP, content_type: str = "image/jpeg", name: str = "shelf.jpg"
) -> tuple[Attachment, UploadEvent]:
    """The owner asks for an upload and the browser posts `data` with the form it got."""
    a, form = evidence.request_upload(owner, campaign_id, name, content_type, len(data))
    stored = repos.objects().upload(form, data)
    return a, UploadEvent(stored["bucket"], stored["key"], stored["size"], stored["etag"])


@functools.cache
def photo_bytes(seed: int = 3) -> bytes:
    """A generated 640×480 JPEG scene (made once per seed in a session)."""
    from tests import corpus

    return corpus.jpeg(corpus.scene(seed, (640, 480)))


def photo(campaign_id: str, seed: int = 3, owner: Principal = REP) -> Attachment:
    """A photo uploaded and accepted by the checker."""
    a, event = upload(campaign_id, photo_bytes(seed), owner)
    assert check_upload(event) == "ready"
    found = repos.evidence().get(campaign_id, a.id)
    assert found is not None
    return found
