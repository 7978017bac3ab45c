"""The moto server the suites that need AWS share: one per test process, started by the
conftest of each such suite (`start(config)` in its `pytest_configure`), never by the root
conftest, so `make unit` (tests/unit) starts none.

Suites that call it: integration, functional, contract, security, infra. The end-to-end,
browser and fuzz suites start whole local stacks of their own (devstack.client.spawn_stack).

`start` points every setting at the server before anything reads them, creates the tables, the
bucket and the evaluation resources once, and is safe to call from every conftest: the first
call in a process does the work. Under `pytest -n N` the controller only hands tests to its
workers, and each worker has its own moto, tables and keys.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

KEY_DIR = Path(tempfile.mkdtemp(prefix="huixiang-test-keys-"))
OUTBOX = Path(tempfile.mkdtemp(prefix="huixiang-test-outbox-"))
_started: list[str] = []


def _is_xdist_controller(config: Any) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def start(config: Any) -> str | None:
    """Start this process's moto and point the settings at it (once); returns its endpoint."""
    if _is_xdist_controller(config):
        return None
    if _started:
        return _started[0]
    import sys

    if "chalicelib.dal.models" in sys.modules:
        # the models read their tables and endpoint when imported: they would talk to AWS itself
        import pytest

        raise pytest.UsageError(
            "chalicelib.dal.models was imported before local AWS was set up: a test module "
            "collected earlier imports it at module level (import it inside the test instead)"
        )
    from devstack.atomic_moto import start_in_thread
    from devstack.tokens import AUDIENCE, ISSUER, ensure_keys

    _, jwks = ensure_keys(KEY_DIR)
    _, endpoint = start_in_thread()
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "HUIXIANG_STAGE": "test",
            "HUIXIANG_CATEGORIES": "tasting,display,roadshow,in_store_promotion",
            "JWKS_PATH": str(jwks),
            "TOKEN_ISSUER": ISSUER,
            "TOKEN_AUDIENCE": AUDIENCE,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "HUIXIANG_OUTBOX_DIR": str(OUTBOX),
            # webhooks: receivers on 127.0.0.1 (tests/security turns it off to see it refused), every
            # retry at once (4 attempts in all), a receiver's timeout short enough to wait for
            "HUIXIANG_WEBHOOK_LOCAL_HTTP": "1",
            "HUIXIANG_WEBHOOK_RETRY_DELAYS": "0,0,0",
            "HUIXIANG_WEBHOOK_TIMEOUT": "2",
            "CONSOLE_URL": "https://console.huixiang.test/console/",
        }
    )
    os.environ.pop("HUIXIANG_READY_FILE", None)
    import boto3

    from chalicelib.config import settings

    settings.cache_clear()  # a module collected earlier may have read the settings already
    from chalicelib.dal.models import create_tables

    create_tables()
    boto3.client("s3").create_bucket(Bucket=settings().attachments_bucket)
    from devstack.evaluation import create_resources
    from devstack.webhooks import create_resources as create_webhook_resources

    create_resources()
    create_webhook_resources()
    _started.append(endpoint)
    return endpoint
