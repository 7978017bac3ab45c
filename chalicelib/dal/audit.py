"""The audit trail (DynamoDB, the audit table): a campaign's entries by seq.

Insert-only: `append` is a put conditional on the entry's absence, and it travels in the same
unit of work as the change it records and the campaign's new chain head, so an entry exists
exactly when its change does. Nothing here updates or deletes an entry (and the functions'
IAM policies grant no UpdateItem or DeleteItem on the table).
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.dal.models import AuditModel as A
from chalicelib.dal.writes import Immediately, Writes
from chalicelib.domain.audit import AuditEntry, canonical_json


class AuditRepository:
    def __init__(self, writes: Writes | None = None) -> None:
        self._writes = writes or Immediately()

    def append(self, campaign_id: str, tenant: str, entry: AuditEntry) -> None:
        self._writes.put(
            A(campaign_id, entry.seq, entry=canonical_json(entry.body()), hash=entry.hash, tenant=tenant),
            A.campaign_id.does_not_exist(),
        )

    def entries(self, campaign_id: str) -> list[dict[str, Any]]:
        """Every entry of a campaign exactly as stored (the hashed JSON plus its hash), oldest
        first, strongly consistent: nothing is rebuilt, so whatever changed in storage shows."""
        return [{**json.loads(m.entry), "hash": m.hash} for m in A.query(campaign_id, consistent_read=True)]
