"""Every code and coordinate in the feeds is valid exactly when the ground truth says it should be."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from pipelines.lib import admin_divisions
from pipelines.lib.standards.coordinates import bd09_to_wgs84, gcj02_to_wgs84, haversine_m
from pipelines.lib.standards.identifiers import is_valid_identity_number, is_valid_uscc
from pipelines.sample_city.city_map import city_map
from pipelines.sample_city.geography import random_places

IDENTITY_COLUMNS = [
    ("emergency_management", "enterprises", "legal_rep_id_no"),
    ("emergency_management", "work_accidents", "victim_id_no"),
]
USCC_COLUMNS = [
    ("market_regulation", "food_business_licences", "社会信用代码"),
    ("fire_rescue", "fire_inspections", "统一社会信用代码"),
    ("emergency_management", "enterprises", "uscc"),
    ("emergency_management", "hazard_sources", "uscc"),
    ("emergency_management", "hidden_hazards", "uscc"),
    ("emergency_management", "work_accidents", "uscc"),
    ("ecology_environment", "pollution_sources", "USCC"),
]
COUNTY_COLUMNS = [
    ("market_regulation", "food_business_licences", "区划代码"),
    ("market_regulation", "food_inspections", "区划代码"),
    ("traffic_police", "traffic_accidents", "districtCode"),
    ("fire_rescue", "fire_incidents", "行政区划"),
    ("fire_rescue", "fire_inspections", "行政区划"),
    ("emergency_management", "enterprises", "county_code"),
    ("emergency_management", "hazard_sources", "county_code"),
    ("emergency_management", "hidden_hazards", "county_code"),
    ("emergency_management", "work_accidents", "county_code"),
    ("ecology_environment", "monitoring_stations", "COUNTY_CODE"),
    ("ecology_environment", "pollution_sources", "COUNTY_CODE"),
]
TOWNSHIP_COLUMNS = [
    ("emergency_management", "enterprises", "township_code"),
    ("emergency_management", "work_accidents", "township_code"),
    ("ecology_environment", "monitoring_stations", "TOWNSHIP_CODE"),
]
COORDINATES = [  # department, feed, lon, lat, system, how the row reaches its true place
    ("traffic_police", "traffic_accidents", "lng", "lat", "GCJ02", "place"),
    ("traffic_police", "traffic_flow", "LNG", "LAT", "GCJ02", "object"),
    ("fire_rescue", "fire_incidents", "经度", "纬度", "BD09", "place"),
    ("fire_rescue", "fire_inspections", "经度", "纬度", "BD09", "place"),
    ("emergency_management", "enterprises", "longitude", "latitude", "WGS84", "place"),
    ("emergency_management", "hazard_sources", "longitude", "latitude", "WGS84", "place"),
    ("emergency_management", "work_accidents", "longitude", "latitude", "WGS84", "place"),
    ("ecology_environment", "monitoring_stations", "LON", "LAT", "WGS84", "place"),
    ("ecology_environment", "pollution_sources", "LON", "LAT", "WGS84", "place"),
]


def split_by_rule(frame: pl.DataFrame, column: str, rule: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows planted to break `rule` in `column`, and all other rows where the column has a value."""
    present = frame.filter(pl.col(column).is_not_null() & (pl.col(column) != ""))
    planted = (pl.col("invalid_rule") == rule) & (pl.col("invalid_column") == column)
    return present.filter(planted), present.filter(~planted.fill_null(False))


def driver_identities(city) -> pl.DataFrame:
    """Accident drivers' identity numbers, one row per vehicle, with the accident row's truth."""
    accidents = city.with_truth("traffic_police", "traffic_accidents")
    slots = accidents.select(
        "file", "row_number", "invalid_rule", "invalid_column", "vehicles"
    ).explode("vehicles")
    slots = slots.with_columns(
        slot=pl.int_range(1, pl.len() + 1).over("file", "row_number"),
        id_number=pl.col("vehicles").struct.field("driver").struct.field("idNo"),
    )
    # Only the first driver's number is ever corrupted; the others stay valid.
    return slots.with_columns(
        invalid_rule=pl.when(pl.col("slot") == 1).then("invalid_rule"),
        invalid_column=pl.when(pl.col("invalid_column") == "v1_driverIdNo").then(
            pl.lit("driver_id")
        ),
    )


@pytest.mark.parametrize("department,feed,column", IDENTITY_COLUMNS)
def test_identity_numbers_valid_unless_planted_invalid(city, department, feed, column):
    frame = city.with_truth(department, feed)
    planted, rest = split_by_rule(frame, column, "identity_number_check")
    assert rest.height > 0
    assert is_valid_identity_number(rest[column].to_numpy()).all()
    assert not is_valid_identity_number(planted[column].to_numpy()).any()


def test_driver_identity_numbers_valid_unless_planted_invalid(city):
    drivers = driver_identities(city).rename({"id_number": "driver_id"})
    planted, rest = split_by_rule(drivers, "driver_id", "identity_number_check")
    assert rest.height > 50
    assert is_valid_identity_number(rest["driver_id"].to_numpy()).all()
    assert not is_valid_identity_number(planted["driver_id"].to_numpy()).any()


@pytest.mark.parametrize("department,feed,column", USCC_COLUMNS)
def test_credit_codes_valid_unless_planted_invalid(city, department, feed, column):
    frame = city.with_truth(department, feed)
    planted, rest = split_by_rule(frame, column, "uscc_check")
    assert rest.height > 0
    assert is_valid_uscc(rest[column].to_numpy()).all()
    assert not is_valid_uscc(planted[column].to_numpy()).any()


def test_each_invalid_rule_is_planted_somewhere_in_the_city(city):
    rules = set(city.records().filter(pl.col("invalid_rule").is_not_null())["invalid_rule"])
    assert {
        "identity_number_check",
        "uscc_check",
        "admin_code_unknown",
        "coordinates_outside_city",
        "date_in_future",
        "duplicate_key",
    } <= rules


def test_masked_identity_numbers_in_market_regulation_full_elsewhere(city):
    licences = city.feed("market_regulation", "food_business_licences")["身份证号码"]
    assert licences.str.contains(r"^\d{6}\*{8}\d{3}[\dX]$").all()
    enterprises = city.with_truth("emergency_management", "enterprises").filter(
        pl.col("invalid_rule").is_null()
    )
    assert is_valid_identity_number(enterprises["legal_rep_id_no"].to_numpy()).all()


def test_an_address_is_one_place_as_in_a_real_city():
    towns = pl.DataFrame(
        {
            "township_code": ["510104001"],
            "township_name": ["春熙路街道"],
            "county_code": ["510104"],
            "county_name": ["锦江区"],
            "centre_lon": [104.08],
            "centre_lat": [30.65],
            "weight": [1.0],
        }
    )
    roads = pl.DataFrame(
        {
            "county_code": ["510104"] * 24,
            "road_index": list(range(24)),
            "road": [f"路{i}" for i in range(24)],
        }
    )
    taken: dict = {}
    chengdu = city_map("5101", None, date(2026, 10, 1))
    first = random_places(np.random.default_rng(1), towns, roads, 3_000, "PA", taken, chengdu)
    second = random_places(np.random.default_rng(2), towns, roads, 3_000, "PB", taken, chengdu)
    both = pl.concat([first, second])
    # 6,000 places on 24 roads: drawn numbers (1-399) collide by the thousand, addresses never.
    assert both.select("county_code", "road", "house_number").n_unique() == 6_000
    assert both["house_number"].max() > 399


def test_every_place_of_the_city_has_its_own_address(city):
    places = city.table("places")
    assert places.select("county_code", "road", "house_number").n_unique() == places.height


@pytest.mark.parametrize("department,feed,column", COUNTY_COLUMNS + TOWNSHIP_COLUMNS)
def test_admin_codes_exist_in_the_reference_unless_planted_unknown(city, department, feed, column):
    known = set(admin_divisions.counties()["code"]) | set(admin_divisions.townships()["code"])
    code = city.profile.code
    own = set(admin_divisions.city_counties(code)["code"]) | set(
        admin_divisions.city_townships(code)["code"]
    )
    frame = city.with_truth(department, feed)
    planted, rest = split_by_rule(frame, column, "admin_code_unknown")
    assert rest.height > 0
    assert set(rest[column]) <= own
    assert not set(planted[column]) & known


def true_points(city, department: str, feed: str, via: str) -> pl.DataFrame:
    """Each delivered row's true WGS-84 point, from its linked place (or its object's place)."""
    places = city.table("places").select("place_id", "lon", "lat")
    links = city.links(department, feed).filter(pl.col("entity_kind") == via)
    if via == "object":
        objects = city.table("objects").select(pl.col("object_id").alias("entity_id"), "place_id")
        links = (
            links.join(objects, on="entity_id").drop("entity_id").rename({"place_id": "entity_id"})
        )
    return (
        links.unique(["file", "row_number"], keep="first")
        .join(places.rename({"place_id": "entity_id"}), on="entity_id")
        .select(
            "file", "row_number", pl.col("lon").alias("true_lon"), pl.col("lat").alias("true_lat")
        )
    )


@pytest.mark.parametrize("department,feed,lon,lat,system,via", COORDINATES)
def test_coordinates_convert_back_to_the_true_point_within_a_metre(
    city, department, feed, lon, lat, system, via
):
    frame = city.with_truth(department, feed).filter(
        pl.col("invalid_rule").fill_null("") != "coordinates_outside_city"
    )
    frame = frame.join(
        true_points(city, department, feed, via), on=["file", "row_number"], how="inner"
    )
    assert frame.height > 0
    x = frame[lon].cast(pl.Float64).to_numpy()
    y = frame[lat].cast(pl.Float64).to_numpy()
    convert = {"GCJ02": gcj02_to_wgs84, "BD09": bd09_to_wgs84, "WGS84": lambda a, b: (a, b)}[system]
    wgs_lon, wgs_lat = convert(x, y)
    error = haversine_m(
        wgs_lon, wgs_lat, frame["true_lon"].to_numpy(), frame["true_lat"].to_numpy()
    )
    assert error.max() < 1.0
    if (
        system != "WGS84"
    ):  # the delivered values really are in the other system: hundreds of metres off
        raw_offset = haversine_m(x, y, frame["true_lon"].to_numpy(), frame["true_lat"].to_numpy())
        assert np.median(raw_offset) > 100


def test_coordinates_planted_outside_the_city_are_outside(city):
    frame = city.with_truth("emergency_management", "enterprises")
    planted = frame.filter(pl.col("invalid_rule") == "coordinates_outside_city")
    assert planted.height > 0
    for row in planted.select(
        pl.col("longitude").cast(pl.Float64), pl.col("latitude").cast(pl.Float64)
    ).iter_rows():
        assert not city.profile.bounds.contains(*row)
