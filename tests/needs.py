"""A test that needs something the machine may lack (Chromium, redis-server, curl): skipped on a developer's
machine without it, but a failure under CI=true, where everything the suite needs must be there."""

import os

import pytest


def missing(message: str):
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
