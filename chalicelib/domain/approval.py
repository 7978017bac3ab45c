"""Approval chains (分级审批) and delegation (代理审批): who decides an application, in what order.

A company's policy maps amounts to approvers (`province`, `region`, `leader`). At submit a
campaign's chain is fixed from its requested amount: a tuple of steps, each an approver
level and the exact org node whose managers take it. Steps are taken in order; a leader's
approval completes the chain at once. Without a policy the chain is one step, level
`manager`: any manager over the campaign's org, or a leader, decides it alone (as before v2).

A delegation lets a colleague act for a manager or leader on given days; the step then
records `by` = the delegate and `acting_for` = the delegator. No I/O here: the storage layer
loads the policy, the campaign's approval and the caller's active delegations, and asks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain import org as orgs
from chalicelib.domain.access import DECIDING_ROLES, Principal
from chalicelib.domain.audit import Person
from chalicelib.domain.budget import MAX_AMOUNT, no_amount
from chalicelib.domain.errors import Conflict, FieldError, Forbidden, InvalidInput, above, field_error

POLICY_LEVELS = ("province", "region", "leader")  # the approvers a policy level may name, lowest first
_APPROVER_DEPTH = {"province": 3, "region": 2}  # the leader's node is the company root
ANY_MANAGER = "manager"  # the one step of a campaign without a policy


# -- the policy ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyLevel:
    up_to: int | None  # fen; None only on the last level: no limit
    approver: str  # province | region | leader


@dataclass(frozen=True)
class ApprovalPolicy:
    levels: tuple[PolicyLevel, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"levels": [{"up_to": lv.up_to, "approver": lv.approver} for lv in self.levels]}


def parse_policy(levels: Any) -> ApprovalPolicy:
    """`PUT /approval-policy`'s `levels`, validated; every fault is named (`levels.1.up_to`).

    `up_to` is a whole number of fen, strictly increasing, only the last may be null. The
    approvers must climb (province, then region, then leader; a level may be left out): a
    chain walks up the org tree, so a level repeated or below the one before would either
    ask the same office twice or hand a decision back down.
    """
    if not isinstance(levels, list) or not levels:
        raise InvalidInput.field("levels", "too_few", "must be a list of at least one level", min_length=1)
    errors: list[FieldError] = []
    parsed: list[PolicyLevel] = []
    prev_up_to: int | None = None
    prev_rank = -1
    for i, level in enumerate(levels):
        where = f"levels.{i}"
        if not isinstance(level, Mapping):
            errors.append(field_error(where, "wrong_type", "must be an object {up_to, approver}", expected="object"))
            continue
        unknown = sorted(set(level) - {"up_to", "approver"})
        if unknown:
            errors.append(field_error(f"{where}.{unknown[0]}", "not_allowed", "unknown field"))
        up_to, approver = level.get("up_to"), level.get("approver")
        last = i == len(levels) - 1
        if up_to is None:
            if not last:
                errors.append(
                    field_error(
                        f"{where}.up_to", "unlimited_before_last", "only the last level may have no limit (null)"
                    )
                )
        elif isinstance(up_to, bool) or not isinstance(up_to, int):
            errors.append(
                field_error(
                    f"{where}.up_to", "wrong_type", "must be an integer number of fen, or null", expected="integer"
                )
            )
        elif up_to <= 0 or up_to > MAX_AMOUNT:
            errors.append(
                field_error(
                    f"{where}.up_to",
                    "too_small" if up_to <= 0 else "too_large",
                    f"must be between 1 and {MAX_AMOUNT} fen",
                    **({"min": 1} if up_to <= 0 else {"max": MAX_AMOUNT}),
                    unit="fen",
                )
            )
        elif prev_up_to is not None and up_to <= prev_up_to:
            errors.append(
                field_error(
                    f"{where}.up_to",
                    "not_increasing",
                    f"must be greater than the previous level's ({prev_up_to})",
                    previous=prev_up_to,
                    unit="fen",
                )
            )
        if isinstance(up_to, int) and not isinstance(up_to, bool):
            prev_up_to = up_to
        if approver not in POLICY_LEVELS:
            errors.append(
                field_error(
                    f"{where}.approver",
                    "not_one_of",
                    f"must be one of: {', '.join(POLICY_LEVELS)}",
                    choices=list(POLICY_LEVELS),
                )
            )
        else:
            rank = POLICY_LEVELS.index(approver)
            if rank <= prev_rank:
                errors.append(
                    field_error(
                        f"{where}.approver",
                        "approver_not_higher",
                        "must be higher than the previous level's (province, region, leader)",
                    )
                )
            prev_rank = max(prev_rank, rank)
        parsed.append(PolicyLevel(up_to if isinstance(up_to, int) else None, str(approver)))
    if errors:
        raise InvalidInput(errors)
    return ApprovalPolicy(tuple(parsed))


# -- the chain -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainStep:
    """A step of a chain: its level and the org node it belongs to (the root for `leader`)."""

    level: str
    org: str

    def as_dict(self) -> dict[str, str]:
        return {"level": self.level, "org": self.org}


def level_node(approver: str, campaign_org: str) -> str | None:
    """The org node whose manager is a level's approver, or None when the campaign is shallower."""
    if approver == "leader":
        return orgs.tenant_of(campaign_org)
    return orgs.ancestor(campaign_org, _APPROVER_DEPTH[approver])


def chain_at_submit(
    policy: ApprovalPolicy | None, requested_amount: int, campaign_org: str, applicant_role: str, applicant_org: str
) -> tuple[ChainStep, ...]:
    """The chain fixed at submit (API.md, Approval chains).

    Every level from the first up to the first whose `up_to` ≥ the requested amount (all of
    them when even the last is lower); minus levels deeper than the campaign's org, and, for
    a manager applicant, levels at or below their own node. Where nothing is left, the first
    level above the skipped ones: the policy's next usable level, else the next approver
    above the highest skipped one, the leader at the latest.
    """
    if policy is None:
        return (ChainStep(ANY_MANAGER, campaign_org),)
    levels = policy.levels
    last = next((i for i, lv in enumerate(levels) if lv.up_to is None or lv.up_to >= requested_amount), len(levels) - 1)

    def usable(approver: str) -> str | None:
        node = level_node(approver, campaign_org)
        if node is None or (applicant_role in DECIDING_ROLES and orgs.is_within(node, applicant_org)):
            return None
        return node

    chain = tuple(
        ChainStep(lv.approver, node) for lv in levels[: last + 1] if (node := usable(lv.approver)) is not None
    )
    if chain:
        return chain
    for lv in levels[last + 1 :]:
        if (node := usable(lv.approver)) is not None:
            return (ChainStep(lv.approver, node),)
    for approver in POLICY_LEVELS[POLICY_LEVELS.index(levels[last].approver) + 1 :]:
        if (node := usable(approver)) is not None:
            return (ChainStep(approver, node),)
    return (ChainStep("leader", orgs.tenant_of(campaign_org)),)


@dataclass(frozen=True)
class ApprovalStep:
    """A step taken: at which level, by whom (and for whom), for how much."""

    level: str
    by: Person
    amount: int
    at: str
    comment: str | None = None
    acting_for: Person | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"level": self.level, "by": self.by.as_dict()}
        if self.acting_for is not None:
            out["acting_for"] = self.acting_for.as_dict()
        out.update(amount=self.amount, comment=self.comment, at=self.at)
        return out


@dataclass(frozen=True)
class Approval:
    """A campaign's chain and the steps taken on it."""

    chain: tuple[ChainStep, ...]
    steps: tuple[ApprovalStep, ...] = ()

    @property
    def complete(self) -> bool:
        """Every step taken, or a leader's authority used (which completes the chain at once)."""
        return bool(self.steps) and (self.steps[-1].level == "leader" or len(self.steps) >= len(self.chain))

    @property
    def next(self) -> ChainStep | None:
        return None if self.complete else self.chain[len(self.steps)]

    @property
    def approved_amount(self) -> int | None:
        """The amount of the last step so far: the campaign's approved amount once complete."""
        return self.steps[-1].amount if self.steps else None

    def as_dict(self, status: str = "submitted") -> dict[str, Any]:
        """The campaign field `approval`; `next` only while the campaign is `submitted`."""
        nxt = self.next if status == "submitted" else None
        return {
            "chain": [s.as_dict() for s in self.chain],
            "steps": [s.as_dict() for s in self.steps],
            "next": nxt.as_dict() if nxt else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Approval:
        chain = tuple(ChainStep(str(s["level"]), str(s["org"])) for s in data["chain"])
        steps = tuple(
            ApprovalStep(
                level=str(s["level"]),
                by=Person.from_dict(s["by"]),
                amount=int(s["amount"]),
                at=str(s["at"]),
                comment=s.get("comment"),
                acting_for=Person.from_dict(s["acting_for"]) if s.get("acting_for") else None,
            )
            for s in data.get("steps") or ()
        )
        return cls(chain, steps)


def start_approval(
    policy: ApprovalPolicy | None, requested_amount: int, campaign_org: str, applicant_role: str, applicant_org: str
) -> Approval:
    """A submitted campaign's approval: its chain, no step taken yet."""
    return Approval(chain_at_submit(policy, requested_amount, campaign_org, applicant_role, applicant_org))


# -- delegation ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delegation:
    """`delegator` lets `to` act for them on the days from `from_day` to `until_day` (Asia/Shanghai).

    The delegator's role and org are kept from their token when the delegation is made: they
    define the authority lent.
    """

    delegator: Principal
    to: Person
    from_day: str
    until_day: str

    def active_on(self, day: str) -> bool:
        return self.from_day <= day <= self.until_day

    def as_dict(self) -> dict[str, Any]:
        d = self.delegator
        return {
            "delegator": {"id": d.sub, "name": d.name, "role": d.role, "org": d.org},
            "to": self.to.as_dict(),
            "from": self.from_day,
            "until": self.until_day,
        }


def new_delegation(delegator: Principal, to: Person, from_day: Any, until_day: Any, today: str) -> Delegation:
    """`PUT /me/delegation`, validated. `today` is the calendar date in Asia/Shanghai."""
    if delegator.role not in DECIDING_ROLES:
        raise Forbidden("only managers and leaders may delegate approvals")
    errors: list[FieldError] = []
    if not isinstance(to.id, str) or not to.id:
        errors.append(field_error("to.id", "required", "must name the delegate"))
    elif to.id == delegator.sub:
        errors.append(field_error("to.id", "self_delegation", "you cannot delegate to yourself"))
    start = _day(from_day, "from", errors)
    end = _day(until_day, "until", errors)
    if start and end:
        if end < start:
            errors.append(field_error("until", "end_before_start", "must be on or after from", other="from"))
        elif end < today:
            errors.append(
                field_error(
                    "until", "in_the_past", f"the period is entirely in the past (today is {today})", today=today
                )
            )
    if errors or start is None or end is None:  # a day that is None has its error
        raise InvalidInput(errors)
    return Delegation(delegator=delegator, to=to, from_day=start, until_day=end)


def _day(value: Any, field: str, errors: list[FieldError]) -> str | None:
    try:
        if isinstance(value, str) and len(value) == 10:
            return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    errors.append(field_error(field, "not_a_date", "must be a calendar date YYYY-MM-DD"))
    return None


def is_eligible_delegate(principal: Principal, delegation: Delegation) -> bool:
    """The caller (from a verified token) is the delegate: a manager or leader of the same company."""
    return (
        principal.sub == delegation.to.id
        and principal.role in DECIDING_ROLES
        and principal.tenant == delegation.delegator.tenant
    )


def may_act_for(principal: Principal, delegation: Delegation, day: str) -> bool:
    """The delegate may use the delegator's authority today."""
    return is_eligible_delegate(principal, delegation) and delegation.active_on(day)


# -- authority over a step -------------------------------------------------------------------
def may_take_step(role: str, org: str, step: ChainStep) -> bool:
    """Whether someone of `role` at `org` may take `step` in their own right.

    A leader of the company takes any step (and completes the chain); a manager takes a step
    whose node is exactly theirs, or the no-policy step of a campaign inside their subtree.
    """
    if orgs.tenant_of(org) != orgs.tenant_of(step.org):
        return False
    if role == "leader":
        return True
    if role != "manager":
        return False
    if step.level == ANY_MANAGER:
        return orgs.is_within(step.org, org)
    return step.level in _APPROVER_DEPTH and org == step.org


@dataclass(frozen=True)
class Authority:
    """In whose right a caller acts on a campaign's next step."""

    step: ChainStep
    level: str  # the level the step records: `leader` when a leader's right is used
    acting_for: Person | None  # the delegator, when acting under a delegation


def resolve_authority(
    caller: Principal,
    approval: Approval,
    owner_id: str,
    delegations: Iterable[Delegation],
    today: str,
    acting_for: str | None = None,
) -> Authority:
    """Who the caller acts as on the next step, to approve or reject it; else Forbidden.

    With `acting_for` (a delegator's id) only that delegation is used; without it, the
    caller's own right first, then any delegation active today whose delegator could take
    the step. Codes: `self_approval` (the caller's own campaign, or the delegator's own in
    the delegator's name), `not_your_step`, `already_approved` (someone who already took a
    step of this chain, in their own right or another's). `delegations` may be all the
    caller's: the ones not to them, inactive, or of another company are ignored.
    """
    step = approval.next
    if step is None:
        raise Conflict("this application is not waiting for an approval step", code="invalid_state")
    if caller.sub == owner_id:
        raise Forbidden("you cannot decide on your own application", code="self_approval")
    _check_not_twice(approval, caller.sub, None)  # the same person never takes two steps of a chain
    usable = [d for d in delegations if may_act_for(caller, d, today)]
    if acting_for is not None and acting_for != caller.sub:
        if acting_for == owner_id:
            raise Forbidden("nobody approves the delegator's own application in their name", code="self_approval")
        usable = [d for d in usable if d.delegator.sub == acting_for]
        if not usable:
            raise Forbidden("you hold no delegation from that person for today", code="not_your_step")
        candidates: list[tuple[Principal, Person | None]] = []
    else:
        candidates = [(caller, None)]
    candidates += [(d.delegator, Person(d.delegator.sub, d.delegator.name)) for d in usable]

    blocked_by_self = False
    for who, on_behalf in candidates:
        if not may_take_step(who.role, who.org, step):
            continue
        if who.sub == owner_id:
            blocked_by_self = True
            continue
        _check_not_twice(approval, caller.sub, on_behalf)
        return Authority(step=step, level="leader" if who.role == "leader" else step.level, acting_for=on_behalf)
    if blocked_by_self:
        raise Forbidden("nobody approves the delegator's own application in their name", code="self_approval")
    raise Forbidden(f"this step belongs to the {step.level} approver at {step.org}", code="not_your_step")


def _check_not_twice(approval: Approval, caller_id: str, on_behalf: Person | None) -> None:
    involved = {caller_id} | ({on_behalf.id} if on_behalf else set())
    for taken in approval.steps:
        if involved & ({taken.by.id} | ({taken.acting_for.id} if taken.acting_for else set())):
            raise Forbidden("you have already approved a step of this application", code="already_approved")


def take_step(
    approval: Approval,
    authority: Authority,
    by: Person,
    approved_amount: int,
    requested_amount: int,
    at: str,
    comment: str | None = None,
) -> Approval:
    """The approval after the caller approves the next step with `approved_amount`.

    Amounts only go down: never above the requested amount nor the previous step's
    (InvalidInput on `approved_amount`). The result is `complete` after the last step or a
    leader's; then the campaign becomes `approved` and its budget is reserved.
    """
    if authority.step != approval.next:
        raise Conflict("the application moved on since its step was resolved", code="invalid_state")
    if isinstance(approved_amount, bool) or not isinstance(approved_amount, int) or approved_amount < 0:
        raise no_amount("approved_amount", approved_amount)
    if approved_amount > requested_amount:
        raise above("approved_amount", "above_requested", "the requested amount", requested_amount)
    previous = approval.approved_amount
    if previous is not None and approved_amount > previous:
        raise above("approved_amount", "above_previous_step", "the previous step's amount", previous)
    step = ApprovalStep(
        level=authority.level, by=by, amount=approved_amount, at=at, comment=comment, acting_for=authority.acting_for
    )
    return Approval(approval.chain, approval.steps + (step,))


# -- the worklist index (`GET /me/approvals`) ------------------------------------------------
def leader_key(tenant: str) -> str:
    """The key of steps that wait for a company's leaders."""
    return f"{tenant}#leader"


def waiting_keys(approval: Approval) -> tuple[str, ...]:
    """The approver keys a submitted campaign waits on, for an index (no Scan).

    A policy step waits on its exact org node, a leader step on `<company>#leader`; the
    no-policy step on every node from the campaign's org up to the company root (any manager
    over it may decide it; a leader sees it under the root). Empty once nothing waits.
    """
    step = approval.next
    if step is None:
        return ()
    if step.level == "leader":
        return (leader_key(orgs.tenant_of(step.org)),)
    if step.level == ANY_MANAGER:
        parts = step.org.split("/")
        return tuple("/".join(parts[:n]) for n in range(len(parts), 0, -1))
    return (step.org,)


def approver_keys(role: str, org: str) -> tuple[str, ...]:
    """The keys whose waiting campaigns are someone's to decide in their own right."""
    if role == "manager":
        return (org,)
    if role == "leader":
        tenant = orgs.tenant_of(org)
        return (leader_key(tenant), tenant)
    return ()


def inbox_keys(caller: Principal, delegations: Iterable[Delegation], today: str) -> dict[str, Person | None]:
    """Every key `GET /me/approvals` queries for the caller: their own (→ None) and, for each
    delegation active today, the delegator's (→ the delegator). Own keys win a tie.

    The rows found still pass through `resolve_authority`; an index cannot know that a
    campaign is the caller's own or that they already took one of its steps.
    """
    keys: dict[str, Person | None] = {k: None for k in approver_keys(caller.role, caller.org)}
    for d in delegations:
        if may_act_for(caller, d, today):
            for k in approver_keys(d.delegator.role, d.delegator.org):
                keys.setdefault(k, Person(d.delegator.sub, d.delegator.name))
    return keys
