"""Fixtures and helpers shared by every test module."""

import os
from typing import NoReturn

import pytest


def skip_or_fail(reason: str) -> NoReturn:
    """Skip a test that needs a missing component, but fail it under CI=true.

    CI installs every component, so a missing one there is a broken set-up, not a
    reason to pass quietly.
    """
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: every component must be present)")
    pytest.skip(reason)


@pytest.fixture(name="skip_or_fail")
def skip_or_fail_fixture():
    """The skip_or_fail helper, for tests that prefer a fixture to an import."""
    return skip_or_fail


def pytest_configure(config):
    config.addinivalue_line("markers", "host_missing: start the browser without installing the native host")
