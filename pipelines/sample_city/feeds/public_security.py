"""Public security (公安局): the 110 command centre's alarms (110接处警), the social-security
incidents of the city: thefts, fraud, robberies, fights and disputes, and calls for help; and
the register of standard addresses (一标三实: every door plate, its township and point).

The police records system exports a day's alarms as UTF-8 CSV with Chinese headers; the
caller's name and mobile number as the operator typed them, the place as the caller described
it and as the 110 map (AutoNavi: GCJ-02) put it, the police station that handled it, and the
outcome. A theft or robbery at a shop or restaurant names the premises as registered. A fire
or a crash a passer-by calls in is handed on to its owner (reported_incidents). Callers are
residents of the city; who called is confidential (the contract keeps them sensitive, out of
the shared picture), so the truth links no person to an alarm.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

from pipelines.lib.standards.coordinates import wgs84_to_gcj02
from pipelines.sample_city import corruptions as broken
from pipelines.sample_city.delivery import DAY, Batch, DateStyle, FeedSpec
from pipelines.sample_city.feeds.common import (
    PLACE_COLUMNS,
    Context,
    batch,
    jitter,
    links,
    messy_addresses,
    org_view,
    places_at,
    registry_days,
    residents,
    schedule,
    sequence_ids,
    start_rows,
)
from pipelines.sample_city.feeds.reported_incidents import report_links, reported
from pipelines.sample_city.feeds.traffic_police import street_places
from pipelines.sample_city.world import where_or_null

DEPARTMENT = "public_security"
ALARM_TIMES = DateStyle("%Y-%m-%d %H:%M:%S", ["%Y/%m/%d %H:%M:%S", "%Y%m%d%H%M%S"])

# 警情类型 -> its 警情类别, share of the alarms, whether it happens at premises (a shop or a
# restaurant) now and then, and the injured it leaves on average.
ALARM_TYPES = (
    ("盗窃", "刑事案件", 0.30, True, 0.0),
    ("诈骗", "刑事案件", 0.15, False, 0.0),
    ("抢劫", "刑事案件", 0.03, True, 0.4),
    ("打架斗殴", "治安案件", 0.17, True, 1.2),
    ("邻里纠纷", "纠纷", 0.15, False, 0.05),
    ("家庭纠纷", "纠纷", 0.10, False, 0.1),
    ("求助", "求助", 0.10, False, 0.0),
)
OUTCOMES = ("现场处置", "调解结案", "受案调查", "移交相关部门")
# A fire or crash reported to 110 (the fire service or the traffic police own it).
INCIDENT_ALARM_TYPES = {"fire": "火警", "traffic_accident": "交通事故"}
INCIDENT_CATEGORY = "灾害事故"
AT_PREMISES = 0.35  # of the alarm types that can happen at premises

ALARMS = FeedSpec(
    DEPARTMENT,
    "police_alarms",
    "csv",
    key="接警单号",
    encoding="utf-8",
    dates={"报警时间": ALARM_TIMES},
    corruptions=[
        broken.future_date("报警时间"),
        broken.outside_city("经度", "纬度"),
        broken.unknown_admin_code("行政区划"),
        broken.required_missing("警情类型"),
        broken.pattern_mismatch("接警单号"),
        broken.negative("受伤人数"),
    ],
    drift_renames={"报警人": "报警人姓名", "发案地址": "案发地址"},
    drift_added_column="备注",
)

# 一标三实: the police's register of standard addresses (every door plate with its township
# and surveyed point), the city's gazetteer: what places a caller's address, or any address a
# department types, in its township.
ADDRESSES = FeedSpec(
    DEPARTMENT,
    "standard_addresses",
    "csv",
    key="地址编码",
    encoding="utf-8-sig",
    dates={"登记日期": DateStyle("%Y-%m-%d", ["%Y/%m/%d"])},
    corruptions=[
        broken.outside_city("经度", "纬度"),
        broken.unknown_admin_code("区县代码"),
        broken.pattern_mismatch("地址编码"),
    ],
    drift_renames={"标准地址": "地址全称"},
    drift_added_column="备注",
)
REGISTERED_FIRST_DAY = 0.95  # the first extract holds nearly every door plate; new ones follow

SPECS = [ALARMS, ADDRESSES]


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    yield ALARMS, alarms(ctx)
    yield ADDRESSES, standard_addresses(ctx)


def standard_addresses(ctx: Context) -> Batch:
    """Every place of the city as the register has it: standard address, township, point."""
    rng = ctx.rng_for("standard_addresses")
    places = ctx.world.places.sort("place_id")
    n = places.height
    day = registry_days(rng, ctx, n, initial_share=REGISTERED_FIRST_DAY)
    rows = pl.DataFrame(
        {
            "地址编码": places["county_code"]
            + pl.Series(np.arange(1, n + 1)).cast(pl.String).str.zfill(8),
            "标准地址": places["standard_address"],
            "区县代码": places["county_code"],
            "乡镇街道代码": places["township_code"],
            "街路巷": places["road"],
            "门牌号": places["house_number"].cast(pl.String) + "号",
            "经度": places["lon"].round(6),
            "纬度": places["lat"].round(6),
            "登记日期": pl.Series(day).cast(pl.Date),
            DAY: pl.Series(day).cast(pl.Date),
            "place_id": places["place_id"],
        }
    )
    rows = start_rows(rows)
    return batch(rows, links(rows, "place", "place_id", "registered_address"), drop=["place_id"])


def alarms(ctx: Context) -> Batch:
    rng = ctx.rng_for("police_alarms")
    events = schedule(rng, ctx, ctx.config.scale.police_alarms, ctx.config.noise.late_arrival)
    n = events.height
    kind = rng.choice(len(ALARM_TYPES), n, p=[t[2] for t in ALARM_TYPES])
    can_be_at_premises = np.array([t[3] for t in ALARM_TYPES])[kind]
    at_org = can_be_at_premises & (rng.random(n) < AT_PREMISES)

    orgs = org_view(ctx.world)
    premises = orgs.filter(pl.col("kind").is_in(["restaurant", "mall"]))
    premises = premises if premises.height else orgs.filter(pl.col("kind") != "fire_station")
    involved = premises[rng.integers(0, premises.height, n)]
    streets = street_places(ctx.world)
    street = streets[rng.integers(0, streets.height, n)]
    own = places_at(at_org, involved, street).with_columns(
        alarm_at=events["event_time"],
        alarm_type=pl.Series(np.array([t[0] for t in ALARM_TYPES])[kind]),
        alarm_category=pl.Series(np.array([t[1] for t in ALARM_TYPES])[kind]),
        injured=pl.Series(rng.poisson(np.array([t[4] for t in ALARM_TYPES])[kind])),
        outcome=pl.Series(np.array(OUTCOMES)[rng.integers(0, len(OUTCOMES), n)]),
        unit=where_or_null(at_org, involved["name"]),
        org_id=where_or_null(at_org, involved["org_id"]),
        incident_id=pl.lit(None, pl.String),
        late=events["late"],
        **{DAY: events[DAY]},
    )
    # Fires and crashes a passer-by calls 110 about: the centre hands them on.
    heard = reported(
        ctx, ctx.rng_for("police_alarms of incidents"), ctx.config.overlap.incident_to_110
    )
    incidents = heard.select(
        *PLACE_COLUMNS,
        alarm_at="reported_at",
        alarm_type=pl.col("event_type").replace_strict(INCIDENT_ALARM_TYPES),
        alarm_category=pl.lit(INCIDENT_CATEGORY),
        injured="injuries",
        outcome=pl.lit("移交相关部门"),
        unit=pl.lit(None, pl.String),
        org_id=pl.lit(None, pl.String),
        incident_id="incident_id",
        late="late",
        **{DAY: DAY},
    )
    calls = pl.concat([own, incidents], how="vertical_relaxed").sort(
        "alarm_at", maintain_order=True
    )
    return _alarm_rows(ctx, rng, calls)


def _alarm_rows(ctx: Context, rng: np.random.Generator, calls: pl.DataFrame) -> Batch:
    """The centre's rows for its calls (a place, a time and a type each)."""
    n = calls.height
    # The 110 map places a mobile call within some tens of metres of where the caller is.
    lon, lat = wgs84_to_gcj02(
        jitter(rng, calls["lon"].to_numpy(), metres=30),
        jitter(rng, calls["lat"].to_numpy(), metres=30),
    )
    address, address_noise = messy_addresses(calls, rng, ctx, style="county")
    callers = residents(ctx, rng, n)
    alarm_at = calls["alarm_at"]
    rows = pl.DataFrame(
        {
            "接警单号": sequence_ids("110", alarm_at.dt.date()),
            "报警时间": alarm_at,
            "警情类别": calls["alarm_category"],
            "警情类型": calls["alarm_type"],
            "报警人": callers["name"],
            "联系电话": callers["phone"],
            "发案地址": address,
            # The premises as registered: a name variant of a chain's branch, with no
            # identifier beside it, is not told apart from its sister branches yet.
            "涉事单位": calls["unit"],
            "经度": pl.Series(np.round(lon, 6)),
            "纬度": pl.Series(np.round(lat, 6)),
            "行政区划": calls["county_code"],
            "管辖单位": calls["county_name"]
            + "公安分局"
            + calls["township_name"].str.replace(r"(街道|镇|乡)$", "")
            + "派出所",
            "受伤人数": calls["injured"],
            "处警结果": calls["outcome"],
            DAY: calls[DAY],
            "place_id": calls["place_id"],
            "org_id": calls["org_id"],
            "incident_id": calls["incident_id"],
        }
    )
    rows = start_rows(rows, **address_noise, late_arrival=calls["late"].to_numpy())
    return batch(
        rows,
        links(rows, "place", "place_id", "incident_site"),
        links(rows, "organisation", "org_id", "involved_unit"),
        report_links(rows),
        drop=["place_id", "org_id", "incident_id"],
    )
