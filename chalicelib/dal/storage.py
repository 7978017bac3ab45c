"""The DynamoDB + S3 + SES storage: every repository, built on first use, and units of work.

A unit of work gives repositories whose writes are held and committed together as one
transaction when the `with` block ends without an exception:

    with repos.unit_of_work() as uow:
        uow.campaigns.save(campaign)
        uow.feedback.insert_revision(report)
        uow.feedback.delete_draft(campaign.id)

Reads inside the block read the table as it is (nothing of the unit is visible before commit).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

from chalicelib.dal.writes import Together


class UnitOfWork:
    """Repositories that share one pending transaction."""

    def __init__(self) -> None:
        self.writes = Together()

    @cached_property
    def campaigns(self):
        from chalicelib.dal.campaigns import CampaignRepository

        return CampaignRepository(self.writes)

    @cached_property
    def feedback(self):
        from chalicelib.dal.feedback import FeedbackRepository

        return FeedbackRepository(self.writes)

    @cached_property
    def rules(self):
        from chalicelib.dal.rules import RuleRepository

        return RuleRepository(self.writes)

    @cached_property
    def evidence(self):
        from chalicelib.dal.evidence import EvidenceRepository

        return EvidenceRepository(self.writes)

    @cached_property
    def budgets(self):
        from chalicelib.dal.budgets import BudgetRepository

        return BudgetRepository(self.writes)

    @cached_property
    def policies(self):
        from chalicelib.dal.control import PolicyRepository

        return PolicyRepository(self.writes)

    @cached_property
    def delegations(self):
        from chalicelib.dal.control import DelegationRepository

        return DelegationRepository(self.writes)

    @cached_property
    def audit(self):
        from chalicelib.dal.audit import AuditRepository

        return AuditRepository(self.writes)

    def commit(self) -> None:
        self.writes.commit()


class DynamoStorage:
    """Production storage (and the local stack's, against moto)."""

    @cached_property
    def campaigns(self):
        from chalicelib.dal.campaigns import CampaignRepository

        return CampaignRepository()

    @cached_property
    def feedback(self):
        from chalicelib.dal.feedback import FeedbackRepository

        return FeedbackRepository()

    @cached_property
    def rules(self):
        from chalicelib.dal.rules import RuleRepository

        return RuleRepository()

    @cached_property
    def evidence(self):
        from chalicelib.dal.evidence import EvidenceRepository

        return EvidenceRepository()

    @cached_property
    def budgets(self):
        from chalicelib.dal.budgets import BudgetRepository

        return BudgetRepository()

    @cached_property
    def policies(self):
        from chalicelib.dal.control import PolicyRepository

        return PolicyRepository()

    @cached_property
    def delegations(self):
        from chalicelib.dal.control import DelegationRepository

        return DelegationRepository()

    @cached_property
    def audit(self):
        from chalicelib.dal.audit import AuditRepository

        return AuditRepository()

    @cached_property
    def rollups(self):
        from chalicelib.dal.rollups import RollupRepository

        return RollupRepository()

    @cached_property
    def reports(self):
        from chalicelib.dal.reports import ReportRepository

        return ReportRepository()

    @cached_property
    def objects(self):
        from chalicelib.dal.objects import ObjectStore

        return ObjectStore()

    @cached_property
    def mailer(self):
        from chalicelib.dal import mail

        return mail

    @cached_property
    def idempotency(self):
        from chalicelib.dal.idempotency import IdempotencyStore

        return IdempotencyStore()

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        uow = UnitOfWork()
        yield uow
        uow.commit()
