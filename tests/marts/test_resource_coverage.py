"""Coverage gaps and shelter shortfalls per township against the sample city's truth, on two
cities: every planted gap is found, and no township is listed that the truth does not hold.

The truth (ground_truth/coverage_gaps.parquet, shelter_capacity.parquet) is computed by the
generator from the true places, with the stations and shelters whose register rows reached the
lake valid: a row the silo noise breaks is quarantined, so it is missing from both alike.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

SETTINGS = Path("dbt_project/seeds/config/resource_settings.csv")


def coverage_km() -> float:
    with SETTINGS.open(encoding="utf-8") as handle:
        rows = {row["resource_kind"]: row for row in csv.DictReader(handle)}
    return float(rows["fire_station"]["coverage_km"])


@pytest.fixture(scope="module", params=["built_city", "other_built_city"])
def city(request) -> Path:
    return request.getfixturevalue(request.param)


def mart(city: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(city / "analytics.duckdb"), read_only=True) as connection:
        return connection.execute(sql).pl()


def test_the_generator_plants_gaps_at_the_marts_distance(city):
    manifest = json.loads((city / "ground_truth/manifest.json").read_text(encoding="utf-8"))
    assert manifest["coverage"]["coverage_km"] == coverage_km()
    truth = pl.read_parquet(city / "ground_truth/coverage_gaps.parquet")
    assert truth["planted"].sum() >= 1  # gaps to find, in this city too


def test_every_coverage_gap_found_and_no_township_falsely_listed(city):
    truth = pl.read_parquet(city / "ground_truth/coverage_gaps.parquet")
    listed = mart(city, "select township_code, premises_uncovered from fire_coverage_by_township")
    planted = set(truth.filter("planted")["township_code"])
    assert planted <= set(listed["township_code"]), "a planted gap was missed"
    assert set(listed["township_code"]) == set(truth["township_code"])


def test_shelter_shortfalls_match_the_truth(city):
    truth = pl.read_parquet(city / "ground_truth/shelter_capacity.parquet")
    listed = mart(city, "select township_code from shelter_capacity_by_township where shortfall")
    assert set(truth.filter("planted")["township_code"]) & set(
        truth.filter("shortfall")["township_code"]
    ), "no planted shortfall survived the noise"
    assert set(listed["township_code"]) == set(truth.filter("shortfall")["township_code"])
