"""Silo problems, applied to whole columns at once.

Each function takes the clean values and a seeded generator, and returns the
messy values plus the mask of rows it changed, so the ground truth can record
exactly which rows carry which problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from pipelines.lib.city_profile import CityProfile
from pipelines.sample_city.geography import CHINESE_NUMERALS
from pipelines.sample_city.vocabulary import FULL_WIDTH_DIGITS, TYPO_CHARS

if TYPE_CHECKING:
    # A when/then chain: Then after the first .then(), ChainedThen after the next ones.
    from polars.expr.whenthen import ChainedThen, Then


def chosen(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    return rng.random(n) < rate


def name_variants(
    names: pl.Series, rng: np.random.Generator, rate: float, city: CityProfile
) -> tuple[pl.Series, np.ndarray]:
    """The same organisation as another clerk types it: legal form, brackets, spaces, the
    province or city prefix dropped (e.g. 浙江省, 温州市: the city's names).

    A chosen row always changes: starting from a random variant, the first one
    that alters this name is used (a space after the first two characters always does).
    """
    n = len(names)
    name = pl.col("name")
    variants = [
        pl.when(name.str.contains("有限责任公司"))
        .then(name.str.replace("有限责任公司", "有限公司", literal=True))
        .otherwise(name.str.replace("有限公司", "有限责任公司", literal=True)),
        pl.when(name.str.contains("（"))
        .then(name.str.replace_many(["（", "）"], ["(", ")"]))
        .otherwise(name.str.replace(r"公司(.+(分店|分公司))$", "公司（$1）")),
        name.str.replace("^(" + "|".join(city.name_prefixes) + ")", ""),
        name.str.replace(r"(有限责任公司|股份有限公司|有限公司)$", "公司"),
        name.str.slice(0, 2) + " " + name.str.slice(2),
    ]
    start = pl.col("start")
    candidates = []
    for offset in range(len(variants)):
        rotated: Then | ChainedThen = pl.when(start == 0).then(variants[offset % len(variants)])
        for first in range(1, len(variants)):
            rotated = rotated.when(start == first).then(variants[(first + offset) % len(variants)])
        candidates.append(pl.when(rotated != name).then(rotated))
    frame = pl.DataFrame(
        {"name": names, "start": rng.integers(0, len(variants), n), "apply": chosen(rng, n, rate)}
    )
    out = frame.select(
        pl.when("apply").then(pl.coalesce(candidates)).otherwise(name).alias("name")
    )["name"]
    return out, (out != names).fill_null(False).to_numpy()


def typos(names: pl.Series, rng: np.random.Generator, rate: float) -> tuple[pl.Series, np.ndarray]:
    """One character replaced by a look-alike, after the first two (city prefixes are rarely mistyped)."""
    n = len(names)
    length = names.str.len_chars().to_numpy()
    position = 2 + (rng.random(n) * np.maximum(length - 2, 1)).astype(np.int64)
    replacement = np.array(TYPO_CHARS)[rng.integers(0, len(TYPO_CHARS), n)]
    frame = pl.DataFrame(
        {
            "name": names,
            "pos": position,
            "char": replacement,
            "apply": chosen(rng, n, rate) & (length > 3),
        }
    )
    out = frame.select(
        pl.when("apply")
        .then(
            pl.col("name").str.slice(0, pl.col("pos"))
            + pl.col("char")
            + pl.col("name").str.slice(pl.col("pos") + 1)
        )
        .otherwise("name")
        .alias("name")
    )["name"]
    return out, (out != names).to_numpy()


def addresses(
    places: pl.DataFrame, rng: np.random.Generator, rate: float, style: str, city: CityProfile
) -> tuple[pl.Series, np.ndarray]:
    """Render a place's address in a department's style, with per-row variants.

    style: "full" (province ... number), "city" (the city, e.g. 温州市, + county + road +
    number, the usual clerk's form), "county" (county + road + number). Variants add or drop
    the city, drop the county (its short name only, e.g. 温州), add the township, write the
    number in Chinese numerals or full-width digits; each one changes the text.
    """
    n = places.height
    apply = chosen(rng, n, rate)
    variant = rng.integers(0, 5, n)
    number = places["house_number"].to_numpy()
    number_text = np.where(
        apply & (variant == 3),
        CHINESE_NUMERALS[number],
        number.astype(str),
    )
    frame = places.select("county_name", "township_name", "road").with_columns(
        number=pl.Series(number_text),
        variant=pl.Series(np.where(apply, variant, -1)),
    )
    base = {
        "full": pl.lit(city.address_prefix) + pl.col("county_name") + pl.col("township_name"),
        "city": pl.lit(city.name) + pl.col("county_name"),
        "county": pl.col("county_name"),
    }[style]
    tail = pl.col("road") + pl.col("number") + pl.lit("号")
    variant_column = pl.col("variant")
    shorter_or_longer = (
        pl.lit(city.name) + pl.col("county_name") if style == "county" else pl.col("county_name")
    )
    rendered = (
        pl.when(variant_column == 0)
        .then(shorter_or_longer + tail)  # the city added or dropped
        .when(variant_column == 1)
        .then(pl.lit(city.name) + pl.col("county_name") + pl.col("township_name") + tail)
        .when(variant_column == 2)
        .then(pl.lit(city.short_name) + tail)  # county dropped: ambiguous on purpose
        .when(variant_column == 4)
        .then((base + tail).str.replace_many(list("0123456789"), list(FULL_WIDTH_DIGITS)))
        .otherwise(base + tail)
    )
    out = frame.select(rendered.alias("address"))["address"]
    return out, apply


def date_strings(
    values: pl.Series,
    rng: np.random.Generator,
    rate: float,
    primary: str,
    alternates: list[str],
    timezone: str,
) -> tuple[pl.Series, np.ndarray]:
    """Dates or datetimes formatted the department's way, some rows in another of its formats.

    Times are local to the city; a format with an offset (`%:z`) writes the offset of
    `timezone`, the city's."""
    n = len(values)
    if values.dtype == pl.Datetime and any("%:z" in fmt for fmt in [primary, *alternates]):
        values = values.dt.replace_time_zone(timezone)
    apply = chosen(rng, n, rate if alternates else 0.0) & values.is_not_null().to_numpy()
    which = np.where(apply, rng.integers(0, max(len(alternates), 1), n), -1)
    frame = pl.DataFrame({"value": values, "which": which})
    expression: Then | ChainedThen = pl.when(pl.col("which") == -1).then(
        pl.col("value").dt.strftime(primary)
    )
    for index, fmt in enumerate(alternates):
        expression = expression.when(pl.col("which") == index).then(
            pl.col("value").dt.strftime(fmt)
        )
    return frame.select(expression.alias("value"))["value"], apply
