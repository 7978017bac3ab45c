"""The packaged template, built once per session.

`make test` packages first and points HUIXIANG_TEMPLATE at build/sam.json (already linted);
a plain `pytest` run packages into a temporary directory itself, so these tests never read a
stale build/.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests import local_aws


@pytest.fixture(scope="session")
def template_path(tmp_path_factory) -> Path:
    given = os.environ.get("HUIXIANG_TEMPLATE")
    if given:
        return Path(given)
    from infra.package import package

    return package("prod", tmp_path_factory.mktemp("build"))


@pytest.fixture(scope="session")
def template(template_path) -> dict:
    return json.loads(template_path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def resources(template) -> dict:
    return template["Resources"]


def of_type(resources: dict, cfn_type: str) -> dict:
    return {name: r for name, r in resources.items() if r["Type"] == cfn_type}


def pytest_configure(config):
    """The IAM tests run a whole loop in this process against local AWS (tests/local_aws.py)."""
    local_aws.start(config)
