"""A city-wide lifeline fleet's telemetry day (the throughput benchmark's data), on a small fleet
delivered in several device chunks, so the chunks' window files are appended to one another."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.ingest.ingest import ingest_windows
from pipelines.lib.ingest.lake import partition
from pipelines.lib.ingest.windows import compact_day, day_lock, landed_windows
from pipelines.sample_city import telemetry_day
from pipelines.sample_city.telemetry_day import write_fleet_day

FEED = ("housing_construction", "sensor_telemetry")


@pytest.fixture(scope="module")
def fleet_day(tmp_path_factory):
    chunked = pytest.MonkeyPatch()
    chunked.setattr(telemetry_day, "DEVICES_PER_CHUNK", 20)
    try:
        root = tmp_path_factory.mktemp("fleet")
        return root, write_fleet_day(root, "tiny", seed=5, assets=50)
    finally:
        chunked.undo()


def test_every_window_of_the_day_is_a_file_named_by_the_contract(fleet_day):
    root, fleet = fleet_day
    windows = landed_windows(DataDir(root), FEED_CONTRACTS[FEED], fleet.day)
    assert sorted(windows) == list(range(0, 24 * 60, 5))
    assert fleet.files == len(windows) == 288
    lines = sum(len(path.read_bytes().splitlines()) for path in windows.values())
    assert lines == fleet.pushes
    assert fleet.devices >= 50 and fleet.readings > fleet.pushes  # manholes push two readings


def test_the_day_ingests_every_push_and_quarantines_only_the_planted_ones(fleet_day):
    root, fleet = fleet_day
    data, contract = DataDir(root), FEED_CONTRACTS[FEED]
    connection = connect()
    try:
        with day_lock(data, contract, fleet.day):
            outcomes = list(ingest_windows(data, contract, fleet.day, connection))
            compaction = compact_day(data, contract, fleet.day)
    finally:
        connection.close()
    assert len(outcomes) == 288
    assert sum(outcome.result.landed for outcome in outcomes) == fleet.pushes
    # Keys stay unique across the chunks: no re-sent or quarantined push that was not planted.
    assert compaction.quarantined_rows == fleet.invalid > 0
    assert compaction.bronze_rows + compaction.quarantined_rows == fleet.pushes

    bronze = pl.read_parquet(partition(data, contract, fleet.day).bronze)
    assert bronze["device_id"].n_unique() == fleet.devices
    readings = bronze["measures"].list.len().sum()
    # A quarantined push held one or two readings (a planted duplicate is a push more, so its
    # readings were never counted).
    assert fleet.readings - 2 * fleet.invalid <= readings <= fleet.readings
