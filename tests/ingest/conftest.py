"""Fixtures of the bad-input tests: four real feed contracts (one per landing format), a data directory
(local or in moto's S3) and a DuckDB connection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from pipelines.lib.contracts import FeedContract, load_contract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect
from tests.ingest.deliveries import FEEDS

# ------------------------------------------------------------------ contracts and the lake


@pytest.fixture(scope="module")
def enterprises() -> FeedContract:  # UTF-8 CSV, English headers, USCC key, WGS-84
    return load_contract(FEEDS / "emergency_management" / "enterprises.odcs.yaml")


@pytest.fixture(scope="module")
def food_inspections() -> FeedContract:  # GB 18030 CSV, Chinese headers
    return load_contract(FEEDS / "market_regulation" / "food_inspections.odcs.yaml")


@pytest.fixture(scope="module")
def traffic_accidents() -> FeedContract:  # JSON lines, nested vehicles, GCJ-02, epoch milliseconds
    return load_contract(FEEDS / "traffic_police" / "traffic_accidents.odcs.yaml")


@pytest.fixture(scope="module")
def fire_incidents() -> FeedContract:  # XLSX, Chinese headers, BD-09
    return load_contract(FEEDS / "fire_rescue" / "fire_incidents.odcs.yaml")


@pytest.fixture
def data(tmp_path: Path, storage) -> DataDir:
    """Landing files in tmp_path; the lake there too, or in S3."""
    return storage.data_dir(tmp_path / "data")


@pytest.fixture
def connection():
    con = connect()
    yield con
    con.close()


@pytest.fixture
def day_instance() -> Iterator[dg.DagsterInstance]:
    """A Dagster instance whose delivery days hold the sample city's first day, 2026-10-01, as the
    landing sensor or `safecity run` registers it before a run of that day."""
    from pipelines.defs.ingest.partitions import current_delivery_window, register_delivery_days

    with dg.DagsterInstance.ephemeral() as instance:
        register_delivery_days(instance, [date(2026, 10, 1)], current_delivery_window())
        yield instance
