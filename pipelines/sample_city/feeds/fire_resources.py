"""Fire and rescue's resource registers: stations, apparatus and water sources (消防水源).

The department's usual delivery: Chinese headers, BD-09 coordinates (the dispatch map is
Baidu's), dates typed in several formats; stations and apparatus as UTF-8 CSV with a BOM,
the water-source survey in GB 18030 from an older system.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

from pipelines.sample_city import corruptions as broken
from pipelines.sample_city.delivery import DAY, Batch, FeedSpec
from pipelines.sample_city.feeds.common import (
    Context,
    batch,
    links,
    messy_addresses,
    org_view,
    registry_days,
    start_rows,
)
from pipelines.sample_city.feeds.fire_rescue import FIRE_DATES, bd09
from pipelines.sample_city.world import where_or_null

DEPARTMENT = "fire_rescue"

STATIONS = FeedSpec(
    DEPARTMENT,
    "fire_stations",
    "csv",
    key="站点编号",
    encoding="utf-8-sig",
    dates={"建站日期": FIRE_DATES},
    corruptions=[broken.outside_city("经度", "纬度"), broken.negative("执勤人数")],
    drift_renames={"执勤人数": "在岗人数"},
    drift_added_column="备注",
    resend_corrected=True,  # a station the lake rejects would leave a false coverage gap
)
APPARATUS = FeedSpec(
    DEPARTMENT,
    "fire_apparatus",
    "csv",
    key="车辆编号",
    encoding="utf-8-sig",
    dates={"登记日期": FIRE_DATES},
    corruptions=[
        broken.negative("载水量（吨）"),
        broken.not_in_enumeration("车辆状态", ["报废", "未知"]),
    ],
    drift_renames={"车辆状态": "状态"},
    drift_added_column="备注",
)
WATER = FeedSpec(
    DEPARTMENT,
    "water_sources",
    "csv",
    key="水源编号",
    encoding="gb18030",
    dates={"普查日期": FIRE_DATES},
    corruptions=[
        broken.outside_city("经度", "纬度"),
        broken.not_in_enumeration("水源类型", ["其他", "未知"]),
    ],
    drift_renames={"可用状态": "状态"},
    drift_added_column="备注",
)

SPECS = [STATIONS, APPARATUS, WATER]
STATION_TYPES = {"消防救援站": "普通消防站", "特勤站": "特勤消防站"}


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    yield STATIONS, stations(ctx)
    yield APPARATUS, apparatus(ctx)
    yield WATER, water_sources(ctx)


def stations(ctx: Context) -> Batch:
    rng = ctx.rng_for("fire_stations")
    sites = org_view(ctx.world).filter(pl.col("kind") == "fire_station")
    n = sites.height
    lon, lat = bd09(sites)
    address, address_noise = messy_addresses(sites, rng, ctx, style="county")
    special = sites["name"].str.contains("特勤站").to_numpy()
    day = pl.Series([ctx.days[0]] * n).cast(pl.Date)
    rows = pl.DataFrame(
        {
            "站点编号": "XFZ"
            + sites["county_code"]
            + pl.Series(np.arange(1, n + 1)).cast(pl.String).str.zfill(4),
            "站点名称": sites["name"],
            "站点类型": pl.Series(np.where(special, "特勤消防站", "普通消防站")),
            "执勤人数": pl.Series(
                np.where(special, rng.integers(40, 80, n), rng.integers(15, 40, n))
            ),
            "地址": address,
            "行政区划": sites["county_code"],
            "经度": lon,
            "纬度": lat,
            "建站日期": pl.Series(np.datetime64("1990-01-01") + rng.integers(0, 12000, n)).cast(
                pl.Date
            ),
            DAY: day,
            "org_id": sites["org_id"],
            "place_id": sites["place_id"],
        }
    )
    rows = start_rows(rows, **address_noise)
    return batch(
        rows,
        links(rows, "organisation", "org_id", "fire_station"),
        links(rows, "place", "place_id", "fire_station_site"),
        drop=["org_id", "place_id"],
    )


def apparatus(ctx: Context) -> Batch:
    rng = ctx.rng_for("fire_apparatus")
    trucks = ctx.world.resources["fire_apparatus"]
    n = trucks.height
    day = pl.Series(registry_days(rng, ctx, n, initial_share=0.9)).cast(pl.Date)
    rows = pl.DataFrame(
        {
            "车辆编号": trucks["code"],
            "车辆类型": trucks["name"],
            "载水量（吨）": trucks["water_t"],
            "所属站点": trucks["station_name"],
            "车辆状态": trucks["status"],
            "登记日期": pl.Series(np.datetime64("2012-01-01") + rng.integers(0, 4000, n)).cast(
                pl.Date
            ),
            DAY: day,
            "object_id": trucks["object_id"],
            "owner_id": trucks["owner_id"],
        }
    )
    rows = start_rows(rows)
    return batch(
        rows,
        links(rows, "object", "object_id", "apparatus"),
        links(rows, "organisation", "owner_id", "home_station"),
        drop=["object_id", "owner_id"],
    )


def water_sources(ctx: Context) -> Batch:
    rng = ctx.rng_for("water_sources")
    sites = ctx.world.resources["water_sources"].join(
        ctx.world.places, on="place_id", how="left", maintain_order="left"
    )
    n = sites.height
    lon, lat = bd09(sites)
    address, address_noise = messy_addresses(sites, rng, ctx, style="county")
    day = pl.Series(registry_days(rng, ctx, n, initial_share=0.9)).cast(pl.Date)
    rows = pl.DataFrame(
        {
            "水源编号": sites["code"],
            "水源名称": sites["name"],
            "水源类型": sites["source_type"],
            "可用状态": sites["status"],
            "管径（mm）": where_or_null(sites["pipe_mm"].to_numpy() > 0, sites["pipe_mm"]),
            "地址": address,
            "行政区划": sites["county_code"],
            "经度": lon,
            "纬度": lat,
            "普查日期": day,
            DAY: day,
            "object_id": sites["object_id"],
            "place_id": sites["place_id"],
        }
    )
    rows = start_rows(rows, **address_noise)
    return batch(
        rows,
        links(rows, "object", "object_id", "water_source"),
        links(rows, "place", "place_id", "water_source_site"),
        drop=["object_id", "place_id"],
    )
