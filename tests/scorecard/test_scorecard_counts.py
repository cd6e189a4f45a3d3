"""The scorecard's counts kept per lake file: a run reads only the files written since the
last, and gives what reading every file gives."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta

import polars as pl

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.ingest.ingest import ingest_deliveries
from pipelines.lib.scorecard import department_scorecard

STATIONS = FEED_CONTRACTS[("ecology_environment", "air_quality_hourly")]
WEEK = [date(2026, 10, 1) + timedelta(days=n) for n in range(7)]
ZONE = "Asia/Shanghai"


def _ingest(data: DataDir, days: list[date]) -> None:
    connection = connect()
    try:
        for ingested in ingest_deliveries(data, STATIONS, days, connection):
            assert not isinstance(ingested, Exception), ingested
    finally:
        connection.close()


def _plant(cache) -> str:
    """Make the cache's count of the first day's rows 1,000,000; the file's name."""
    document = json.loads(cache.read_text(encoding="utf-8"))
    kept = document["entries"]
    first_day = next(name for name in kept if "/bronze/" in name and "date=2026-10-01" in name)
    kept[first_day]["counts"][0][1] = 1_000_000
    cache.write_text(json.dumps(document), encoding="utf-8")
    return first_day


def test_counts_are_read_again_only_for_files_written_since(tiny_city, tmp_path) -> None:
    data = DataDir(tmp_path / "data")
    shutil.copytree(
        tiny_city / "landing" / "ecology_environment", data.landing / "ecology_environment"
    )
    _ingest(data, WEEK)
    cache = tmp_path / "scorecard_counts.json"
    every_file_read = department_scorecard(data.lake, [STATIONS], ZONE)
    assert department_scorecard(data.lake, [STATIONS], ZONE, cache).equals(every_file_read)
    assert every_file_read["bronze_rows"].sum() > 0

    # Kept counts are used as they are while their file is unchanged: a planted count shows.
    first_day = _plant(cache)
    from_cache = department_scorecard(data.lake, [STATIONS], ZONE, cache)
    assert from_cache.filter(pl.col("delivery_date") == WEEK[0])["bronze_rows"].item() == 1_000_000

    # A day ingested again writes its partition anew: its file is read, the planted count goes.
    _ingest(data, [WEEK[0]])
    assert department_scorecard(data.lake, [STATIONS], ZONE, cache).equals(every_file_read)

    # The time zone decides a record's day: counts kept under another are not used.
    _plant(cache)
    elsewhere = department_scorecard(data.lake, [STATIONS], "America/New_York", cache)
    assert elsewhere.equals(department_scorecard(data.lake, [STATIONS], "America/New_York"))

    # A file gone from the lake leaves the cache and the scorecard.
    shutil.rmtree(first_day.rsplit("/", 1)[0])
    without_first_day = department_scorecard(data.lake, [STATIONS], ZONE, cache)
    assert first_day not in json.loads(cache.read_text(encoding="utf-8"))["entries"]
    assert without_first_day.equals(department_scorecard(data.lake, [STATIONS], ZONE))
