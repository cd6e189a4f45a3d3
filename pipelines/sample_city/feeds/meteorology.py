"""Meteorology: weather warnings by county, and hourly station observations.

Warnings come as JSON lines from the bureau's warning-release system (times as
yyyymmddHHMMSS, local). Observations come as the national data service exports them:
CSV with CIMISS element names (Station_Id_C, PRE_1h, TEM, WIN_S_Avg_2mi...), the time as
Year, Mon, Day, Hour columns in UTC, and 999999 for a missing element.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import numpy as np
import polars as pl

from pipelines.sample_city import corruptions as broken
from pipelines.sample_city.delivery import DAY, KEEP_VALID, Batch, DateStyle, FeedSpec
from pipelines.sample_city.feeds.common import Context, batch, links, start_rows
from pipelines.sample_city.hazards import rainstorm_colour, site_view

DEPARTMENT = "meteorology"
WARNING_TIMES = DateStyle("%Y%m%d%H%M%S", ["%Y-%m-%d %H:%M"])
MISSING_ELEMENT = "999999"
# Other warnings the bureau issues, with the colours each comes in.
SIGNAL_CODES = {"暴雨": "11B03", "大风": "11B06", "雷电": "11B14", "大雾": "11B17"}
OTHER_WARNINGS = [
    ("大风", ["蓝色", "黄色"]),
    ("雷电", ["黄色", "橙色"]),
    ("大雾", ["黄色", "橙色"]),
]

WARNINGS = FeedSpec(
    DEPARTMENT,
    "weather_warnings",
    "jsonl",
    key="alertId",
    dates={"issueTime": WARNING_TIMES, "relieveTime": WARNING_TIMES},
    corruptions=[
        broken.unknown_admin_code("adcode"),
        broken.not_in_enumeration("signalLevel", ["紫色", "红"]),
        broken.earlier_than("lifted_after_issued", "relieveTime", "issueTime"),
        broken.required_missing("signalType"),
    ],
    drift_renames={"issueContent": "content"},
    drift_added_column="province",
)
OBSERVATIONS = FeedSpec(
    DEPARTMENT,
    "weather_observations",
    "csv",
    key=("Station_Id_C", "Year", "Mon", "Day", "Hour"),
    corruptions=[
        broken.negative("PRE_1h"),
        broken.calendar_invalid("Hour", 24, 30),
        broken.outside_city("Lon", "Lat"),
        broken.required_missing("Station_Id_C"),
    ],
    drift_renames={"TEM": "TEM_C", "WIN_S_Avg_2mi": "WIN_S_2mi"},
    drift_added_column="RHU",
)

SPECS = [WARNINGS, OBSERVATIONS]


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    yield WARNINGS, warnings(ctx)
    yield OBSERVATIONS, observations(ctx)


def warnings(ctx: Context) -> Batch:
    """A rainstorm warning per storm and county (its colour from the storm's rain), and a few others."""
    rng = ctx.rng_for("weather_warnings")
    storms = ctx.world.storms
    counties = (
        ctx.world.towns.select("county_code", "county_name")
        .unique("county_code", maintain_order=True)
        .sort("county_code")
    )
    start = np.datetime64(ctx.days[0], "h")
    rows = []
    for storm in storms.storms.iter_rows(named=True):
        colour = rainstorm_colour(storm["rain_mm"])
        if colour is None:
            continue
        issued = start + np.timedelta64(max(storm["start_hour"] - int(rng.integers(1, 4)), 0), "h")
        lifted = start + np.timedelta64(
            storm["start_hour"] + storm["hours"] + int(rng.integers(1, 5)), "h"
        )
        rows.append(
            (
                storm["county_code"],
                "暴雨",
                colour,
                _py(issued),
                _py(lifted),
                storm["rain_mm"],
                storm["planted"],
            )
        )
    hours = len(ctx.days) * 24
    # Gales, thunder and fog somewhere in the city most days: a few warnings a day.
    for _ in range(len(ctx.days) * max(5, counties.height // 3)):
        kind, colours = OTHER_WARNINGS[rng.integers(0, len(OTHER_WARNINGS))]
        county = counties["county_code"][int(rng.integers(0, counties.height))]
        issued = start + np.timedelta64(int(rng.integers(0, hours - 6)), "h")
        lifted = issued + np.timedelta64(int(rng.integers(3, 30)), "h")
        colour = colours[rng.integers(0, len(colours))]
        rows.append((county, kind, colour, _py(issued), _py(lifted), None, False))
    frame = pl.DataFrame(
        rows,
        schema={
            "adcode": pl.String,
            "signalType": pl.String,
            "signalLevel": pl.String,
            "issueTime": pl.Datetime("us"),
            "relieveTime": pl.Datetime("us"),
            "_rain": pl.Float64,
            KEEP_VALID: pl.Boolean,
        },
        orient="row",
    ).sort("issueTime", "adcode", "signalType", maintain_order=True)
    # Issued at night, delivered in the morning; lifted later than the window's end: still in force.
    last = np.datetime64(ctx.last_day, "h") + np.timedelta64(23, "h")
    in_force = frame["relieveTime"].to_numpy() > last
    frame = (
        frame.with_columns(
            # The national warning identifier: county, issue time, the signal's code.
            alertId=pl.col("adcode")
            + pl.lit("_")
            + pl.col("issueTime").dt.strftime("%Y%m%d%H%M%S")
            + pl.lit("_")
            + pl.col("signalType").replace_strict(SIGNAL_CODES),
            relieveTime=pl.when(pl.Series(in_force)).then(None).otherwise(pl.col("relieveTime")),
        )
        .unique("alertId", keep="first", maintain_order=True)
        .join(counties, left_on="adcode", right_on="county_code", how="left", maintain_order="left")
    )
    frame = frame.with_columns(
        areaName=pl.col("county_name"),
        headline=pl.col("county_name")
        + "气象台发布"
        + pl.col("signalType")
        + pl.col("signalLevel")
        + "预警信号",
        issueContent=pl.when(pl.col("signalType") == "暴雨")
        .then(
            pl.lit("预计未来12小时内将出现")
            + pl.col("_rain").round(0).cast(pl.Int64).cast(pl.String)
            + pl.lit("毫米以上降水，请注意防范城市内涝、山洪及地质灾害。")
        )
        .otherwise(pl.lit("请注意防范。")),
        publisher=pl.col("county_name") + "气象台",
    ).with_columns(pl.col("issueTime").dt.date().alias(DAY))
    rows_out = start_rows(
        frame.select(
            "alertId",
            "adcode",
            "areaName",
            "signalType",
            "signalLevel",
            "headline",
            "issueContent",
            "issueTime",
            "relieveTime",
            "publisher",
            DAY,
            "_rain",
            KEEP_VALID,
        )
    )
    result = batch(rows_out, drop=["_rain"])
    result.truth_tables["weather_warnings"] = rows_out.select(
        "alertId",
        pl.col("adcode").alias("county_code"),
        "signalType",
        "signalLevel",
        "issueTime",
        "relieveTime",
    )
    return result


def _py(moment: np.datetime64) -> datetime:
    value = moment.astype("datetime64[us]").item()
    assert isinstance(value, datetime)
    return value


def observations(ctx: Context) -> Batch:
    """Every station's hour: its county's rain (a little more or less), wind, temperature."""
    rng = ctx.rng_for("weather_observations")
    world = ctx.world
    sites = site_view(world.objects, world.places.drop("county_code"), "weather_station").join(
        world.places.select("place_id", "county_code"), on="place_id"
    )
    storms = world.storms
    s, hours = sites.height, storms.hourly.shape[1]
    county_rows = np.array([storms.row(code) for code in sites["county_code"]])
    rain = storms.hourly[county_rows] * rng.lognormal(0, 0.15, (s, 1))
    rain = np.round(rain, 1)
    diurnal = np.tile(np.cos((np.arange(24) - 15) / 24 * 2 * np.pi), hours // 24)
    temperature = np.round(
        17 + 5 * diurnal[None, :] - 0.02 * rain + rng.normal(0, 0.8, (s, hours)), 1
    )
    wind = np.round(np.clip(rng.gamma(2, 0.9, (s, hours)) + 0.05 * rain, 0, None), 1)
    direction = rng.integers(0, 360, (s, hours))
    local = (np.datetime64(ctx.days[0], "h") + np.arange(hours) * np.timedelta64(1, "h")).astype(
        "datetime64[us]"
    )
    utc = (
        pl.Series(local)
        .dt.replace_time_zone(ctx.config.city.profile.timezone)
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
    )
    # A sensor now and then reports nothing for an element: 999999, as the data service writes it.
    lost = rng.random((s, hours)) < 0.01
    rows = pl.DataFrame(
        {
            "Station_Id_C": np.repeat(sites["code"].to_numpy(), hours),
            "Station_Name": np.repeat(sites["name"].to_numpy(), hours),
            "Admin_Code_CHN": np.repeat(sites["county_code"].to_numpy(), hours),
            "Lat": np.repeat(np.round(sites["lat"].to_numpy(), 4), hours),
            "Lon": np.repeat(np.round(sites["lon"].to_numpy(), 4), hours),
            "Year": np.tile(utc.dt.year().to_numpy(), s),
            "Mon": np.tile(utc.dt.month().to_numpy(), s),
            "Day": np.tile(utc.dt.day().to_numpy(), s),
            "Hour": np.tile(utc.dt.hour().to_numpy(), s),
            "PRE_1h": rain.ravel(),
            "TEM": pl.Series(temperature.ravel()).cast(pl.String),
            "WIN_S_Avg_2mi": wind.ravel(),
            "WIN_D_Avg_2mi": direction.ravel(),
            DAY: np.tile(np.repeat(np.array(ctx.days, dtype="datetime64[D]"), 24), s),
            "object_id": np.repeat(sites["object_id"].to_numpy(), hours),
            "place_id": np.repeat(sites["place_id"].to_numpy(), hours),
        }
    ).with_columns(
        pl.col(DAY).cast(pl.Date),
        pl.when(pl.Series(lost.ravel()))
        .then(pl.lit(MISSING_ELEMENT))
        .otherwise("TEM")
        .alias("TEM"),
    )
    rows = start_rows(rows, missing_element=lost.ravel())
    result = batch(
        rows,
        links(rows, "object", "object_id", "weather_station"),
        links(rows, "place", "place_id", "weather_station_site"),
        drop=["object_id", "place_id"],
    )
    daily = (
        rows.group_by("Station_Id_C", DAY)
        .agg(pl.col("PRE_1h").sum().round(1).alias("rain_mm"))
        .rename({"Station_Id_C": "station_code", DAY: "day"})
        .sort("station_code", "day")
    )
    result.truth_tables["station_daily_rain"] = daily
    return result
