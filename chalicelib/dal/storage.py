"""The DynamoDB + S3 + SES (+ SQS and KMS for webhooks) storage (ports.Storage): every repository, built on first use, and
units of work.

A unit of work gives repositories whose writes are held and committed together as one
transaction when the `with` block ends without an exception:

    with repos.unit_of_work() as uow:
        uow.campaigns.save(campaign)
        uow.feedback.insert_revision(report)
        uow.feedback.delete_draft(campaign.id)

Reads inside the block read the table as it is (nothing of the unit is visible before commit).
Each repository's module is imported when it is first asked for, so a function imports only
the repositories it uses (a cold start pays for nothing else).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from chalicelib.dal import ports
from chalicelib.dal.writes import Immediately, Together, Writes


class DynamoRepositories:
    """Every repository of ports.Repositories, its writes going to `writes`: at once (the
    storage's own) or held for one transaction (a unit of work's)."""

    def __init__(self, writes: Writes) -> None:
        self.writes = writes

    @cached_property
    def campaigns(self) -> ports.CampaignRepo:
        from chalicelib.dal.campaigns import CampaignRepository

        return CampaignRepository(self.writes)

    @cached_property
    def feedback(self) -> ports.FeedbackRepo:
        from chalicelib.dal.feedback import FeedbackRepository

        return FeedbackRepository(self.writes)

    @cached_property
    def rules(self) -> ports.RuleRepo:
        from chalicelib.dal.rules import RuleRepository

        return RuleRepository(self.writes)

    @cached_property
    def evidence(self) -> ports.EvidenceRepo:
        from chalicelib.dal.evidence import EvidenceRepository

        return EvidenceRepository(self.writes)

    @cached_property
    def visits(self) -> ports.VisitRepo:
        from chalicelib.dal.visits import VisitRepository

        return VisitRepository(self.writes)

    @cached_property
    def budgets(self) -> ports.BudgetRepo:
        from chalicelib.dal.budgets import BudgetRepository

        return BudgetRepository(self.writes)

    @cached_property
    def policies(self) -> ports.PolicyRepo:
        from chalicelib.dal.control import PolicyRepository

        return PolicyRepository(self.writes)

    @cached_property
    def delegations(self) -> ports.DelegationRepo:
        from chalicelib.dal.control import DelegationRepository

        return DelegationRepository(self.writes)

    @cached_property
    def audit(self) -> ports.AuditRepo:
        from chalicelib.dal.audit import AuditRepository

        return AuditRepository(self.writes)

    @cached_property
    def invoices(self) -> ports.InvoiceRepo:
        from chalicelib.dal.invoices import InvoiceRepository

        return InvoiceRepository(self.writes)

    @cached_property
    def vouchers(self) -> ports.VoucherRepo:
        from chalicelib.dal.vouchers import VoucherRepository

        return VoucherRepository(self.writes)


class DynamoStorage(DynamoRepositories):
    """Production storage (and the local stack's, against moto)."""

    def __init__(self) -> None:
        super().__init__(Immediately())

    @cached_property
    def rollups(self) -> ports.RollupRepo:
        from chalicelib.dal.rollups import RollupRepository

        return RollupRepository()

    @cached_property
    def reports(self) -> ports.ReportRepo:
        from chalicelib.dal.reports import ReportRepository

        return ReportRepository()

    @cached_property
    def changes(self) -> ports.ChangeRepo:
        from chalicelib.dal.changes import ChangeRepository

        return ChangeRepository()

    @cached_property
    def objects(self) -> ports.ObjectStore:
        from chalicelib.dal.objects import ObjectStore

        return ObjectStore()

    @cached_property
    def mailer(self) -> ports.Mailer:
        from chalicelib.dal import mail

        return mail

    @cached_property
    def idempotency(self) -> ports.IdempotencyStore:
        from chalicelib.dal.idempotency import IdempotencyStore

        return IdempotencyStore()

    @cached_property
    def webhooks(self) -> ports.WebhookRepo:
        from chalicelib.dal.webhooks import WebhookRepository

        return WebhookRepository()

    @cached_property
    def delivery_queue(self) -> ports.DeliveryQueue:
        from chalicelib.dal.queue import SqsDeliveryQueue

        return SqsDeliveryQueue()

    @cached_property
    def secret_box(self) -> ports.SecretBox:
        from chalicelib.dal.secrets import KmsSecretBox

        return KmsSecretBox()

    @cached_property
    def outbound(self) -> ports.Outbound:
        from chalicelib.dal.outbound import Network

        return Network()

    @contextmanager
    def unit_of_work(self) -> Iterator[ports.UnitOfWork]:
        together = Together()
        yield DynamoRepositories(together)
        together.commit()


if TYPE_CHECKING:

    def _conforms(storage: DynamoStorage) -> ports.Storage:
        return storage  # mypy: a storage that drifts from its ports is an error here
