"""Water: river and reservoir levels against their warning and guaranteed levels, and the
waterlogging-prone points of the city's roads.

Levels come as the hydrological system's CSV export (UTF-8 with BOM, Chinese headers, the
gauge's point as one "lat,lon" string in GCJ-02, levels in metres above datum). The
waterlogging register is a workbook kept by hand (sheet 易涝点台账, BD-09 from the Baidu map
the clerks click on, depths in centimetres).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

from pipelines.lib.standards.coordinates import wgs84_to_bd09, wgs84_to_gcj02
from pipelines.sample_city import corruptions as broken
from pipelines.sample_city.delivery import DAY, Batch, DateStyle, FeedSpec
from pipelines.sample_city.feeds.common import (
    Context,
    batch,
    links,
    messy_addresses,
    registry_days,
    start_rows,
)
from pipelines.sample_city.hazards import RISE_M_PER_MM, site_view

DEPARTMENT = "water"
LEVEL_TIMES = DateStyle("%Y-%m-%d %H:%M", ["%Y/%m/%d %H:%M"])


def lat_lon(lon: pl.Series, lat: pl.Series) -> pl.Series:
    """The hydrological system's point: latitude first, as its map widget writes it."""
    return lat.round(6).cast(pl.String) + "," + lon.round(6).cast(pl.String)


LEVELS = FeedSpec(
    DEPARTMENT,
    "water_levels",
    "csv",
    encoding="utf-8-sig",
    key=("站码", "时间"),
    dates={"时间": LEVEL_TIMES},
    corruptions=[
        broken.swapped("guaranteed_not_below_warning", "警戒水位(m)", "保证水位(m)"),
        broken.point_outside_city("坐标", "_lon", "_lat", lat_lon),
        broken.pattern_mismatch("站码"),
        broken.future_date("时间"),
    ],
    drift_renames={"水位(m)": "水位"},
    drift_added_column="水势",
)
WATERLOGGING = FeedSpec(
    DEPARTMENT,
    "waterlogging_points",
    "xlsx",
    sheet="易涝点台账",
    key="编号",
    corruptions=[
        broken.outside_city("经度", "纬度"),
        broken.unknown_admin_code("街道代码"),
        broken.negative("历史最大积水深度(cm)"),
        broken.not_in_enumeration("类型", ["易涝", "积水"]),
    ],
    drift_renames={"名称": "易涝点名称"},
    drift_added_column="备注",
)

SPECS = [LEVELS, WATERLOGGING]


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    yield LEVELS, water_levels(ctx)
    yield WATERLOGGING, waterlogging_points(ctx)


def gauges(ctx: Context) -> pl.DataFrame:
    world = ctx.world
    return site_view(world.objects, world.places, "hydrological_station").join(
        world.hazard_sites.select(
            "object_id",
            "water_body",
            "gauge_type",
            "base_level_m",
            "warning_level_m",
            "guaranteed_level_m",
        ),
        on="object_id",
    )


def water_levels(ctx: Context) -> Batch:
    """Hourly levels: a slow swell, and a rise with the last 24 hours of rain on the county."""
    rng = ctx.rng_for("water_levels")
    sites = gauges(ctx)
    storms = ctx.world.storms
    s, hours = sites.height, storms.hourly.shape[1]
    county_rows = np.array([storms.row(code) for code in sites["county_code"]])
    rain = storms.hourly[county_rows]
    last_day = np.stack([np.convolve(r, np.ones(24))[:hours] for r in rain])
    reservoir = (sites["gauge_type"] == "水库").to_numpy()
    response = np.where(reservoir, 0.4, 1.0)[:, None] * RISE_M_PER_MM
    swell = 0.3 * np.sin(np.arange(hours) / 60 + rng.uniform(0, 6, (s, 1)))
    level = sites["base_level_m"].to_numpy()[:, None] + swell + response * last_day
    level = np.round(level + rng.normal(0, 0.02, (s, hours)), 2)
    lon, lat = wgs84_to_gcj02(sites["lon"].to_numpy(), sites["lat"].to_numpy())
    time = (np.datetime64(ctx.days[0], "h") + np.arange(hours) * np.timedelta64(1, "h")).astype(
        "datetime64[us]"
    )
    rows = pl.DataFrame(
        {
            "站码": np.repeat(sites["code"].to_numpy(), hours),
            "站名": np.repeat(sites["name"].to_numpy(), hours),
            "河名": np.repeat(sites["water_body"].to_numpy(), hours),
            "站类": np.repeat(sites["gauge_type"].to_numpy(), hours),
            "所在区县": np.repeat(sites["county_code"].to_numpy(), hours),
            "_lon": np.repeat(lon, hours),
            "_lat": np.repeat(lat, hours),
            "时间": np.tile(time, s),
            "水位(m)": level.ravel(),
            "警戒水位(m)": np.repeat(sites["warning_level_m"].to_numpy(), hours),
            "保证水位(m)": np.repeat(sites["guaranteed_level_m"].to_numpy(), hours),
            DAY: np.tile(np.repeat(np.array(ctx.days, dtype="datetime64[D]"), 24), s),
            "object_id": np.repeat(sites["object_id"].to_numpy(), hours),
            "place_id": np.repeat(sites["place_id"].to_numpy(), hours),
        }
    ).with_columns(pl.col(DAY).cast(pl.Date))
    rows = rows.with_columns(lat_lon(rows["_lon"], rows["_lat"]).alias("坐标")).select(
        "站码",
        "站名",
        "河名",
        "站类",
        "所在区县",
        "坐标",
        pl.exclude("站码", "站名", "河名", "站类", "所在区县", "坐标"),
    )
    rows = start_rows(rows)
    result = batch(
        rows,
        links(rows, "object", "object_id", "gauge"),
        links(rows, "place", "place_id", "gauge_site"),
        drop=["object_id", "place_id"],
    )
    over = rows.filter(pl.col("水位(m)") > pl.col("警戒水位(m)"))
    result.truth_tables["water_level_exceedances"] = (
        over.group_by(pl.col("站码").alias("station_code"), pl.col(DAY).alias("day"))
        .agg(pl.col("水位(m)").max().alias("peak_level_m"), pl.len().alias("hours_over"))
        .sort("station_code", "day")
    )
    return result


def waterlogging_points(ctx: Context) -> Batch:
    rng = ctx.rng_for("waterlogging_points")
    world = ctx.world
    sites = site_view(world.objects, world.places, "waterlogging_point").join(
        world.hazard_sites.select("object_id", "point_type", "max_depth_cm", "pumped"),
        on="object_id",
    )
    n = sites.height
    day = registry_days(rng, ctx, n, initial_share=0.9)
    day[0] = np.datetime64(ctx.days[0])  # the planted underpass is on the first register
    address, address_noise = messy_addresses(sites, rng, ctx, style="county")
    lon, lat = wgs84_to_bd09(sites["lon"].to_numpy(), sites["lat"].to_numpy())
    rows = pl.DataFrame(
        {
            "编号": sites["code"],
            "名称": sites["name"],
            "类型": sites["point_type"],
            "区县代码": sites["county_code"],
            "街道代码": sites["township_code"],
            "地址": address,
            "经度": pl.Series(np.round(lon, 6)),
            "纬度": pl.Series(np.round(lat, 6)),
            "历史最大积水深度(cm)": sites["max_depth_cm"],
            "是否有泵站": pl.Series(np.where(sites["pumped"].to_numpy(), "是", "否")),
            "责任单位": sites["county_name"] + "水务局",
            DAY: pl.Series(day).cast(pl.Date),
            "object_id": sites["object_id"],
            "place_id": sites["place_id"],
        }
    )
    rows = start_rows(rows, **address_noise)
    return batch(
        rows,
        links(rows, "object", "object_id", "waterlogging_point"),
        links(rows, "place", "place_id", "waterlogging_site"),
        drop=["object_id", "place_id"],
    )
