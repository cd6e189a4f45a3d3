"""Natural resources: the register of geological-hazard points (隐患点) and the incidents.

Both come as the bureau's GB 18030 CSV exports with Chinese headers. The register gives
each point as WKT (CGCS2000, which within a metre is WGS-84), the property threatened in
10,000 yuan and the village monitor who watches it; incident reports write their time the
Chinese way (2026年10月03日14时20分) and their point as two columns.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

from pipelines.sample_city import corruptions as broken
from pipelines.sample_city.delivery import DAY, KEEP_VALID, Batch, DateStyle, FeedSpec
from pipelines.sample_city.feeds.common import (
    Context,
    batch,
    links,
    messy_addresses,
    registry_days,
    sequence_ids,
    start_rows,
)
from pipelines.sample_city.hazards import PLANTED_STORM_DAY, site_view
from pipelines.sample_city.world import non_representatives, where_or_null

DEPARTMENT = "natural_resources"
REGISTER_DATES = DateStyle("%Y年%m月%d日", ["%Y-%m-%d"])
INCIDENT_TIMES = DateStyle("%Y年%m月%d日%H时%M分", ["%Y-%m-%d %H:%M"])
HEAVY_RAIN_MM = 50.0  # a rainstorm day (GB/T 28592) makes slopes fail
LOSS_PER_HOUSEHOLD_WAN = (0.5, 8.0)


def wkt(lon: pl.Series, lat: pl.Series) -> pl.Series:
    return "POINT(" + lon.round(6).cast(pl.String) + " " + lat.round(6).cast(pl.String) + ")"


POINTS = FeedSpec(
    DEPARTMENT,
    "geohazard_points",
    "csv",
    encoding="gb18030",
    key="统一编号",
    dates={"登记日期": REGISTER_DATES},
    corruptions=[
        broken.point_outside_city("坐标", "_lon", "_lat", wkt),
        broken.pattern_mismatch("统一编号"),
        broken.unknown_admin_code("乡镇代码"),
        broken.negative("威胁人数"),
    ],
    drift_renames={"隐患点名称": "名称"},
    drift_added_column="备注",
)
INCIDENTS = FeedSpec(
    DEPARTMENT,
    "geohazard_incidents",
    "csv",
    encoding="gb18030",
    key="灾情编号",
    dates={"发生时间": INCIDENT_TIMES},
    corruptions=[
        broken.future_date("发生时间"),
        broken.negative("死亡人数"),
        broken.outside_city("经度", "纬度"),
        broken.required_missing("灾害类型"),
    ],
    drift_renames={"直接经济损失(万元)": "直接经济损失"},
    drift_added_column="备注",
)

SPECS = [POINTS, INCIDENTS]


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    yield POINTS, geohazard_points(ctx)
    yield INCIDENTS, geohazard_incidents(ctx)


def points_view(ctx: Context) -> pl.DataFrame:
    world = ctx.world
    return site_view(world.objects, world.places, "geohazard_point").join(
        world.hazard_sites.select(
            "object_id",
            "hazard_type",
            "hazard_scale",
            "threatened_households",
            "threatened_people",
            "threatened_property_wan",
        ),
        on="object_id",
    )


def geohazard_points(ctx: Context) -> Batch:
    rng = ctx.rng_for("geohazard_points")
    sites = points_view(ctx)
    n = sites.height
    day = registry_days(rng, ctx, n, initial_share=0.9)
    day[0] = np.datetime64(ctx.days[0])  # the planted point is on the first register
    address, address_noise = messy_addresses(sites, rng, ctx, style="county")
    # Each point has a village monitor (群测群防员): a resident, named with a mobile number.
    pool = non_representatives(ctx.world.persons, ctx.world.organisations)
    monitors = pl.DataFrame({"person_id": pool[rng.integers(0, len(pool), n)]}).join(
        ctx.world.persons, on="person_id", how="left", maintain_order="left"
    )
    registered = pl.Series(np.datetime64("2008-06-01") + rng.integers(0, 6000, n)).cast(pl.Date)
    rows = pl.DataFrame(
        {
            "统一编号": sites["code"],
            "隐患点名称": sites["name"],
            "灾害类型": sites["hazard_type"],
            "规模等级": sites["hazard_scale"],
            "区县代码": sites["county_code"],
            "乡镇代码": sites["township_code"],
            "位置": address,
            "_lon": sites["lon"],
            "_lat": sites["lat"],
            "威胁户数": sites["threatened_households"],
            "威胁人数": sites["threatened_people"],
            "威胁财产(万元)": sites["threatened_property_wan"],
            "监测责任人": monitors["name"],
            "联系电话": monitors["phone"],
            "登记日期": registered,
            DAY: pl.Series(day).cast(pl.Date),
            "object_id": sites["object_id"],
            "place_id": sites["place_id"],
            "monitor_id": monitors["person_id"],
        }
    )
    rows = rows.with_columns(wkt(rows["_lon"], rows["_lat"]).alias("坐标")).select(
        "统一编号",
        "隐患点名称",
        "灾害类型",
        "规模等级",
        "区县代码",
        "乡镇代码",
        "位置",
        "坐标",
        pl.exclude(
            "统一编号", "隐患点名称", "灾害类型", "规模等级", "区县代码", "乡镇代码", "位置", "坐标"
        ),
    )
    rows = start_rows(rows, **address_noise)
    return batch(
        rows,
        links(rows, "object", "object_id", "hazard_point"),
        links(rows, "place", "place_id", "hazard_site"),
        links(rows, "person", "monitor_id", "monitor"),
        drop=["object_id", "place_id", "monitor_id"],
    )


def geohazard_incidents(ctx: Context) -> Batch:
    """Slopes fail on rainstorm days (and the day after), now and then on a dry one."""
    rng = ctx.rng_for("geohazard_incidents")
    sites = points_view(ctx)
    storms = ctx.world.storms
    daily = storms.daily()[np.array([storms.row(code) for code in sites["county_code"]])]
    n_days = daily.shape[1]
    wet = daily >= HEAVY_RAIN_MM
    chance = 0.001 + 0.2 * wet + 0.2 * (daily >= 120)
    fails = rng.random(daily.shape) < chance
    planted_day = min(PLANTED_STORM_DAY + 1, n_days - 1)
    fails[0, planted_day] = True  # the planted point fails the day after the planted storm
    point, day = np.nonzero(fails)
    after_rainstorm = wet[point, day]
    # A failure on a rainstorm day may come the next morning.
    later = wet[point, day] & (rng.random(len(point)) < 0.4) & (day + 1 < n_days)
    later[(point == 0) & (day == planted_day)] = False
    day = day + later
    n = len(point)
    chosen = sites[point]
    start = np.datetime64(ctx.days[0], "s")
    occurred = (
        start
        + day.astype("timedelta64[D]").astype("timedelta64[s]")
        + rng.integers(6 * 3600, 22 * 3600, n).astype("timedelta64[s]")
    ).astype("datetime64[us]")
    # Late reports describe a failure found days later (a remote valley).
    late = rng.random(n) < ctx.config.noise.late_arrival
    delivered = (occurred.astype("datetime64[D]") + np.where(late, rng.integers(2, 5, n), 0)).clip(
        max=np.datetime64(ctx.last_day)
    )
    registered = rng.random(n) >= 0.15  # a new hazard has no register number yet
    registered[(point == 0) & (day == planted_day)] = True
    jitter = rng.normal(0, 0.0002, (2, n))
    deaths = np.where(rng.random(n) < 0.03, rng.integers(1, 4, n), 0)
    households = chosen["threatened_households"].to_numpy()
    address, address_noise = messy_addresses(chosen, rng, ctx, style="county")
    rows = pl.DataFrame(
        {
            "灾情编号": sequence_ids("DZ", pl.Series(occurred).dt.date()),
            "隐患点编号": where_or_null(registered, chosen["code"]),
            "灾害类型": chosen["hazard_type"],
            "发生时间": pl.Series(occurred),
            "区县代码": chosen["county_code"],
            "乡镇代码": chosen["township_code"],
            "位置": address,
            "经度": pl.Series(np.round(chosen["lon"].to_numpy() + jitter[0], 6)),
            "纬度": pl.Series(np.round(chosen["lat"].to_numpy() + jitter[1], 6)),
            "死亡人数": pl.Series(deaths),
            "失踪人数": pl.Series(np.where(rng.random(n) < 0.02, 1, 0)),
            "受伤人数": pl.Series(rng.poisson(0.3, n)),
            "紧急转移人数": pl.Series((households * rng.uniform(0, 3, n)).astype(np.int64)),
            "直接经济损失(万元)": pl.Series(
                np.round(households * rng.uniform(*LOSS_PER_HOUSEHOLD_WAN, n) + 1, 1)
            ),
            DAY: pl.Series(delivered).cast(pl.Date),
            "object_id": where_or_null(registered, chosen["object_id"]),
            "place_id": chosen["place_id"],
            KEEP_VALID: pl.Series((point == 0) & (day == planted_day)),
        }
    )
    rows = start_rows(rows, **address_noise, late_arrival=late)
    result = batch(
        rows,
        links(rows, "object", "object_id", "hazard_point"),
        links(rows, "place", "place_id", "incident_site"),
        drop=["object_id", "place_id"],
    )
    result.truth_tables["geohazard_incidents"] = rows.select(
        pl.col("灾情编号").alias("incident_id"),
        pl.col("隐患点编号").alias("point_code"),
        pl.col("发生时间").alias("occurred_at"),
        pl.col("区县代码").alias("county_code"),
        pl.Series("after_rainstorm", after_rainstorm),
    )
    return result
