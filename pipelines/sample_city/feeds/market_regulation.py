"""Market regulation: food business licences, food inspections, food sampling.

Delivered as GBK (strictly GB 18030, its superset) CSV with Chinese headers, dates like 2026/3/7, results
符合 / 基本符合 / 不符合, legal representatives' identity numbers masked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import polars as pl

from pipelines.lib.standards.identifiers import mask_identity_number
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
from pipelines.sample_city.vocabulary import (
    FOOD_CATEGORIES,
    FOOD_FAILED_ITEMS,
    FOOD_RESULT_WEIGHTS,
    FOOD_RESULTS,
    GIVEN_FEMALE,
    GIVEN_MALE,
    SURNAMES,
)

DEPARTMENT = "market_regulation"
MR_DATES = DateStyle("%Y/%-m/%-d", ["%Y-%m-%d", "%Y年%-m月%-d日", "%Y%m%d"])

LICENCES = FeedSpec(
    DEPARTMENT,
    "food_business_licences",
    "csv",
    key="许可证编号",
    encoding="gb18030",
    dates={"发证日期": MR_DATES, "有效期至": MR_DATES},
    corruptions=[
        broken.pattern_mismatch("许可证编号"),
        broken.uscc_check("社会信用代码"),
        broken.required_missing("经营者名称"),
        broken.unknown_admin_code("区划代码"),
        broken.future_date("发证日期"),
    ],
    drift_renames={"经营者名称": "经营者名称(单位名称)", "联系电话": "联系方式"},
    drift_added_column="备注",
)
INSPECTIONS = FeedSpec(
    DEPARTMENT,
    "food_inspections",
    "csv",
    key="检查编号",
    encoding="gb18030",
    dates={"检查日期": MR_DATES},
    corruptions=[
        broken.not_in_enumeration("检查结果", ["合格", "待复查", "通过"]),
        broken.future_date("检查日期"),
        broken.pattern_mismatch("许可证编号"),
        broken.required_missing("检查编号"),
        broken.unknown_admin_code("区划代码"),
    ],
    drift_renames={"检查结果": "检查结论", "经营地址": "经营场所"},
    drift_added_column="备注",
)
SAMPLING = FeedSpec(
    DEPARTMENT,
    "food_sampling",
    "csv",
    key="抽样单号",
    encoding="gb18030",
    dates={"抽样日期": MR_DATES},
    corruptions=[
        broken.not_in_enumeration("检验结论", ["合格", "不合格", "待检"]),
        broken.future_date("抽样日期"),
        broken.required_missing("被抽样单位名称"),
        broken.pattern_mismatch("许可证编号"),
    ],
    drift_renames={"食品名称": "样品名称"},
    drift_added_column="备注",
)

SPECS = [LICENCES, INSPECTIONS, SAMPLING]


def inspectors(rng: np.random.Generator, n: int) -> pl.Series:
    """Two officers per visit, as the form records them (张伟、李娜)."""
    given = np.array(GIVEN_MALE + GIVEN_FEMALE)
    surnames = np.array(SURNAMES)
    one = np.char.add(
        surnames[rng.integers(0, len(surnames), n)], given[rng.integers(0, len(given), n)]
    )
    two = np.char.add(
        surnames[rng.integers(0, len(surnames), n)], given[rng.integers(0, len(given), n)]
    )
    return pl.Series(np.char.add(np.char.add(one, "、"), two))


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    restaurants = org_view(ctx.world).filter(pl.col("kind") == "restaurant")
    yield LICENCES, licences(ctx, restaurants)
    yield INSPECTIONS, inspections(ctx, restaurants)
    yield SAMPLING, sampling(ctx, restaurants)


def licences(ctx: Context, shops: pl.DataFrame) -> Batch:
    rng = ctx.rng_for("food_business_licences")
    n = shops.height
    day = registry_days(rng, ctx, n, initial_share=0.85)
    # Licences in the first extract were issued in the last five years; later ones just before delivery.
    issued = np.where(
        day == np.datetime64(ctx.days[0]),
        day - rng.integers(1, 5 * 365, n).astype("timedelta64[D]"),
        day - rng.integers(0, 4, n).astype("timedelta64[D]"),
    )
    names, name_noise = messy_names(shops["name"], rng, ctx)
    address, address_noise = messy_addresses(shops, rng, ctx, style="city")
    credit_code, uscc_missing = missing(shops["uscc"], rng, ctx.config.noise.missing_uscc)
    rows = pl.DataFrame(
        {
            "许可证编号": shops["licence_no"],
            "经营者名称": names,
            "社会信用代码": credit_code,
            "法定代表人（负责人）": shops["rep_name"],
            "身份证号码": pl.Series(mask_identity_number(shops["rep_id_number"].to_numpy())),
            "经营场所": address,
            "主体业态": shops["business_type"],
            "经营项目": pl.Series(
                np.array(["热食类食品制售", "冷食类食品制售", "预包装食品销售", "散装食品销售"])[
                    rng.integers(0, 4, n)
                ]
            ),
            "区划代码": shops["county_code"],
            "发证日期": pl.Series(issued).cast(pl.Date),
            "有效期至": (pl.Series(issued).cast(pl.Date) + timedelta(days=5 * 365)),
            "联系电话": shops["phone"],
            "日常监督管理机构": shops["county_name"] + "市场监督管理局",
            DAY: pl.Series(day).cast(pl.Date),
            "org_id": shops["org_id"],
            "place_id": shops["place_id"],
            "person_id": shops["legal_rep_person_id"],
        }
    )
    rows = start_rows(
        rows,
        **name_noise,
        **address_noise,
        missing_uscc=uscc_missing,
        masked_identity=np.ones(n, bool),
    )
    return batch(
        rows,
        links(rows, "organisation", "org_id", "licensee"),
        links(rows, "place", "place_id", "premises"),
        links(rows, "person", "person_id", "legal_representative"),
        drop=["org_id", "place_id", "person_id"],
    )


def _visits(
    ctx: Context, rng: np.random.Generator, shops: pl.DataFrame, per_day: int
) -> pl.DataFrame:
    """Which shop each visit goes to: high-risk organisations are visited (and fail) more often."""
    events = schedule(rng, ctx, per_day, ctx.config.noise.late_arrival)
    weights = np.where(shops["high_risk"].to_numpy(), 20.0, 1.0)
    chosen = rng.choice(shops.height, events.height, p=weights / weights.sum())
    return pl.concat([events, shops[chosen]], how="horizontal")


def inspections(ctx: Context, shops: pl.DataFrame) -> Batch:
    rng = ctx.rng_for("food_inspections")
    visits = _visits(ctx, rng, shops, ctx.config.scale.food_inspections)
    n = visits.height
    result = np.array(FOOD_RESULTS)[rng.choice(3, n, p=FOOD_RESULT_WEIGHTS)]
    result = np.where(visits["high_risk"].to_numpy() & (rng.random(n) < 0.7), "不符合", result)
    names, name_noise = messy_names(visits["name"], rng, ctx)
    address, address_noise = messy_addresses(visits, rng, ctx, style="city")
    problems = np.array(
        [
            "后厨卫生不达标",
            "从业人员健康证过期",
            "原料索证索票不全",
            "餐具消毒不到位",
            "冷藏设施温度异常",
        ]
    )
    rows = pl.DataFrame(
        {
            "检查编号": sequence_ids("JC", visits["event_time"].dt.date()),
            "许可证编号": visits["licence_no"],
            "经营者名称": names,
            "经营地址": address,
            "区划代码": visits["county_code"],
            "检查日期": visits["event_time"].dt.date(),
            "检查结果": pl.Series(result),
            "问题描述": pl.Series(
                np.where(result == "符合", "", problems[rng.integers(0, len(problems), n)])
            ),
            "检查人员": inspectors(rng, n),
            DAY: visits[DAY],
            "org_id": visits["org_id"],
            "place_id": visits["place_id"],
        }
    )
    rows = start_rows(rows, **name_noise, **address_noise, late_arrival=visits["late"].to_numpy())
    return batch(
        rows,
        links(rows, "organisation", "org_id", "inspected"),
        links(rows, "place", "place_id", "inspected_premises"),
        drop=["org_id", "place_id"],
    )


def sampling(ctx: Context, shops: pl.DataFrame) -> Batch:
    rng = ctx.rng_for("food_sampling")
    visits = _visits(ctx, rng, shops, ctx.config.scale.food_samples)
    n = visits.height
    category = rng.integers(0, len(FOOD_CATEGORIES), n)
    failed = (rng.random(n) < 0.06) | (visits["high_risk"].to_numpy() & (rng.random(n) < 0.5))
    names, name_noise = messy_names(visits["name"], rng, ctx)
    licence, licence_missing = missing(visits["licence_no"], rng, 0.3)  # samplers often skip it
    rows = pl.DataFrame(
        {
            "抽样单号": sequence_ids("CY", visits["event_time"].dt.date()),
            "被抽样单位名称": names,
            "许可证编号": licence,
            "食品名称": pl.Series([FOOD_CATEGORIES[i][1] for i in category]),
            "食品类别": pl.Series([FOOD_CATEGORIES[i][0] for i in category]),
            "抽样日期": visits["event_time"].dt.date(),
            "区划代码": visits["county_code"],
            "检验结论": pl.Series(np.where(failed, "不符合", "符合")),
            "不合格项目": pl.Series(
                np.where(
                    failed,
                    np.array(FOOD_FAILED_ITEMS)[rng.integers(0, len(FOOD_FAILED_ITEMS), n)],
                    "",
                )
            ),
            DAY: visits[DAY],
            "org_id": visits["org_id"],
        }
    )
    rows = start_rows(
        rows, **name_noise, late_arrival=visits["late"].to_numpy(), missing_licence=licence_missing
    )
    return batch(rows, links(rows, "organisation", "org_id", "sampled"), drop=["org_id"])
