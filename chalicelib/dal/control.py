"""Approval policies and delegations (DynamoDB, the control table).

| item | pk | sk | by_group gpk | by_group gsk |
|---|---|---|---|---|
| approval policy | `policy#<tenant>` | `policy` | | |
| settlement policy | `policy#<tenant>` | `settlement` | | |
| delegation | `delegation#<tenant>\\|<delegator id>` | `delegation` | `delegate#<tenant>\\|<delegate id>` | `<delegator id>` |

A delegator has at most one delegation (PUT replaces it). "Who delegated to me" is one Query
on by_group (an index: a delegation made a moment ago may take a moment to show there).
"""

from __future__ import annotations

import json
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.dal.models import ControlModel as C
from chalicelib.dal.writes import Immediately, Writes
from chalicelib.domain.access import Principal
from chalicelib.domain.approval import ApprovalPolicy, Delegation, parse_policy
from chalicelib.domain.audit import Person
from chalicelib.domain.invoices import SettlementPolicy

POLICY, SETTLEMENT, DELEGATION = "policy", "settlement", "delegation"


def _delegation_pk(tenant: str, delegator_id: str) -> str:
    return f"delegation#{tenant}|{delegator_id}"


def _to_delegation(m: C) -> Delegation:
    d = json.loads(m.data)
    who = d["delegator"]
    return Delegation(
        delegator=Principal(sub=who["id"], role=who["role"], org=who["org"], name=who.get("name", "")),
        to=Person.from_dict(d["to"]),
        from_day=d["from"],
        until_day=d["until"],
    )


class PolicyRepository:
    def __init__(self, writes: Writes | None = None) -> None:
        self._writes = writes or Immediately()

    def get(self, tenant: str) -> tuple[ApprovalPolicy, dict[str, Any]] | None:
        """The company's policy and who set it when ({by, at}), or None."""
        try:
            d = json.loads(C.get(f"policy#{tenant}", POLICY, consistent_read=True).data)
        except DoesNotExist:
            return None
        return parse_policy(d["levels"]), {"by": d.get("by"), "at": d.get("at")}

    def put(self, tenant: str, policy: ApprovalPolicy, by: Person, at: str) -> None:
        data = {**policy.as_dict(), "by": by.as_dict(), "at": at}
        self._writes.put(C(f"policy#{tenant}", POLICY, data=json.dumps(data, ensure_ascii=False)))

    def settlement(self, tenant: str) -> SettlementPolicy:
        try:
            return SettlementPolicy.from_dict(
                json.loads(C.get(f"policy#{tenant}", SETTLEMENT, consistent_read=True).data)
            )
        except DoesNotExist:
            return SettlementPolicy()

    def put_settlement(self, tenant: str, policy: SettlementPolicy) -> None:
        data = json.dumps(policy.as_dict(), ensure_ascii=False)
        self._writes.put(C(f"policy#{tenant}", SETTLEMENT, data=data))


class DelegationRepository:
    def __init__(self, writes: Writes | None = None) -> None:
        self._writes = writes or Immediately()

    def put(self, d: Delegation) -> None:
        tenant = d.delegator.tenant
        self._writes.put(
            C(
                _delegation_pk(tenant, d.delegator.sub),
                DELEGATION,
                gpk=f"delegate#{tenant}|{d.to.id}",
                gsk=d.delegator.sub,
                data=json.dumps(d.as_dict(), ensure_ascii=False),
            )
        )

    def of(self, tenant: str, delegator_id: str) -> Delegation | None:
        try:
            return _to_delegation(C.get(_delegation_pk(tenant, delegator_id), DELEGATION, consistent_read=True))
        except DoesNotExist:
            return None

    def delete(self, tenant: str, delegator_id: str) -> None:
        self._writes.delete(C(_delegation_pk(tenant, delegator_id), DELEGATION))

    def to(self, tenant: str, delegate_id: str) -> list[Delegation]:
        """The delegations made to someone (any dates; the use case asks which are active)."""
        return [_to_delegation(m) for m in C.by_group.query(f"delegate#{tenant}|{delegate_id}")]
