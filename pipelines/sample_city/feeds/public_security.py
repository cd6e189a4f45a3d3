"""Public security (公安局): the 110 command centre's alarms (110接处警), the social-security
incidents of the city: thefts, fraud, robberies, fights and disputes, and calls for help.

The police records system exports a day's alarms as UTF-8 CSV with Chinese headers; the
caller's name and mobile number as the operator typed them, the place as the caller described
it and as the 110 map (AutoNavi: GCJ-02) put it, the police station that handled it, and the
outcome. A theft or robbery at a shop or restaurant names the premises as registered. Callers are residents of the city; who called is confidential (the contract keeps
them sensitive, out of the shared picture), so the truth links no person to an alarm.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

from pipelines.lib.standards.coordinates import wgs84_to_gcj02
from pipelines.sample_city import corruptions as broken
from pipelines.sample_city.delivery import DAY, Batch, DateStyle, FeedSpec
from pipelines.sample_city.feeds.common import (
    Context,
    batch,
    jitter,
    links,
    messy_addresses,
    org_view,
    places_at,
    residents,
    schedule,
    sequence_ids,
    start_rows,
)
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

SPECS = [ALARMS]


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    yield ALARMS, alarms(ctx)


def alarms(ctx: Context) -> Batch:
    rng = ctx.rng_for("police_alarms")
    events = schedule(rng, ctx, ctx.config.scale.police_alarms, ctx.config.noise.late_arrival)
    n = events.height
    kind = rng.choice(len(ALARM_TYPES), n, p=[t[2] for t in ALARM_TYPES])
    alarm_type = np.array([t[0] for t in ALARM_TYPES])[kind]
    can_be_at_premises = np.array([t[3] for t in ALARM_TYPES])[kind]
    at_org = can_be_at_premises & (rng.random(n) < AT_PREMISES)

    orgs = org_view(ctx.world)
    premises = orgs.filter(pl.col("kind").is_in(["restaurant", "mall"]))
    premises = premises if premises.height else orgs.filter(pl.col("kind") != "fire_station")
    involved = premises[rng.integers(0, premises.height, n)]
    streets = street_places(ctx.world)
    street = streets[rng.integers(0, streets.height, n)]
    places = places_at(at_org, involved, street)
    # The 110 map places a mobile call within some tens of metres of where the caller is.
    lon, lat = wgs84_to_gcj02(
        jitter(rng, places["lon"].to_numpy(), metres=30),
        jitter(rng, places["lat"].to_numpy(), metres=30),
    )
    address, address_noise = messy_addresses(places, rng, ctx, style="county")
    callers = residents(ctx, rng, n)
    injured = rng.poisson(np.array([t[4] for t in ALARM_TYPES])[kind])
    alarm_at = events["event_time"]
    rows = pl.DataFrame(
        {
            "接警单号": sequence_ids("110", alarm_at.dt.date()),
            "报警时间": alarm_at,
            "警情类别": pl.Series(np.array([t[1] for t in ALARM_TYPES])[kind]),
            "警情类型": pl.Series(alarm_type),
            "报警人": callers["name"],
            "联系电话": callers["phone"],
            "发案地址": address,
            # The premises as registered: a name variant of a chain's branch, with no
            # identifier beside it, is not told apart from its sister branches yet.
            "涉事单位": where_or_null(at_org, involved["name"]),
            "经度": pl.Series(np.round(lon, 6)),
            "纬度": pl.Series(np.round(lat, 6)),
            "行政区划": places["county_code"],
            "管辖单位": places["county_name"]
            + "公安分局"
            + places["township_name"].str.replace(r"(街道|镇|乡)$", "")
            + "派出所",
            "受伤人数": pl.Series(injured),
            "处警结果": pl.Series(np.array(OUTCOMES)[rng.integers(0, len(OUTCOMES), n)]),
            DAY: events[DAY],
            "place_id": places["place_id"],
            "org_id": where_or_null(at_org, involved["org_id"]),
        }
    )
    rows = start_rows(rows, **address_noise, late_arrival=events["late"].to_numpy())
    return batch(
        rows,
        links(rows, "place", "place_id", "incident_site"),
        links(rows, "organisation", "org_id", "involved_unit"),
        drop=["place_id", "org_id"],
    )
