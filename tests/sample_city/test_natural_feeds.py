"""The natural-hazard departments' feeds: meteorology, water, natural resources.

Each in its department's own format, with the silo noise of the other feeds, and with the
storms behind them in ground truth: the planted red rainstorm shows in every department that
would see it (a warning, rain at the stations, a river over its warning level beside a
chemical plant, a slope failing, a car in a flooded underpass).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl
import pytest

from pipelines.lib.standards.coordinates import gcj02_to_wgs84, haversine_m
from pipelines.sample_city.hazards import PLANTED_STORM_DAY, UNDERPASS_TYPES

FEEDS = {
    ("meteorology", "weather_warnings"): ".jsonl",
    ("meteorology", "weather_observations"): ".csv",
    ("water", "water_levels"): ".csv",
    ("water", "waterlogging_points"): ".xlsx",
    ("natural_resources", "geohazard_points"): ".csv",
    ("natural_resources", "geohazard_incidents"): ".csv",
}


def delivered(city, department: str, feed: str) -> pl.DataFrame:
    """Every delivered row of a feed (a quiet day's JSON lines file is empty)."""
    return pl.concat(
        [city.read(p) for p in city.files(department, feed) if p.stat().st_size],
        how="diagonal_relaxed",
    )


@pytest.fixture(scope="module")
def planted(city):
    """The planted storm: its day and counties."""
    storms = city.table("storms").filter(pl.col("planted"))
    day = city.profile.first_delivery_day + timedelta(days=PLANTED_STORM_DAY)
    return day, set(storms["county_code"])


@pytest.mark.parametrize(("department", "feed"), FEEDS)
def test_every_feed_is_delivered_daily_in_its_format(city, department, feed):
    files = city.files(department, feed)
    assert len(files) == city.manifest["scale"]["days"]
    assert {f.suffix for f in files} == {FEEDS[(department, feed)]}
    assert city.manifest["rows"][f"{department}/{feed}"] > 0


def test_each_department_writes_its_own_way(city):
    # Natural resources exports GB 18030: its Chinese headers are no UTF-8.
    points = city.files("natural_resources", "geohazard_points")[0].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        points.decode("utf-8")
    assert points.decode("gb18030").startswith("统一编号,")
    # Water's hydrological system writes UTF-8 with a byte-order mark; its register is a workbook.
    assert city.files("water", "water_levels")[0].read_bytes().startswith(b"\xef\xbb\xbf")
    import fastexcel

    book = fastexcel.read_excel(city.files("water", "waterlogging_points")[0])
    assert book.sheet_names == ["易涝点台账"]
    # The weather service's CIMISS element names, its 999999 for an element not reported.
    observations = city.feed("meteorology", "weather_observations")
    assert {"Station_Id_C", "Year", "Mon", "Day", "Hour", "PRE_1h", "TEM"} <= set(
        observations.columns
    )
    assert (observations["TEM"] == "999999").sum() > 0
    # Warnings' times as yyyymmddHHMMSS; incidents' the Chinese way.
    warnings = delivered(city, "meteorology", "weather_warnings")
    assert warnings["issueTime"].str.contains(r"^\d{14}$").mean() > 0.8
    incidents = city.feed("natural_resources", "geohazard_incidents")
    assert incidents["发生时间"].str.contains(r"^\d{4}年\d{2}月\d{2}日\d{2}时\d{2}分$").mean() > 0.8


def test_observation_hours_are_utc_and_the_file_is_the_city_s_day(city):
    """The data service writes UTC hours; a day's file holds that local day's 24 hours."""
    rows = city.with_truth("meteorology", "weather_observations").filter(
        pl.col("invalid_rule").is_null()
    )
    utc = pl.datetime(
        pl.col("Year").cast(pl.Int32),
        pl.col("Mon").cast(pl.Int32),
        pl.col("Day").cast(pl.Int32),
        pl.col("Hour").cast(pl.Int32),
        time_zone="UTC",
    )
    local_day = rows.select(
        utc.dt.convert_time_zone(city.profile.timezone).dt.date().alias("local"),
        pl.col("delivery_date"),
    )
    assert (local_day["local"] == local_day["delivery_date"]).all()
    # and UTC is not the local day for the first hours (the city is east of Greenwich)
    assert (rows["Day"].cast(pl.Int32) != rows["delivery_date"].dt.day()).sum() > 0


def test_gauge_points_are_lat_lon_gcj02_of_the_true_place(city):
    rows = city.with_truth("water", "water_levels").filter(pl.col("invalid_rule").is_null())
    links = city.links("water", "water_levels").filter(pl.col("role") == "gauge_site")
    places = city.table("places").select("place_id", "lon", "lat")
    joined = rows.join(links, on=["file", "row_number"]).join(
        places, left_on="entity_id", right_on="place_id"
    )
    lat_lon = joined["坐标"].str.split_exact(",", 1).struct.unnest()
    lon, lat = gcj02_to_wgs84(
        lat_lon["field_1"].cast(pl.Float64).to_numpy(),
        lat_lon["field_0"].cast(pl.Float64).to_numpy(),
    )
    error = haversine_m(lon, lat, joined["lon"].to_numpy(), joined["lat"].to_numpy())
    assert joined.height > 100 and np.max(error) < 1.0


def test_levels_respect_their_warning_and_guaranteed_levels_except_planted_swaps(city):
    rows = city.with_truth("water", "water_levels")
    warning = rows["警戒水位(m)"].cast(pl.Float64)
    guaranteed = rows["保证水位(m)"].cast(pl.Float64)
    broken = rows.filter((guaranteed < warning).fill_null(False))
    assert broken.height > 0
    assert set(broken["invalid_rule"]) == {"guaranteed_not_below_warning"}


def test_the_planted_red_rainstorm_shows_in_every_department(city, planted):
    day, counties = planted
    assert len(counties) >= 1
    warnings = delivered(city, "meteorology", "weather_warnings")
    red = warnings.filter((pl.col("signalType") == "暴雨") & (pl.col("signalLevel") == "红色"))
    assert counties <= set(red["adcode"])
    # Stations of those counties record a rainstorm day (50 mm or more) that day.
    daily = city.table("station_daily_rain").filter(pl.col("day") == day)
    stations = city.table("hazard_sites").filter(pl.col("kind") == "weather_station")
    places = city.table("places").select("place_id", "county_code")
    wet = (
        daily.join(stations, left_on="station_code", right_on="code")
        .join(places, on="place_id")
        .filter(pl.col("rain_mm") >= 50)
    )
    assert counties <= set(wet["county_code"])
    # The gauge beside the first high-risk chemical plant goes over its warning level.
    gauge = (
        city.table("hazard_sites")
        .filter(pl.col("kind") == "hydrological_station")
        .row(0, named=True)
    )
    over = city.table("water_level_exceedances").filter(pl.col("station_code") == gauge["code"])
    assert day in set(over["day"])
    plant = (
        city.table("organisations")
        .filter(pl.col("high_risk") & (pl.col("kind") == "chemical"))
        .join(city.table("places"), on="place_id", maintain_order="left")
        .row(0, named=True)
    )
    gauge_place = (
        city.table("places").filter(pl.col("place_id") == gauge["place_id"]).row(0, named=True)
    )
    distance = haversine_m(
        np.array([plant["lon"]]),
        np.array([plant["lat"]]),
        np.array([gauge_place["lon"]]),
        np.array([gauge_place["lat"]]),
    )
    assert distance[0] < 3000
    # The first geological-hazard point fails the day after.
    point = (
        city.table("hazard_sites").filter(pl.col("kind") == "geohazard_point").row(0, named=True)
    )
    incidents = city.table("geohazard_incidents").filter(pl.col("point_code") == point["code"])
    assert (day + timedelta(days=1)) in set(incidents["occurred_at"].dt.date())
    # A car drives into the first underpass that day.
    underpass = (
        city.table("hazard_sites")
        .filter(
            (pl.col("kind") == "waterlogging_point") & pl.col("point_type").is_in(UNDERPASS_TYPES)
        )
        .row(0, named=True)
    )
    accidents = city.table("underpass_accidents")
    assert (
        accidents.filter(
            (pl.col("place_id") == underpass["place_id"]) & (pl.col("day") == day)
        ).height
        == 1
    )


def test_slopes_fail_mostly_after_rainstorms(city):
    incidents = city.table("geohazard_incidents")
    assert incidents.height > 0
    assert incidents["after_rainstorm"].mean() > 0.5
    # Some incidents happen where no point was registered: their point code is empty.
    assert incidents["point_code"].null_count() < incidents.height


def test_registers_carry_the_silo_noise_and_planted_rules(city):
    records = pl.concat(
        [city.records(department, feed) for department, feed in FEEDS], how="diagonal_relaxed"
    )
    rules = set(records["invalid_rule"].drop_nulls())
    assert {
        "lifted_after_issued",
        "guaranteed_not_below_warning",
        "derived_invalid",
        "coordinates_outside_city",
        "admin_code_unknown",
        "duplicate_key",
    } <= rules
    noise = set(records["noise"].explode().drop_nulls())
    assert {"address_variant", "mixed_date_format", "missing_element"} <= noise


def test_natural_hazard_truth_is_deterministic(city, tmp_path):
    from pipelines.sample_city.generate import generate_city

    again = tmp_path / "again"
    generate_city(again, scale="tiny", seed=city.manifest["seed"], city=city.profile.code)
    for name in ("storms", "hazard_sites", "geohazard_incidents", "underpass_accidents"):
        assert pl.read_parquet(again / "ground_truth" / f"{name}.parquet").equals(city.table(name))
