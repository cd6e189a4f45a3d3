"""Ecology and environment: monitoring stations, hourly air quality, pollution sources, exceedances.

UTF-8 CSV with upper-case English headers, WGS-84; discharge permits carry the
holder's credit code (permit = USCC + serial + management class).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import polars as pl

from pipelines.sample_city import corruptions as broken
from pipelines.sample_city.delivery import DAY, Batch, DateStyle, FeedSpec
from pipelines.sample_city.feeds.common import (
    Context,
    batch,
    links,
    messy_addresses,
    messy_names,
    missing,
    org_view,
    registry_days,
    schedule,
    sequence_ids,
    start_rows,
)
from pipelines.sample_city.vocabulary import POLLUTANTS

DEPARTMENT = "ecology_environment"
EE_TIMES = DateStyle("%Y-%m-%d %H:%M:%S", ["%Y/%-m/%-d %-H:%M"])
EE_DATES = DateStyle("%Y-%m-%d", ["%Y/%-m/%-d"])

STATIONS = FeedSpec(
    DEPARTMENT,
    "monitoring_stations",
    "csv",
    key="STATION_CODE",
    dates={"START_DATE": EE_DATES},
    corruptions=[broken.outside_city("LON", "LAT"), broken.unknown_admin_code("TOWNSHIP_CODE")],
    drift_renames={"STATION_NAME": "NAME"},
    drift_added_column="REMARK",
)
AIR = FeedSpec(
    DEPARTMENT,
    "air_quality_hourly",
    "csv",
    key=("STATION_CODE", "MONITOR_TIME"),
    dates={"MONITOR_TIME": EE_TIMES},
    corruptions=[
        broken.negative("PM25"),
        broken.future_date("MONITOR_TIME"),
        broken.required_missing("STATION_CODE"),
    ],
    drift_renames={"PM25": "PM2_5", "O3": "O3_1H"},
    drift_added_column="AQI_FLAG",
)
SOURCES = FeedSpec(
    DEPARTMENT,
    "pollution_sources",
    "csv",
    key="PERMIT_NO",
    dates={"VALID_FROM": EE_DATES, "VALID_TO": EE_DATES},
    corruptions=[
        broken.uscc_check("USCC"),
        broken.pattern_mismatch("PERMIT_NO"),
        broken.outside_city("LON", "LAT"),
        broken.unknown_admin_code("COUNTY_CODE"),
    ],
    drift_renames={"UNIT_NAME": "COMPANY_NAME"},
    drift_added_column="REMARK",
)
EXCEEDANCES = FeedSpec(
    DEPARTMENT,
    "emission_exceedances",
    "csv",
    key="RECORD_ID",
    dates={"MONITOR_TIME": EE_TIMES},
    corruptions=[
        broken.negative("MEASURED_VALUE"),
        broken.future_date("MONITOR_TIME"),
        broken.pattern_mismatch("PERMIT_NO"),
        broken.required_missing("POLLUTANT"),
    ],
    drift_renames={"MEASURED_VALUE": "VALUE"},
    drift_added_column="REMARK",
)

SPECS = [STATIONS, AIR, SOURCES, EXCEEDANCES]


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    yield STATIONS, stations(ctx)
    yield AIR, air_quality(ctx)
    polluters = polluter_view(ctx)
    yield SOURCES, pollution_sources(ctx, polluters)
    yield EXCEEDANCES, exceedances(ctx, polluters)


def station_view(ctx: Context) -> pl.DataFrame:
    return ctx.world.objects.filter(pl.col("kind") == "monitoring_station").join(
        ctx.world.places, on="place_id", how="left", maintain_order="left"
    )


def stations(ctx: Context) -> Batch:
    rng = ctx.rng_for("monitoring_stations")
    sites = station_view(ctx)
    n = sites.height
    address, address_noise = messy_addresses(sites, rng, ctx, style="full")
    rows = pl.DataFrame(
        {
            "STATION_CODE": sites["code"],
            "STATION_NAME": sites["name"],
            "STATION_TYPE": sites["station_type"],
            "COUNTY_CODE": sites["county_code"],
            "TOWNSHIP_CODE": sites["township_code"],
            "ADDRESS": address,
            "LON": sites["lon"],
            "LAT": sites["lat"],
            "START_DATE": pl.Series(np.datetime64("2012-01-01") + rng.integers(0, 3000, n)).cast(
                pl.Date
            ),
            DAY: pl.Series([ctx.days[0]] * n).cast(pl.Date),
            "object_id": sites["object_id"],
            "place_id": sites["place_id"],
        }
    )
    rows = start_rows(rows, **address_noise)
    return batch(
        rows,
        links(rows, "object", "object_id", "station"),
        links(rows, "place", "place_id", "station_site"),
        drop=["object_id", "place_id"],
    )


def air_quality(ctx: Context) -> Batch:
    """Hourly concentrations: a regional day factor, a diurnal cycle, and planted pollution episodes."""
    rng = ctx.rng_for("air_quality_hourly")
    sites = station_view(ctx)
    s, d = sites.height, len(ctx.days)
    hours = d * 24
    regional = np.repeat(
        np.exp(np.cumsum(rng.normal(0, 0.25, d)) * 0.5), 24
    )  # weather moves the whole city
    diurnal = np.tile(1 + 0.3 * np.cos((np.arange(24) - 20) / 24 * 2 * np.pi), d)
    base = rng.uniform(25, 55, s)[:, None] * regional[None, :] * diurnal[None, :]
    pm25 = base * rng.lognormal(0, 0.15, (s, hours))
    # Episodes: 8 to 14 consecutive hours at heavy pollution (PM2.5 150-240, HJ 633 level 5) at a few stations.
    episodes = max(1, s // 8)
    episode_station = rng.choice(s, episodes, replace=False)
    episode_start = rng.integers(0, max(hours - 14, 1), episodes)
    episode_length = rng.integers(8, 15, episodes)
    for station, start, length in zip(
        episode_station, episode_start, episode_length, strict=True
    ):  # a handful of slices
        pm25[station, start : start + length] = rng.uniform(160, 240, length)
    pm10 = pm25 * rng.uniform(1.3, 1.8, (s, hours))
    so2 = rng.gamma(2, 4, (s, hours))
    no2 = 20 + 25 * diurnal[None, :] * rng.lognormal(0, 0.2, (s, hours))
    co = np.round(0.5 + pm25 / 150 * rng.lognormal(0, 0.1, (s, hours)), 2)
    o3 = np.clip(
        80 * np.tile(np.sin(np.clip((np.arange(24) - 7) / 12 * np.pi, 0, np.pi)), d)[None, :]
        + rng.normal(20, 8, (s, hours)),
        2,
        None,
    )
    time = (np.datetime64(ctx.days[0], "h") + np.arange(hours) * np.timedelta64(1, "h")).astype(
        "datetime64[us]"
    )
    missing_reading = rng.random((s, hours)) < 0.01
    rows = pl.DataFrame(
        {
            "STATION_CODE": np.repeat(sites["code"].to_numpy(), hours),
            "MONITOR_TIME": np.tile(time, s),
            "PM25": np.where(missing_reading, np.nan, np.round(pm25, 1)).ravel(),
            "PM10": np.round(pm10, 1).ravel(),
            "SO2": np.round(so2, 1).ravel(),
            "NO2": np.round(no2, 1).ravel(),
            "CO": co.ravel(),
            "O3": np.round(o3, 1).ravel(),
            DAY: np.tile(np.repeat(np.array(ctx.days, dtype="datetime64[D]"), 24), s),
            "object_id": np.repeat(sites["object_id"].to_numpy(), hours),
        }
    ).with_columns(pl.col("PM25").fill_nan(None), pl.col(DAY).cast(pl.Date))
    episode_log = pl.DataFrame(
        {
            "station_code": sites["code"].to_numpy()[episode_station],
            "start": time[episode_start],
            "hours": episode_length,
        }
    )
    rows = start_rows(rows, missing_reading=missing_reading.ravel())
    result = batch(rows, links(rows, "object", "object_id", "station"), drop=["object_id"])
    result.truth_tables["air_quality_episodes"] = episode_log
    return result


def polluter_view(ctx: Context) -> pl.DataFrame:
    """Discharge-permit holders: most chemical plants, some manufacturers."""
    rng = ctx.rng_for("polluters")
    orgs = org_view(ctx.world)
    kind = orgs["kind"].to_numpy()
    share = np.where(
        kind == "chemical",
        ctx.config.overlap.chemical_polluter,
        np.where(kind == "manufacturing", 0.2, 0.0),
    )
    holders = orgs.filter(
        pl.Series((rng.random(orgs.height) < share) | orgs["high_risk"].to_numpy())
    )
    key_managed = rng.random(holders.height) < 0.4
    return holders.with_columns(
        permit_no=pl.col("uscc") + "001" + pl.Series(np.where(key_managed, "P", "U")),
        management=pl.Series(np.where(key_managed, "重点管理", "简化管理")),
    )


def pollution_sources(ctx: Context, holders: pl.DataFrame) -> Batch:
    rng = ctx.rng_for("pollution_sources")
    n = holders.height
    day = registry_days(rng, ctx, n, initial_share=0.95)
    names, name_noise = messy_names(holders["name"], rng, ctx)
    address, address_noise = messy_addresses(holders, rng, ctx, style="city")
    credit_code, uscc_missing = missing(holders["uscc"], rng, ctx.config.noise.missing_uscc / 2)
    valid_from = pl.Series(np.datetime64("2020-01-01") + rng.integers(0, 2000, n)).cast(pl.Date)
    rows = pl.DataFrame(
        {
            "PERMIT_NO": holders["permit_no"],
            "UNIT_NAME": names,
            "USCC": credit_code,
            "INDUSTRY_CODE": holders["industry_code"],
            "ADDRESS": address,
            "COUNTY_CODE": holders["county_code"],
            "LON": holders["lon"],
            "LAT": holders["lat"],
            "MANAGEMENT_LEVEL": holders["management"],
            "OUTLET_COUNT": pl.Series(rng.integers(1, 6, n)),
            "MAIN_POLLUTANTS": pl.Series(
                np.array(["颗粒物;二氧化硫", "氮氧化物", "化学需氧量;氨氮", "挥发性有机物"])[
                    rng.integers(0, 4, n)
                ]
            ),
            "VALID_FROM": valid_from,
            "VALID_TO": valid_from + timedelta(days=5 * 365),
            DAY: pl.Series(day).cast(pl.Date),
            "org_id": holders["org_id"],
            "place_id": holders["place_id"],
        }
    )
    rows = start_rows(rows, **name_noise, **address_noise, missing_uscc=uscc_missing)
    return batch(
        rows,
        links(rows, "organisation", "org_id", "permit_holder"),
        links(rows, "place", "place_id", "discharge_site"),
        drop=["org_id", "place_id"],
    )


def exceedances(ctx: Context, holders: pl.DataFrame) -> Batch:
    rng = ctx.rng_for("emission_exceedances")
    events = schedule(rng, ctx, ctx.config.scale.exceedances, ctx.config.noise.late_arrival)
    n = events.height
    weights = np.where(holders["high_risk"].to_numpy(), 10.0, 1.0)
    units = holders[rng.choice(holders.height, n, p=weights / weights.sum())]
    pollutant = rng.integers(0, len(POLLUTANTS), n)
    limit = np.array([p[1] for p in POLLUTANTS])[pollutant]
    measured = np.round(limit * rng.uniform(1.05, 4.0, n), 2)
    water = np.array([p[2] == "mg/L" for p in POLLUTANTS])[pollutant]
    rows = pl.DataFrame(
        {
            "RECORD_ID": sequence_ids("EX", events["event_time"].dt.date()),
            "PERMIT_NO": units["permit_no"],
            "OUTLET_CODE": pl.Series(
                np.char.add(np.where(water, "DW00", "DA00"), rng.integers(1, 4, n).astype(str))
            ),
            "POLLUTANT": pl.Series([POLLUTANTS[i][0] for i in pollutant]),
            "MEASURED_VALUE": pl.Series(measured),
            "LIMIT_VALUE": pl.Series(limit),
            "UNIT": pl.Series([POLLUTANTS[i][2] for i in pollutant]),
            "EXCEED_MULTIPLE": pl.Series(np.round(measured / limit - 1, 2)),
            "MONITOR_TIME": events["event_time"],
            DAY: events[DAY],
            "org_id": units["org_id"],
        }
    )
    rows = start_rows(rows, late_arrival=events["late"].to_numpy())
    return batch(rows, links(rows, "organisation", "org_id", "polluter"), drop=["org_id"])
