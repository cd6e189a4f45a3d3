"""Another real city on another seed (Wenzhou 3303, seed 7; `other_built_city` in tests/conftest.py):
the pipeline runs green on it and every stage uses its code, extent and names, none of Chengdu's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest
from lxml import etree

from pipelines.defs.feeds import DEPARTMENTS, FEED_CONTRACTS
from pipelines.lib import admin_divisions
from pipelines.lib.alerts import CAP_NAMESPACE
from pipelines.lib.city_profile import CityProfile, load_city_profile
from tests.conftest import OTHER_CITY, OTHER_SEED

NS = {"cap": CAP_NAMESPACE}


@pytest.fixture(scope="module")
def profile(other_built_city: Path) -> CityProfile:
    return load_city_profile(other_built_city / "city.yaml")


@pytest.fixture
def analytics(other_built_city: Path):
    connection = duckdb.connect(str(other_built_city / "analytics.duckdb"), read_only=True)
    yield connection
    connection.close()


def test_the_generated_profile_is_the_city_s_and_the_run_says_so(other_built_city, profile):
    assert (profile.code, profile.name, profile.short_name) == (OTHER_CITY, "温州市", "温州")
    manifest = json.loads((other_built_city / "ground_truth/manifest.json").read_text("utf-8"))
    assert (manifest["city_code"], manifest["seed"]) == (OTHER_CITY, OTHER_SEED)
    first_line = (other_built_city.parent / "safecity-run.out").read_text("utf-8").splitlines()[0]
    assert f"city 温州市 ({OTHER_CITY}, Asia/Shanghai) from {other_built_city / 'city.yaml'}" in (
        first_line
    )


def test_the_quickstart_steps_say_what_they_did_in_a_few_lines(other_built_city):
    """`safecity generate`: a line per department and a total, not one per feed or file;
    `safecity run`: milestones, every landing check passed, the details in its log."""
    # The sample city delivers every feed of the contracts.
    feeds, files = len(FEED_CONTRACTS), len(list((other_built_city / "landing").glob("*/*/*")))
    generated = (other_built_city.parent / "safecity-generate.out").read_text("utf-8")
    traffic = sum(1 for department, _ in FEED_CONTRACTS if department == "traffic_police")
    assert re.search(rf"\ntraffic_police +{traffic} +[\d,]+\n", generated)
    assert re.search(rf"\ntotal +{feeds} +[\d,]+\n", generated)
    assert f": {files:,} delivery files under" in generated
    # A header, a line per department, the total, what was generated and the next step.
    assert len(generated.splitlines()) == len(DEPARTMENTS) + 4, generated
    assert (other_built_city / "ground_truth" / "manifest.json").exists()

    run = (other_built_city.parent / "safecity-run.out").read_text("utf-8")
    assert f"] landing: {files:,} delivery files of {feeds} feeds" in run
    assert "safecity run succeeded" in run
    named = re.search(r"\(log: (\S+)\)", run.splitlines()[0])
    assert named, run
    log = Path(named[1]).read_text(encoding="utf-8")
    for check in (
        "every_feed_delivered_daily",
        "no_unknown_landing_files",
        "deliveries_in_window",
        "contracts_valid",
    ):
        assert f"  landing_inventory:{check}  passed" in log


def test_no_valid_row_is_quarantined_as_outside_the_city(other_built_city):
    truth = pl.read_parquet(other_built_city / "ground_truth/records/*/*/*.parquet")
    quarantined = pl.read_parquet(
        other_built_city / "lake/quarantine/*/*/date=*/part-0.parquet",
        columns=["_source_file", "_source_row", "rule"],
    ).rename({"_source_file": "file", "_source_row": "row_number"})
    joined = truth.join(quarantined, on=["file", "row_number"], how="full", coalesce=True)
    outside = joined.filter(
        (pl.col("rule") == "coordinates_outside_city")
        | (pl.col("invalid_rule") == "coordinates_outside_city")
    )
    assert outside.height > 0  # planted, so the rule is exercised on this city too
    assert (outside["rule"] == outside["invalid_rule"]).all(), outside
    # And every other rule as planted: no valid row of this city is quarantined at all.
    assert joined.filter(pl.col("invalid_rule").is_null())["rule"].null_count() == (
        joined.filter(pl.col("invalid_rule").is_null()).height
    )


def test_the_warehouse_is_the_city_s(analytics, profile):
    counties = set(admin_divisions.city_counties(OTHER_CITY)["code"])
    in_city = analytics.sql(
        "select level, list(division_code) from dim_admin_division where in_city group by level"
    ).fetchall()
    by_level = {level: set(codes) for level, codes in in_city}
    assert by_level["city"] == {OTHER_CITY}
    assert by_level["county"] == counties
    assert {code[:6] for code in by_level["grid"]} <= counties
    places = analytics.sql(
        "select place_key, county_code, township_code, longitude, latitude, standard_address,"
        " grid_cell_id from dim_place"
    ).pl()
    assert set(places["county_code"]) <= counties
    assert places["township_code"].str.slice(0, 6).is_in(list(counties)).all()
    assert places["grid_cell_id"].null_count() == 0
    box = profile.bounds
    assert places["longitude"].is_between(box.lon_min, box.lon_max).all()
    assert places["latitude"].is_between(box.lat_min, box.lat_max).all()
    # Addresses in the city's and its counties' real names.
    county_names = "|".join(admin_divisions.city_counties(OTHER_CITY)["name"])
    standard = places["standard_address"].str.contains(f"^浙江省温州市({county_names})")
    assert standard.sum() > 0
    # An address no standard form fits is one a 12345 caller gave ("振兴路附近", a number
    # without its county): that place is named by the hotline alone.
    unparsed = places.filter(~standard)["place_key"].to_list()
    feeds = analytics.execute(
        "select distinct source_feed from xref_source_record "
        "where entity_kind = 'place' and list_contains(?, entity_key)",
        [unparsed],
    ).fetchall()
    assert {f for (f,) in feeds} <= {"hotline_reports"}
    # Identity numbers born mostly in the city's counties (their area codes).
    masked = analytics.sql("select id_number_masked from dim_person").pl()["id_number_masked"]
    assert (masked.drop_nulls().str.slice(0, 4) == OTHER_CITY).mean() > 0.5


def test_alerts_are_sent_by_the_city(other_built_city):
    alerts = sorted((other_built_city / "alerts").glob("*.xml"))
    assert alerts, "the tiny city plants high-risk enterprises: there are warnings"
    for path in alerts:
        root = etree.parse(str(path)).getroot()
        assert root.findtext("cap:sender", namespaces=NS) == f"safecity@{OTHER_CITY}"
        assert "温州市" in root.findtext("cap:info/cap:senderName", namespaces=NS)
        assert root.findtext("cap:sent", namespaces=NS).endswith("+08:00")


def test_extracts_hold_the_city_s_places_and_months(other_built_city, profile):
    extract = other_built_city / "extracts" / "emergency_management"
    places = pl.read_parquet(extract / "dim_place" / "*.parquet")
    assert places["county_code"].str.starts_with(OTHER_CITY).all()
    box = profile.bounds
    assert places["longitude"].is_between(box.lon_min, box.lon_max).all()
    divisions = pl.read_parquet(extract / "dim_admin_division" / "*.parquet")
    assert set(divisions.filter(pl.col("in_city") & (pl.col("level") == "city"))["name"]) == {
        "温州市"
    }
    months = {p.name for p in (extract / "fct_event").iterdir() if p.is_dir()}
    assert months and all(m.startswith("month=2026-") for m in months)
