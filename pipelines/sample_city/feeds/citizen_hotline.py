"""The 12345 citizen hotline (12345政务服务便民热线): what citizens report, in their own words.

The hotline platform exports a day's work orders as JSON lines: the order number, when the
call came, the caller, what the caller said as the operator wrote it down (诉求内容, free
text: no type), the address as the caller gave it (with or without the county, a township,
"附近" or "对面" after it, now and then only a road), the county the order was sent to when
the operator could tell, and the organisation complained about when the caller named one.

What citizens report: food that made them ill, blocked fire exits and charging in stairwells,
fumes and noise, a smell of gas, flooded roads, and what is no public-safety matter at all
(a question about a social-security card); and now and then a fire or a crash that the fire
service or the traffic police record too (reported_incidents). The sentences are put together
from several openings, bodies, times and requests per kind, so no two kinds share one
template and the keywords the warehouse classifies with (contracts/vocabulary.yaml) are not
the generator's phrase list. Truth: each order's true event type and place (truth table
`hotline_reports`), the organisation it names, and the incident it reports.

The planted high-risk restaurants draw repeated complaints (REPEAT_SHARE): the risk the
registers see only when an inspection fails.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

from pipelines.sample_city import corruptions as broken
from pipelines.sample_city.delivery import DAY, Batch, DateStyle, FeedSpec
from pipelines.sample_city.feeds.common import (
    PLACE_COLUMNS,
    Context,
    batch,
    links,
    org_view,
    places_at,
    residents,
    schedule,
    sequence_ids,
    start_rows,
)
from pipelines.sample_city.feeds.reported_incidents import report_links, reported
from pipelines.sample_city.feeds.traffic_police import street_places
from pipelines.sample_city.world import where_or_null

DEPARTMENT = "citizen_hotline"
CALL_TIMES = DateStyle("%Y-%m-%d %H:%M:%S", ["%Y/%m/%d %H:%M"])

# What a caller says, by the event type it is. `{unit}` is the organisation the caller names,
# `{road}` the road; a body without `{unit}` fits any place.
BODIES: dict[str, tuple[str, ...]] = {
    "food_safety_complaint": (
        "在{unit}吃完饭后全家都拉肚子",
        "昨天在{unit}吃了晚饭，夜里开始呕吐腹泻",
        "{unit}卖的卤菜有一股馊味",
        "{unit}后厨苍蝇乱飞，卫生状况很差",
        "怀疑{unit}在用过期的食材",
        "在{unit}点的外卖里吃出了头发",
        "{unit}的碗筷很不干净，上面还有油渍",
        "{unit}的服务员都没有健康证",
        "{unit}的菜里吃出了异物",
        "在{unit}买的面包已经发霉了",
        "吃了{unit}的凉菜以后上吐下泻，去医院说是食物中毒",
        "看到{unit}厨房里有老鼠跑",
    ),
    "fire_hazard_complaint": (
        "{unit}的消防通道被车辆堵死了",
        "{unit}的安全出口被锁住，担心万一着火人跑不出去",
        "{unit}门口堆满了纸箱等易燃物品",
        "{unit}的灭火器都已经过期了",
        "{unit}的疏散通道堆放了大量杂物",
        "{road}有住户从楼上飞线给电瓶车充电",
        "{road}那栋楼的楼道里停满了电动车在充电",
        "{road}的小区有人私拉电线到楼下充电",
        "{unit}的消防栓被围挡圈起来用不了",
    ),
    "pollution_complaint": (
        "{unit}的油烟直排，楼上住户没法开窗",
        "{unit}每天排放黑烟，气味刺鼻",
        "{unit}晚上偷偷往河里排污水",
        "{unit}周边有很重的恶臭",
        "{unit}的粉尘太大，附近车上全是灰",
        "{road}的工地夜间施工，噪音扰民",
        "{road}有人露天焚烧垃圾",
        "{unit}的机器噪声很大，晚上睡不着",
        "{unit}那边一直有股化学品的异味",
    ),
    "gas_leak_report": (
        "{road}一带闻到很浓的燃气味",
        "{road}的燃气管道好像漏气了",
        "{unit}把液化气罐放在门口，担心泄漏",
        "{road}的小区里天然气味道很重",
        "{road}路边有煤气味，怕出事",
    ),
    "waterlogging_report": (
        "{road}的下穿隧道积水很深，车过不去",
        "一下雨{road}就积水严重",
        "{road}的井盖不见了，很危险",
        "{road}的下水道堵了，雨水排不出去",
        "暴雨以后{road}的小区车库被淹了",
        "{road}路面积水已经到膝盖了",
    ),
    "citizen_report": (
        "咨询社保卡补办需要带什么材料",
        "反映{road}的路灯晚上不亮",
        "投诉小区物业乱收停车费",
        "反映公交车在{road}站不停靠",
        "咨询居住证怎么办理",
        "反映{road}的垃圾好几天没人清运",
        "建议在{road}增加一条公交线路",
        "咨询医保异地报销的政策",
        "投诉快递员不送货上门",
        "反映{road}的人行道地砖破损",
    ),
    "fire": (
        "{road}那边着火了，浓烟很大",
        "看到{road}有一栋房子在冒烟",
        "{road}附近失火了，能看到明火",
        "{road}的楼上起火了，请快派人来",
        "{road}好像发生了火灾，火光很大",
    ),
    "traffic_accident": (
        "{road}发生车祸，有人受伤",
        "{road}两辆车撞了，把路都堵住了",
        "{road}有车追尾，司机在吵架",
        "看到{road}一个骑车的人被撞了，躺在地上",
        "{road}有辆货车侧翻了",
    ),
}
# Now and then (OWN_WORDS_RATE) a caller says it in words no keyword list foresees, or in
# another kind's words (a gas bill, a charging pile).
OWN_WORDS: dict[str, tuple[str, ...]] = {
    "food_safety_complaint": ("吃了{unit}的东西以后一直肚子疼，浑身不舒服",),
    "fire_hazard_complaint": (
        "{unit}把楼梯间封起来当仓库用",
        "{road}那栋楼有住户把煤气罐放在楼道里",
    ),
    "pollution_complaint": ("{unit}晚上排出来的水是黄色的",),
    "gas_leak_report": ("{road}地下的管子一直嘶嘶响，有股怪味",),
    "waterlogging_report": ("一下大雨{road}就成了河，车都熄火了",),
    "citizen_report": (
        "反映{road}小区的燃气费收得不合理",
        "投诉{road}的充电桩收费太贵",
        "咨询消防员招聘的报名条件",
    ),
    "fire": ("{road}有户人家着了，烟从窗户里往外冒",),
    "traffic_accident": ("{road}一辆电动车和小轿车碰了，骑车的人摔了",),
}
OWN_WORDS_RATE = 0.05
OPENINGS = (
    "市民来电反映：",
    "来电人称，",
    "市民反映",
    "来电反映：",
    "市民投诉：",
    "来电人表示",
    "",
)
TIMES = (
    "近一周以来",
    "从昨天晚上开始",
    "今天早上",
    "最近几天",
    "已经一个多月了，",
    "每天晚上",
    "",
    "",
)
REQUESTS = (
    "请相关部门尽快处理。",
    "希望有关部门核实处理。",
    "要求查处。",
    "请尽快派人来看看。",
    "已多次反映未果，请求督办。",
    "。",
)
# Words callers say one way or another (the first is the bodies'), swapped in at SYNONYM_RATE.
SYNONYMS = {
    "拉肚子": ("闹肚子", "腹泻"),
    "呕吐": ("吐",),
    "噪音": ("噪声", "吵闹声"),
    "车祸": ("交通事故", "出了事故"),
    "着火": ("起火", "烧起来"),
    "积水": ("水很深", "内涝"),
    "异味": ("怪味", "臭味"),
    "电瓶车": ("电动车",),
    "井盖": ("窨井盖",),
}
SYNONYM_RATE = 0.3
# Where a caller says the place is, after the address.
QUALIFIERS = ("", "", "附近", "旁边", "对面", "门口", "楼下", "一带")

# Share of the complaints of each type, the organisations it is about, and whether it may
# instead be about a street place (no organisation named).
KINDS = (
    ("food_safety_complaint", 0.16, ("restaurant",), False),
    ("fire_hazard_complaint", 0.12, ("restaurant", "mall", "manufacturing", "logistics"), True),
    (
        "pollution_complaint",
        0.14,
        ("restaurant", "chemical", "manufacturing", "construction"),
        True,
    ),
    ("gas_leak_report", 0.06, ("restaurant",), True),
    ("waterlogging_report", 0.10, (), True),
    ("citizen_report", 0.42, (), True),
)
REPEAT_SHARE = 0.25  # of the complaints about organisations: about a high-risk restaurant
ONLY_A_ROAD = 0.04  # the caller names only the road: the order cannot be placed closer
NO_COUNTY = 0.10  # the operator could not tell the county
STATUSES = ("已办结", "办理中", "已回访")

REPORTS = FeedSpec(
    DEPARTMENT,
    "hotline_reports",
    "jsonl",
    key="orderNo",
    dates={"callTime": CALL_TIMES},
    corruptions=[
        broken.future_date("callTime"),
        broken.unknown_admin_code("areaCode"),
        broken.required_missing("content"),
        broken.pattern_mismatch("orderNo"),
    ],
    drift_renames={"content": "appealContent", "eventAddress": "address"},
    drift_added_column="remark",
)

SPECS = [REPORTS]


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    yield REPORTS, hotline_reports(ctx)


def hotline_reports(ctx: Context) -> Batch:
    rng = ctx.rng_for("hotline_reports")
    complaints = _complaints(ctx, rng)
    incidents = reported(ctx, rng, ctx.config.overlap.incident_to_12345, minutes=(5, 60)).select(
        *PLACE_COLUMNS,
        "event_type",
        pl.col("reported_at").alias("event_time"),
        DAY,
        "late",
        pl.lit(None, pl.String).alias("org_id"),
        pl.lit(None, pl.String).alias("unit"),
        "incident_id",
    )
    reports = pl.concat([complaints, incidents], how="diagonal_relaxed").sort("event_time")
    n = reports.height
    content = _content(reports, rng)
    address, only_road = _caller_addresses(reports, rng)
    callers = residents(ctx, rng, n)
    county_known = rng.random(n) >= NO_COUNTY
    rows = pl.DataFrame(
        {
            "orderNo": sequence_ids("12345", reports["event_time"].dt.date()),
            "callTime": reports["event_time"],
            "callerName": callers["name"],
            "callerPhone": callers["phone"],
            "content": content,
            "eventAddress": address,
            "areaCode": where_or_null(county_known, reports["county_code"]),
            "reportedUnit": reports["unit"],
            "handlingUnit": reports["county_name"] + "12345工作站",
            "status": pl.Series(np.array(STATUSES)[rng.integers(0, len(STATUSES), n)]),
            DAY: reports[DAY],
            "place_id": reports["place_id"],
            "org_id": reports["org_id"],
            "incident_id": reports["incident_id"],
        }
    )
    rows = start_rows(rows, late_arrival=reports["late"].to_numpy())
    result = batch(
        rows,
        links(rows, "place", "place_id", "incident_site"),
        links(rows, "organisation", "org_id", "reported_unit"),
        report_links(rows),
        drop=["place_id", "org_id", "incident_id"],
    )
    # What each order truly is, and whether its address can place it at all.
    result.truth_tables["hotline_reports"] = pl.DataFrame(
        {
            "order_no": rows["orderNo"],
            "event_type": reports["event_type"],
            "place_id": reports["place_id"],
            "township_code": reports["township_code"],
            "only_road": pl.Series(only_road),
        }
    )
    return result


def _complaints(ctx: Context, rng: np.random.Generator) -> pl.DataFrame:
    """The complaints of a day: their type, place, and the organisation named (if any)."""
    events = schedule(rng, ctx, ctx.config.scale.hotline_reports, ctx.config.noise.late_arrival)
    n = events.height
    kind = rng.choice(len(KINDS), n, p=[k[1] for k in KINDS])
    orgs = org_view(ctx.world)
    streets = street_places(ctx.world)
    street = streets[rng.integers(0, streets.height, n)].select(PLACE_COLUMNS)
    unit_ids = np.full(n, None, dtype=object)
    for i, (_, _, org_kinds, street_too) in enumerate(KINDS):
        mine = np.flatnonzero(kind == i)
        candidates = orgs.filter(pl.col("kind").is_in(list(org_kinds)))["org_id"].to_numpy()
        if not len(mine) or not len(candidates):
            continue
        about_org = rng.random(len(mine)) < (0.6 if street_too else 1.0)
        unit_ids[mine[about_org]] = candidates[rng.integers(0, len(candidates), about_org.sum())]
    # The planted high-risk restaurants (they fail inspections too) draw a share of the
    # complaints about organisations: what a repeated-complaints rule should find.
    named = np.flatnonzero(unit_ids != None)  # noqa: E711 (numpy element-wise)
    repeat = orgs.filter((pl.col("kind") == "restaurant") & pl.col("high_risk"))[
        "org_id"
    ].to_numpy()
    if len(named) and len(repeat):
        again = named[rng.random(len(named)) < REPEAT_SHARE]
        unit_ids[again] = repeat[rng.integers(0, len(repeat), len(again))]
        kind[again] = 0  # food complaints: the repeat targets are restaurants
    units = pl.DataFrame({"org_id": pl.Series(unit_ids.tolist(), dtype=pl.String)}).join(
        orgs.select("org_id", "name", "place_id"), on="org_id", how="left", maintain_order="left"
    )
    at_unit = units["org_id"].is_not_null().to_numpy()
    unit_places = units.select("place_id").join(
        ctx.world.places.select(PLACE_COLUMNS), on="place_id", how="left", maintain_order="left"
    )
    places = places_at(at_unit, unit_places, street)
    return pl.concat(
        [
            places.drop("lon", "lat"),
            pl.DataFrame(
                {
                    "event_type": pl.Series(np.array([k[0] for k in KINDS])[kind]),
                    "event_time": events["event_time"],
                    DAY: events[DAY],
                    "late": events["late"],
                    "org_id": units["org_id"],
                    "unit": units["name"],
                    "incident_id": pl.Series([None] * n, dtype=pl.String),
                }
            ),
        ],
        how="horizontal",
    )


def _content(reports: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """What the operator wrote down: an opening, when, what, and what the caller asks for."""
    texts = []
    for event_type, unit, road in zip(
        reports["event_type"], reports["unit"], reports["road"], strict=True
    ):
        own_words = rng.random() < OWN_WORDS_RATE
        bodies = OWN_WORDS[event_type] if own_words else BODIES[event_type]
        fitting = [b for b in bodies if "{unit}" not in b] if unit is None else bodies
        fitting = fitting or [b for b in BODIES[event_type] if "{unit}" not in b]
        body = fitting[rng.integers(0, len(fitting))]
        for word, others in SYNONYMS.items():
            if word in body and rng.random() < SYNONYM_RATE:
                body = body.replace(word, others[rng.integers(0, len(others))])
        body = body.format(unit=unit, road=road)
        texts.append(
            OPENINGS[rng.integers(0, len(OPENINGS))]
            + TIMES[rng.integers(0, len(TIMES))]
            + body
            + "，"
            + REQUESTS[rng.integers(0, len(REQUESTS))]
        )
    return pl.Series(texts).str.replace("，。$", "。")


def _caller_addresses(
    reports: pl.DataFrame, rng: np.random.Generator
) -> tuple[pl.Series, np.ndarray]:
    """The place as a caller gives it: the county (or not), sometimes the township, the road
    and number in digits or Chinese numerals, and where near it; now and then only the road."""
    n = reports.height
    with_county = rng.random(n) < 0.7
    with_township = rng.random(n) < 0.2
    only_road = rng.random(n) < ONLY_A_ROAD
    qualifier = np.array(QUALIFIERS)[rng.integers(0, len(QUALIFIERS), n)]
    frame = reports.select("county_name", "township_name", "road", "house_number").with_columns(
        county=pl.when(pl.Series(with_county)).then("county_name").otherwise(pl.lit("")),
        township=pl.when(pl.Series(with_township)).then("township_name").otherwise(pl.lit("")),
        qualifier=pl.Series(qualifier),
        only_road=pl.Series(only_road),
    )
    address = frame.select(
        pl.when("only_road")
        .then(pl.col("county") + pl.col("road") + pl.lit("附近"))
        .otherwise(
            pl.col("county")
            + pl.col("township")
            + pl.col("road")
            + pl.col("house_number").cast(pl.String)
            + pl.lit("号")
            + pl.col("qualifier")
        )
    ).to_series()
    return address, only_road
