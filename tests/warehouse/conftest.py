"""A reader on the built tiny city's analytics copy (`built_city` itself is in tests/conftest.py)."""

from __future__ import annotations

import duckdb
import pytest


@pytest.fixture
def analytics(built_city):
    connection = duckdb.connect(str(built_city / "analytics.duckdb"), read_only=True)
    yield connection
    connection.close()
