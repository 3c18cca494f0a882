"""The test PostgreSQL server's superuser, for tests that need a second, stronger role."""

from __future__ import annotations

import os

import pytest

SUPERUSER_ENV = "KB_TEST_POSTGRESQL_SUPERUSER_URL"


def superuser_url() -> str | None:
    """The superuser URL the tests may use, if any (under CI there must be one)."""
    url = os.environ.get(SUPERUSER_ENV)
    if not url and os.environ.get("CI"):
        pytest.fail(f"CI must set {SUPERUSER_ENV} (.ci/run makes the role).")
    return url
