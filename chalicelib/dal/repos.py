"""Repositories, built lazily once per process and reused across invocations."""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def campaigns():
    from chalicelib.dal.campaigns import CampaignRepository
    return CampaignRepository()


@functools.lru_cache(maxsize=1)
def feedback():
    from chalicelib.dal.feedback import FeedbackRepository
    return FeedbackRepository()


@functools.lru_cache(maxsize=1)
def rules():
    from chalicelib.dal.rules import RuleRepository
    return RuleRepository()


@functools.lru_cache(maxsize=1)
def evidence():
    from chalicelib.dal.evidence import EvidenceRepository
    return EvidenceRepository()


@functools.lru_cache(maxsize=1)
def rollups():
    from chalicelib.dal.rollups import RollupRepository
    return RollupRepository()


@functools.lru_cache(maxsize=1)
def reports():
    from chalicelib.dal.reports import ReportRepository
    return ReportRepository()
