"""Each feed is due from its own first delivery: a feed onboarded later is not counted missing for
the days before it existed, and a day it then misses is."""

from __future__ import annotations

import shutil
from datetime import date, timedelta

import polars as pl

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.lib.city_profile import city_profile
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.ingest.ingest import ingest_deliveries
from pipelines.lib.scorecard import department_scorecard, summary_by_department

STATIONS = FEED_CONTRACTS[("ecology_environment", "monitoring_stations")]
POLLUTERS = FEED_CONTRACTS[("ecology_environment", "pollution_sources")]
NEVER = FEED_CONTRACTS[("fire_rescue", "fire_incidents")]
FIRST = date(2026, 10, 1)
WEEK = [FIRST + timedelta(days=n) for n in range(7)]


def test_a_feed_onboarded_later_is_due_from_its_first_delivery(tiny_city, tmp_path) -> None:
    data = DataDir(tmp_path)
    shutil.copytree(
        tiny_city / "landing" / "ecology_environment", data.landing / "ecology_environment"
    )
    # Pollution sources start on day 4 and miss day 6: one real miss.
    polluter_days = [day for day in WEEK[3:] if day != WEEK[5]]
    connection = connect()
    try:
        for contract, days in ((STATIONS, WEEK), (POLLUTERS, polluter_days)):
            for ingested in ingest_deliveries(data, contract, days, connection):
                assert not isinstance(ingested, Exception), ingested
    finally:
        connection.close()

    scorecard = department_scorecard(
        data.lake, [STATIONS, POLLUTERS, NEVER], city_profile(data.root).timezone
    )
    by_feed = {
        feed: frame.sort("delivery_date")
        for (feed,), frame in scorecard.partition_by("feed", as_dict=True).items()
    }
    # A feed never delivered is due on no day; the others until the last day anything arrived.
    assert set(by_feed) == {"monitoring_stations", "pollution_sources"}
    assert by_feed["monitoring_stations"]["delivery_date"].to_list() == WEEK
    assert by_feed["monitoring_stations"]["delivered"].all()
    polluters = by_feed["pollution_sources"]
    assert polluters["delivery_date"].to_list() == WEEK[3:]  # not the three days before it existed
    assert polluters.filter(~pl.col("delivered"))["delivery_date"].to_list() == [WEEK[5]]
    assert polluters.filter(pl.col("delivery_date") == WEEK[5])["timeliness"].to_list() == [0.0]

    summary = summary_by_department(scorecard).row(0, named=True)
    assert (summary["department"], summary["feeds"]) == ("ecology_environment", 2)
    assert summary["feed_days_without_delivery"] == 1
