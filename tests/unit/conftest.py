"""Fixtures shared by the unit tests."""

from tests.unit.test_reporting_sections import rollups_in_memory  # noqa: F401 (a fixture, found by pytest by name)
