"""The security suite drives the app in this process against local AWS."""

from tests import local_aws


def pytest_configure(config):
    local_aws.start(config)
