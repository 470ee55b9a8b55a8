"""Unit tests run without a database (``make test-fast``): one that asks for one fails here
with where it belongs instead of quietly slowing the fast suite down."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_database(request: pytest.FixtureRequest) -> None:
    if "backend" in request.fixturenames:
        pytest.fail("a test with a database belongs in tests/integration, not tests/unit")
