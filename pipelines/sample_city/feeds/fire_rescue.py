"""Fire and rescue: incidents (XLSX) and fire-safety inspections (UTF-8 CSV with BOM).

Chinese headers, BD-09 coordinates (the dispatch map is Baidu's), times in
several hand-typed formats, the stations sent as one joined text cell.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

from pipelines.lib.standards.coordinates import wgs84_to_bd09
from pipelines.sample_city import corruptions as broken
from pipelines.sample_city.delivery import DAY, Batch, DateStyle, FeedSpec
from pipelines.sample_city.feeds.common import (
    Context,
    batch,
    incident_links,
    links,
    messy_addresses,
    messy_names,
    missing,
    org_view,
    places_at,
    schedule,
    sequence_ids,
    start_rows,
)
from pipelines.sample_city.feeds.traffic_police import street_places
from pipelines.sample_city.vocabulary import (
    FIRE_CAUSES,
    FIRE_HAZARDS,
    FIRE_TYPE_WEIGHTS,
    FIRE_TYPES,
)
from pipelines.sample_city.world import where_or_null

DEPARTMENT = "fire_rescue"
FIRE_TIMES = DateStyle("%Y-%m-%d %H:%M:%S", ["%Y/%m/%d %H:%M", "%Y年%-m月%-d日%H时%M分"])
FIRE_DATES = DateStyle("%Y-%m-%d", ["%Y/%m/%d", "%Y年%-m月%-d日"])

INCIDENTS = FeedSpec(
    DEPARTMENT,
    "fire_incidents",
    "xlsx",
    key="警情编号",
    dates={
        "报警时间": FIRE_TIMES,
        "出动时间": FIRE_TIMES,
        "到场时间": FIRE_TIMES,
        "结束时间": FIRE_TIMES,
    },
    corruptions=[
        broken.future_date("报警时间"),
        broken.outside_city("经度", "纬度"),
        broken.negative("受伤人数"),
        broken.unknown_admin_code("行政区划"),
        broken.required_missing("警情编号"),
    ],
    drift_renames={"起火单位": "涉及单位", "出动力量": "出动队站"},
    drift_added_column="备注",
)
INSPECTIONS = FeedSpec(
    DEPARTMENT,
    "fire_inspections",
    "csv",
    key="检查记录号",
    encoding="utf-8-sig",
    dates={"检查日期": FIRE_DATES, "整改期限": FIRE_DATES, "整改完成日期": FIRE_DATES},
    corruptions=[
        broken.uscc_check("统一社会信用代码"),
        broken.future_date("检查日期"),
        broken.outside_city("经度", "纬度"),
        broken.not_in_enumeration("检查结果", ["不合格", "待定"]),
        broken.unknown_admin_code("行政区划"),
    ],
    drift_renames={"单位名称": "被检查单位", "隐患描述": "隐患内容"},
    drift_added_column="备注",
)

SPECS = [INCIDENTS, INSPECTIONS]
# The unit's category as the inspection form has it (the registers' labels, and the public units').
UNIT_LABELS = {
    "restaurant": "餐饮",
    "chemical": "危险化学品",
    "manufacturing": "工贸",
    "logistics": "交通运输",
    "construction": "建筑施工",
    "school": "学校",
    "mall": "商场",
    "hospital": "医院",
}


def bd09(places: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    lon, lat = wgs84_to_bd09(places["lon"].to_numpy(), places["lat"].to_numpy())
    return pl.Series(np.round(lon, 6)), pl.Series(np.round(lat, 6))


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    orgs = org_view(ctx.world)
    yield INCIDENTS, incidents(ctx, orgs)
    yield INSPECTIONS, inspections(ctx, orgs)


def incidents(ctx: Context, orgs: pl.DataFrame) -> Batch:
    rng = ctx.rng_for("fire_incidents")
    events = schedule(rng, ctx, ctx.config.scale.fire_incidents, ctx.config.noise.late_arrival)
    n = events.height
    premises = orgs.filter(pl.col("kind") != "fire_station")
    at_org = rng.random(n) < ctx.config.overlap.fire_at_organisation
    involved_ids = premises["org_id"].to_numpy()[rng.integers(0, premises.height, n)]
    # Every planted high-risk organisation has a fire in the last third of the window.
    at_risk = orgs.filter(pl.col("high_risk"))["org_id"].to_numpy()
    recent_cutoff = np.datetime64(ctx.days[len(ctx.days) * 2 // 3])
    recent_positions = np.flatnonzero(events[DAY].to_numpy() >= recent_cutoff)[: len(at_risk)]
    involved_ids[recent_positions] = at_risk[: len(recent_positions)]
    at_org[recent_positions] = True
    involved = pl.DataFrame({"org_id": involved_ids}).join(
        orgs, on="org_id", how="left", maintain_order="left"
    )
    streets = street_places(ctx.world)
    street = streets[rng.integers(0, streets.height, n)]
    places = places_at(at_org, involved, street)
    lon, lat = bd09(places)
    address, address_noise = messy_addresses(places, rng, ctx, style="county")
    names, name_noise = messy_names(involved["name"], rng, ctx)
    # Stations sent: one or two of the first two stations in the incident's county (a county
    # without a station of its own is served by the city's first two).
    stations = orgs.filter(pl.col("kind") == "fire_station").select("org_id", "name", "county_code")
    city_wide = stations.head(2)
    first = (
        places.select("county_code")
        .join(
            stations.group_by("county_code", maintain_order=True).agg(
                pl.col("org_id").head(2), pl.col("name").head(2)
            ),
            on="county_code",
            how="left",
            maintain_order="left",
        )
        .with_columns(
            pl.col("org_id").fill_null(city_wide["org_id"].implode()),
            pl.col("name").fill_null(city_wide["name"].implode()),
        )
    )
    two = (rng.random(n) < 0.35) & (first["org_id"].list.len() >= 2).to_numpy()
    first_station = first["org_id"].list.get(0)
    second_station = where_or_null(two, first["org_id"].list.get(1, null_on_oob=True))
    station_names = pl.Series(
        np.where(
            two,
            (
                first["name"].list.get(0) + ";" + first["name"].list.get(1, null_on_oob=True)
            ).to_numpy(),
            first["name"].list.get(0).to_numpy(),
        )
    )
    alarm = events["event_time"]
    dispatch = alarm + pl.Series(rng.integers(30, 120, n) * 1_000_000).cast(pl.Duration("us"))
    arrival = dispatch + pl.Series(rng.integers(240, 1_500, n) * 1_000_000).cast(pl.Duration("us"))
    close = arrival + pl.Series(rng.integers(1_200, 14_400, n) * 1_000_000).cast(pl.Duration("us"))
    incident_type = np.array(FIRE_TYPES)[rng.choice(3, n, p=FIRE_TYPE_WEIGHTS)]
    incident_type[recent_positions] = "火灾"
    rows = pl.DataFrame(
        {
            "警情编号": sequence_ids("JQ", alarm.dt.date()),
            "报警时间": alarm,
            "出动时间": dispatch,
            "到场时间": arrival,
            "结束时间": close,
            "警情类型": pl.Series(incident_type),
            "起火单位": pl.Series(np.where(at_org, names.to_numpy(), "")),
            "详细地址": address,
            "经度": lon,
            "纬度": lat,
            "行政区划": places["county_code"],
            "出动力量": station_names,
            "出动车辆": pl.Series(rng.integers(1, 6, n) + two * 2),
            "死亡人数": pl.Series(np.where(rng.random(n) < 0.02, 1, 0)),
            "受伤人数": pl.Series(rng.poisson(0.3, n)),
            "直接财产损失（万元）": pl.Series(np.round(rng.lognormal(0.5, 1.2, n), 2)),
            "起火原因": pl.Series(
                np.where(
                    incident_type == "火灾",
                    np.array(FIRE_CAUSES)[rng.integers(0, len(FIRE_CAUSES), n)],
                    "",
                )
            ),
            DAY: events[DAY],
            "place_id": places["place_id"],
            "org_id": where_or_null(at_org, involved["org_id"]),
            "station1": first_station,
            "station2": second_station,
        }
    )
    rows = start_rows(
        rows,
        name_variant=name_noise["name_variant"] & at_org,
        name_typo=name_noise["name_typo"] & at_org,
        **address_noise,
        late_arrival=events["late"].to_numpy(),
    )
    return batch(
        rows,
        links(rows, "place", "place_id", "incident_site"),
        links(rows, "organisation", "org_id", "involved_unit"),
        links(rows, "organisation", "station1", "responding_station"),
        links(rows, "organisation", "station2", "responding_station", slot=2),
        # A fire is one incident however many services hear of it (reported_incidents).
        incident_links(rows, "fire_incidents", "警情编号", pl.col("警情类型") == "火灾"),
        drop=["place_id", "org_id", "station1", "station2"],
    )


def inspections(ctx: Context, orgs: pl.DataFrame) -> Batch:
    rng = ctx.rng_for("fire_inspections")
    events = schedule(rng, ctx, ctx.config.scale.fire_inspections, ctx.config.noise.late_arrival)
    n = events.height
    # Inspected: a share of restaurants, every kind of enterprise, schools, malls and hospitals.
    restaurant = orgs["kind"].to_numpy() == "restaurant"
    inspected_restaurant = rng.random(orgs.height) < ctx.config.overlap.restaurant_fire_inspected
    pool = orgs.filter(
        pl.Series(~restaurant | inspected_restaurant) & (pl.col("kind") != "fire_station")
    )
    # Every unit in the pool is inspected at least once (when visits allow); the other
    # visits go more often to high-risk units. Shuffled so days mix both.
    weights = np.where(pool["high_risk"].to_numpy(), 15.0, 1.0)
    visits = np.concatenate(
        [
            rng.permutation(pool.height),
            rng.choice(pool.height, max(n - pool.height, 0), p=weights / weights.sum()),
        ]
    )
    units = pool[rng.permutation(visits[:n])]
    found = (rng.random(n) < 0.35) | (units["high_risk"].to_numpy() & (rng.random(n) < 0.8))
    major = found & ((rng.random(n) < 0.1) | units["high_risk"].to_numpy())
    found_day = events["event_time"].dt.date()
    deadline = found_day + pl.Series(rng.integers(7, 31, n)).cast(pl.Duration("ms")) * 86_400_000
    rectified = found & (rng.random(n) < 0.55) & ~units["high_risk"].to_numpy()
    rectified_day = (
        found_day + pl.Series(rng.integers(1, 20, n)).cast(pl.Duration("ms")) * 86_400_000
    )
    names, name_noise = messy_names(units["name"], rng, ctx)
    address, address_noise = messy_addresses(units, rng, ctx, style="city")
    credit_code, uscc_missing = missing(units["uscc"], rng, ctx.config.noise.missing_uscc)
    lon, lat = bd09(units)
    rows = pl.DataFrame(
        {
            "检查记录号": sequence_ids("XF", found_day),
            "单位名称": names,
            "统一社会信用代码": credit_code,
            "单位类别": units["kind"].replace_strict(UNIT_LABELS, default="其他"),
            "单位地址": address,
            "检查日期": found_day,
            "检查结果": pl.Series(np.where(found, "发现隐患", "合格")),
            "隐患描述": pl.Series(
                np.where(found, np.array(FIRE_HAZARDS)[rng.integers(0, len(FIRE_HAZARDS), n)], "")
            ),
            "隐患等级": pl.Series(np.where(major, "重大", np.where(found, "一般", ""))),
            "整改期限": where_or_null(found, deadline),
            "整改状态": pl.Series(np.where(rectified, "已整改", np.where(found, "未整改", ""))),
            "整改完成日期": where_or_null(rectified, rectified_day),
            "经度": lon,
            "纬度": lat,
            "行政区划": units["county_code"],
            DAY: events[DAY],
            "org_id": units["org_id"],
            "place_id": units["place_id"],
        }
    )
    rows = start_rows(
        rows,
        **name_noise,
        **address_noise,
        missing_uscc=uscc_missing,
        late_arrival=events["late"].to_numpy(),
    )
    return batch(
        rows,
        links(rows, "organisation", "org_id", "inspected"),
        links(rows, "place", "place_id", "inspected_premises"),
        drop=["org_id", "place_id"],
    )
