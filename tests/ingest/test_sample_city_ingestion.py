"""The tiny sample city ingested through its contracts, measured against ground_truth/.

Every test runs twice: the lake in the data directory, and in moto's S3.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipelines.lib.contracts import load_feed_contracts
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.ingest.ingest import ingest_deliveries
from pipelines.lib.standards.coordinates import haversine_m
from pipelines.lib.storage import Location, read_parquet
from tests.object_storage import MODES, new_storage

CONTRACTS = load_feed_contracts(Path("contracts"))


def ingest_city(data: DataDir) -> None:
    connection = connect()
    for (department, feed), contract in sorted(CONTRACTS.items()):
        days = sorted(
            contract.landing.day_of(p.name) for p in data.landing_feed(department, feed).iterdir()
        )
        for ingested in ingest_deliveries(data, contract, days, connection):
            assert ingested.accounted


@pytest.fixture(scope="module", params=MODES)
def lake(request, tiny_city, tmp_path_factory) -> DataDir:
    """A copy of the tiny city with its lake ingested, locally or in S3 (the shared city stays as generated)."""
    s3 = request.getfixturevalue("s3_server") if request.param == "s3" else None
    root = tmp_path_factory.mktemp("ingested") / "city"
    shutil.copytree(tiny_city, root)
    data = new_storage(request.param, s3).data_dir(root)
    ingest_city(data)
    return data


def lake_files(data: DataDir, zone: str) -> list[Location]:
    return sorted((data.lake / zone).rglob("*.parquet"))


def lake_rows(data: DataDir, zone: str, columns: list[str]) -> pl.DataFrame:
    return pl.concat([read_parquet(f, columns=columns) for f in lake_files(data, zone)])


def feed_rows(data: DataDir, department: str, feed: str) -> pl.DataFrame:
    return pl.concat(
        [
            read_parquet(f)
            for f in sorted((data.bronze / department / feed).glob("date=*/*.parquet"))
        ]
    )


def test_row_accounting_holds_for_every_partition(lake):
    truth = pl.read_parquet(str(lake.ground_truth / "records" / "*" / "*" / "*.parquet"))
    delivered = truth.group_by("file").len("delivered")
    bronze = lake_rows(lake, "bronze", ["_source_file"]).group_by("_source_file").len("bronze")
    quarantine = (
        lake_rows(lake, "quarantine", ["_source_file"]).group_by("_source_file").len("quarantine")
    )
    landing_files = {p.relative_to(lake.root).as_posix() for p in lake.landing.rglob("*.*")}
    partitions = [p for p in lake_files(lake, "bronze") if p.name == "part-0.parquet"]
    # One partition per delivery, even when empty; every feed of the city delivered.
    assert len(partitions) == len(landing_files)
    assert {Path(f).parent.as_posix() for f in landing_files} == {
        f"landing/{contract.department}/{contract.feed}"
        for contract in load_feed_contracts(Path("contracts")).values()
    }
    accounting = (
        delivered.join(bronze, left_on="file", right_on="_source_file", how="full", coalesce=True)
        .join(quarantine, left_on="file", right_on="_source_file", how="full", coalesce=True)
        .fill_null(0)
    )
    unbalanced = accounting.filter(pl.col("delivered") != pl.col("bronze") + pl.col("quarantine"))
    assert unbalanced.height == 0, unbalanced
    assert accounting["delivered"].sum() == truth.height


def test_every_planted_invalid_row_is_quarantined_with_its_rule_and_no_valid_row_is(lake):
    truth = pl.read_parquet(str(lake.ground_truth / "records" / "*" / "*" / "*.parquet"))
    quarantined = lake_rows(lake, "quarantine", ["_source_file", "_source_row", "rule"]).rename(
        {"_source_file": "file", "_source_row": "row_number"}
    )
    joined = truth.join(quarantined, on=["file", "row_number"], how="left")
    planted = joined.filter(pl.col("invalid_rule").is_not_null())
    valid = joined.filter(pl.col("invalid_rule").is_null())
    assert planted.height > 150
    missed = planted.filter(pl.col("rule").is_null())
    wrong = planted.filter(
        pl.col("rule").is_not_null() & (pl.col("rule") != pl.col("invalid_rule"))
    )
    false_alarms = valid.filter(pl.col("rule").is_not_null())
    assert missed.height == 0, missed.select("file", "row_number", "invalid_rule")
    assert wrong.height == 0, wrong.select("file", "row_number", "invalid_rule", "rule")
    assert false_alarms.height == 0, false_alarms.select("file", "row_number", "rule")


def test_bronze_coordinates_are_wgs84_and_match_the_true_place(lake):
    """GCJ-02 (traffic) and BD-09 (fire) deliveries land as WGS-84, within a metre of the truth."""
    places = pl.read_parquet(lake.ground_truth / "places.parquet").select("place_id", "lon", "lat")
    for department, feed, role in [
        ("traffic_police", "traffic_accidents", "accident_site"),
        ("fire_rescue", "fire_inspections", "inspected_premises"),
        ("emergency_management", "enterprises", "premises"),
    ]:
        links = pl.read_parquet(
            str(lake.ground_truth / "links" / department / feed / "*.parquet")
        ).filter(pl.col("role") == role)
        bronze = feed_rows(lake, department, feed)
        joined = bronze.join(
            links, left_on=["_source_file", "_source_row"], right_on=["file", "row_number"]
        ).join(places, left_on="entity_id", right_on="place_id")
        assert joined.height > 20
        error = haversine_m(
            joined["longitude"].to_numpy(),
            joined["latitude"].to_numpy(),
            joined["lon"].to_numpy(),
            joined["lat"].to_numpy(),
        )
        assert np.max(error) < 1.0, (feed, np.max(error))


def test_bronze_is_typed_to_the_contract(lake):
    accidents = feed_rows(lake, "traffic_police", "traffic_accidents")
    assert accidents.schema["occurred_at"] == pl.Datetime("us", "Asia/Shanghai")
    assert accidents.schema["deaths"] == pl.Int64
    assert isinstance(accidents.schema["vehicles"], pl.List)
    assert accidents["vehicles"].list.len().min() >= 1
    licences = feed_rows(lake, "market_regulation", "food_business_licences")
    assert licences.schema["issue_date"] == pl.Date
    # Full-width digits typed by clerks are half-width in the lake.
    assert not licences["address"].str.contains("[０-９]").any()


def digests(data: DataDir) -> dict[str, str]:
    return {
        p.relative_to(data.lake).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data.lake.rglob("*.parquet"))
    }


def test_reingesting_gives_the_same_lake(lake):
    before = digests(lake)
    assert len(before) >= 2 * 105  # bronze and quarantine of every delivery
    ingest_city(lake)  # replaces every partition, in place
    assert digests(lake) == before
