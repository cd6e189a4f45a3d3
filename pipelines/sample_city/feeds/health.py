"""Health (卫生健康委员会): the 120 emergency medical dispatch centre's call-outs (120出车记录),
the city's public-health emergencies as they reach an ambulance: acute illness, poisoning,
injuries; and the hospitals' daily bed reports (医院床位日报), what they can still take in.

The dispatch system exports a day's call-outs as a workbook (sheet 出车记录) with Chinese
headers: the call, dispatch, arrival and hand-over times, the reason for the call and the
patient's grade (Ⅰ级 critical to Ⅳ级 non-urgent), the patient's name, sex and age and the
number that called, the place as the dispatch map (Baidu: BD-09) put it, the ambulance
station sent and the hospital the patient was taken to (one of the city's hospitals, named
as the registers name it). Patients are residents of the city; their health data is
sensitive (the contract keeps it out of the shared picture), so the truth links no person to
a call-out.

Each of the city's hospitals reports its beds once a day on the health commission's medical
resources platform, which exports a day's reports as JSON lines: the report date, the hospital
as its clerk typed it (the registers' name, with the usual variants and slips, and its credit
code when filled in), the county, open beds (开放床位), occupied beds (实际占用), free ICU beds
(ICU空床), free emergency observation beds (急诊留观空床) and the duty telephone (值班电话).
A hospital that misses a day sends that day's report a few days later.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

from pipelines.lib.standards.coordinates import wgs84_to_bd09
from pipelines.sample_city import corruptions as broken
from pipelines.sample_city.delivery import DAY, Batch, DateStyle, FeedSpec
from pipelines.sample_city.feeds.common import (
    PLACE_COLUMNS,
    Context,
    batch,
    jitter,
    links,
    messy_addresses,
    messy_names,
    missing,
    org_view,
    residents,
    schedule,
    sequence_ids,
    start_rows,
)
from pipelines.sample_city.feeds.reported_incidents import report_links, reported
from pipelines.sample_city.feeds.traffic_police import street_places
from pipelines.sample_city.world import where_or_null

DEPARTMENT = "health"
DISPATCH_TIMES = DateStyle("%Y-%m-%d %H:%M:%S", ["%Y/%m/%d %H:%M"])

# 呼救原因 and its share of the call-outs.
REASONS = (
    ("胸痛", 0.14),
    ("脑卒中", 0.10),
    ("呼吸困难", 0.12),
    ("意识障碍", 0.08),
    ("中毒", 0.06),
    ("外伤", 0.18),
    ("跌倒", 0.12),
    ("其他急症", 0.20),
)
# The hurt of a fire or a crash (reported_incidents): the owner's incident, not a new one.
INCIDENT_REASONS = {"fire": "烧烫伤", "traffic_accident": "交通伤"}
GRADES = ("Ⅰ级", "Ⅱ级", "Ⅲ级", "Ⅳ级")
GRADE_SHARES = (0.08, 0.27, 0.45, 0.20)
NOT_TAKEN = 0.08  # call-outs that end without a hospital (treated on the spot, or refused)

DISPATCHES = FeedSpec(
    DEPARTMENT,
    "ambulance_dispatches",
    "xlsx",
    key="任务单号",
    sheet="出车记录",
    dates={
        "受理时间": DISPATCH_TIMES,
        "派车时间": DISPATCH_TIMES,
        "到达现场时间": DISPATCH_TIMES,
    },
    corruptions=[
        broken.future_date("受理时间"),
        broken.outside_city("经度", "纬度"),
        broken.unknown_admin_code("行政区划"),
        broken.not_in_enumeration("病情分级", ["Ⅴ级", "危重"]),
        broken.negative("患者年龄"),
    ],
    drift_renames={"送往医院": "送达医院", "呼救原因": "主诉"},
    drift_added_column="备注",
)

REPORT_DATES = DateStyle("%Y-%m-%d", ["%Y/%m/%d", "%Y%m%d"])
BEDS = FeedSpec(
    DEPARTMENT,
    "hospital_beds",
    "jsonl",
    key="reportId",
    dates={"reportDate": REPORT_DATES},
    # Three rules, so even a tiny city's few hospitals break each one (MIN_ROWS_PER_RULE).
    corruptions=[
        broken.swapped("occupied_within_open", "openBeds", "occupiedBeds"),
        broken.negative("icuFreeBeds"),
        broken.uscc_check("creditCode"),
    ],
    drift_renames={"occupiedBeds": "usedBeds", "orgName": "hospitalName"},
    drift_added_column="remark",
)

SPECS = [DISPATCHES, BEDS]


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    yield DISPATCHES, dispatches(ctx)
    yield BEDS, hospital_beds(ctx)


def dispatches(ctx: Context) -> Batch:
    rng = ctx.rng_for("ambulance_dispatches")
    scale = ctx.config.scale
    events = schedule(rng, ctx, scale.ambulance_dispatches, ctx.config.noise.late_arrival)
    reason = np.array([r[0] for r in REASONS])[
        rng.choice(len(REASONS), events.height, p=[r[1] for r in REASONS])
    ]
    streets = street_places(ctx.world)
    own = (
        streets[rng.integers(0, streets.height, events.height)]
        .select(PLACE_COLUMNS)
        .with_columns(
            called=events["event_time"],
            reason=pl.Series(reason),
            incident_id=pl.lit(None, pl.String),
            late=events["late"],
            **{DAY: events[DAY]},
        )
    )
    # The hurt of fires and crashes (one incident, several services): the ambulance is called
    # within minutes of the owner's alarm.
    heard = reported(
        ctx,
        ctx.rng_for("ambulance_dispatches of incidents"),
        ctx.config.overlap.incident_to_120,
        injured_only=True,
        minutes=(0, 20),
    )
    incidents = heard.select(
        *PLACE_COLUMNS,
        called="reported_at",
        reason=pl.col("event_type").replace_strict(INCIDENT_REASONS),
        incident_id="incident_id",
        late="late",
        **{DAY: DAY},
    )
    places = pl.concat([own, incidents], how="vertical_relaxed").sort("called", maintain_order=True)
    n = places.height
    lon, lat = wgs84_to_bd09(
        jitter(rng, places["lon"].to_numpy(), metres=30),
        jitter(rng, places["lat"].to_numpy(), metres=30),
    )
    address, address_noise = messy_addresses(places, rng, ctx, style="county")
    patients = residents(ctx, rng, n)
    called = places["called"]
    age = (called.dt.year() - patients["birth_date"].dt.year()).to_numpy()

    # The patient goes to a hospital of the county where the call came from (the city's
    # first ones for a county without one).
    orgs = org_view(ctx.world)
    hospitals = orgs.filter(pl.col("kind") == "hospital")
    taken = rng.random(n) >= NOT_TAKEN
    if hospitals.height == 0:
        taken[:] = False
        hospitals = orgs.head(1)
    by_county = places.select("county_code").join(
        hospitals.group_by("county_code", maintain_order=True).agg("org_id", "name"),
        on="county_code",
        how="left",
        maintain_order="left",
    )
    fallback = hospitals.head(3)
    choices = by_county.with_columns(
        pl.col("org_id").fill_null(fallback["org_id"].implode()),
        pl.col("name").fill_null(fallback["name"].implode()),
    )
    pick = pl.Series((rng.random(n) * choices["org_id"].list.len().to_numpy()).astype(np.int64))
    chosen = choices.with_columns(pick=pick).select(
        pl.col("org_id").list.get(pl.col("pick")), pl.col("name").list.get(pl.col("pick"))
    )
    hospital_id, hospital_name = chosen["org_id"], chosen["name"]
    hospital_names, name_noise = messy_names(hospital_name, rng, ctx)

    dispatched = called + pl.Series(rng.integers(30, 180, n) * 1_000_000).cast(pl.Duration("us"))
    arrived = dispatched + pl.Series(rng.integers(300, 1_800, n) * 1_000_000).cast(
        pl.Duration("us")
    )
    rows = pl.DataFrame(
        {
            "任务单号": sequence_ids("120", called.dt.date()),
            "受理时间": called,
            "派车时间": dispatched,
            "到达现场时间": arrived,
            "呼救原因": places["reason"],
            "病情分级": pl.Series(np.array(GRADES)[rng.choice(4, n, p=GRADE_SHARES)]),
            "患者姓名": patients["name"],
            "性别": patients["sex"].replace_strict({"M": "男", "F": "女"}),
            "患者年龄": pl.Series(age),
            "呼救电话": patients["phone"],
            "现场地址": address,
            "经度": pl.Series(np.round(lon, 6)),
            "纬度": pl.Series(np.round(lat, 6)),
            "行政区划": places["county_code"],
            "急救站": places["county_name"] + "急救站",
            "送往医院": where_or_null(taken, hospital_names),
            DAY: places[DAY],
            "place_id": places["place_id"],
            "hospital_id": where_or_null(taken, hospital_id),
            "incident_id": places["incident_id"],
        }
    )
    rows = start_rows(
        rows,
        name_variant=name_noise["name_variant"] & taken,
        name_typo=name_noise["name_typo"] & taken,
        **address_noise,
        late_arrival=places["late"].to_numpy(),
    )
    return batch(
        rows,
        links(rows, "place", "place_id", "incident_site"),
        links(rows, "organisation", "hospital_id", "receiving_hospital"),
        report_links(rows),
        drop=["place_id", "hospital_id", "incident_id"],
    )


def hospital_beds(ctx: Context) -> Batch:
    """A report per hospital and day; its size is the hospital's, its occupancy the day's."""
    rng = ctx.rng_for("hospital_beds")
    hospitals = ctx.world.organisations.filter(pl.col("kind") == "hospital")
    h, days = hospitals.height, len(ctx.days)
    # A hospital's open beds, ICU beds and emergency observation beds, and how full it usually is.
    open_beds = rng.integers(15, 120, h) * 10
    icu_beds = np.maximum(4, np.round(open_beds * rng.uniform(0.03, 0.08, h))).astype(np.int64)
    observation_beds = rng.integers(8, 41, h)
    usual = rng.uniform(0.70, 0.95, h)

    # Every hospital every day, the day's reports in hospital order.
    which = np.tile(np.arange(h), days)
    report_day = np.repeat(np.array(ctx.days, dtype="datetime64[D]"), h)
    n = len(which)
    # Occupied beds stay below the open ones: a hospital keeps a bed free for an admission,
    # and a planted swap of the two then always breaks occupied_within_open.
    occupancy = np.clip(usual[which] + rng.normal(0, 0.04, n), 0.3, 0.99)
    occupied = np.minimum(np.round(open_beds[which] * occupancy), open_beds[which] - 1)
    icu_free = rng.binomial(icu_beds[which], 0.15)
    observation_free = rng.binomial(observation_beds[which], 0.35)
    # A late report is sent 2 to 10 days after its day; one that would come after the last
    # delivery day is not in the window at all.
    late = rng.random(n) < ctx.config.noise.late_arrival
    delivered = report_day + np.where(late, rng.integers(2, 11, n), 0).astype("timedelta64[D]")
    kept = delivered <= np.datetime64(ctx.last_day, "D")

    reporting = hospitals[which[kept]]
    names, name_noise = messy_names(reporting["name"], rng, ctx)
    credit_code, uscc_missing = missing(reporting["uscc"], rng, ctx.config.noise.missing_uscc)
    report_date = pl.Series(report_day[kept]).cast(pl.Date)
    rows = pl.DataFrame(
        {
            "reportId": sequence_ids("CW", report_date),
            "reportDate": report_date,
            "orgName": names,
            "creditCode": credit_code,
            "areaCode": reporting["county_code"],
            "openBeds": pl.Series(open_beds[which[kept]]),
            "occupiedBeds": pl.Series(occupied[kept].astype(np.int64)),
            "icuFreeBeds": pl.Series(icu_free[kept]),
            "erFreeBeds": pl.Series(observation_free[kept]),
            "dutyPhone": reporting["phone"],
            DAY: pl.Series(delivered[kept]).cast(pl.Date),
            "org_id": reporting["org_id"],
        }
    )
    rows = start_rows(rows, **name_noise, missing_uscc=uscc_missing, late_arrival=late[kept])
    return batch(
        rows,
        links(rows, "organisation", "org_id", "reporting_hospital"),
        drop=["org_id"],
    )
