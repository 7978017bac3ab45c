"""Where use cases get their storage: one installed storage per process, built on first use.

Production and the local stack use DynamoStorage (DynamoDB, S3, SES). Tests of business
rules install an InMemoryStorage (dal/memory.py) with `install()`: the same ports
(dal/ports.py), no moto. Each function returns the installed storage's port of that name.
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.dal import ports

_installed: ports.Storage | None = None


@functools.lru_cache(maxsize=1)
def _default() -> ports.Storage:
    from chalicelib.dal.storage import DynamoStorage

    return DynamoStorage()


def storage() -> ports.Storage:
    return _installed if _installed is not None else _default()


def install(replacement: ports.Storage | None) -> ports.Storage | None:
    """Use `replacement` as this process's storage (None: back to the default); returns the previous."""
    global _installed
    previous, _installed = _installed, replacement
    return previous


def campaigns() -> ports.CampaignRepo:
    return storage().campaigns


def feedback() -> ports.FeedbackRepo:
    return storage().feedback


def rules() -> ports.RuleRepo:
    return storage().rules


def evidence() -> ports.EvidenceRepo:
    return storage().evidence


def visits() -> ports.VisitRepo:
    return storage().visits


def budgets() -> ports.BudgetRepo:
    return storage().budgets


def policies() -> ports.PolicyRepo:
    return storage().policies


def delegations() -> ports.DelegationRepo:
    return storage().delegations


def audit() -> ports.AuditRepo:
    return storage().audit


def invoices() -> ports.InvoiceRepo:
    return storage().invoices


def vouchers() -> ports.VoucherRepo:
    return storage().vouchers


def rollups() -> ports.RollupRepo:
    return storage().rollups


def reports() -> ports.ReportRepo:
    return storage().reports


def changes() -> ports.ChangeRepo:
    return storage().changes


def objects() -> ports.ObjectStore:
    return storage().objects


def mailer() -> ports.Mailer:
    return storage().mailer


def idempotency() -> ports.IdempotencyStore:
    return storage().idempotency


def webhooks() -> ports.WebhookRepo:
    return storage().webhooks


def delivery_queue() -> ports.DeliveryQueue:
    return storage().delivery_queue


def secret_box() -> ports.SecretBox:
    return storage().secret_box


def outbound() -> ports.Outbound:
    return storage().outbound


def unit_of_work() -> AbstractContextManager[ports.UnitOfWork]:
    """Repositories whose writes commit together when the `with` block ends (ports.UnitOfWork)."""
    return storage().unit_of_work()
