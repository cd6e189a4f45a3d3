"""Standard addresses: province / city / county / township / road / number, however a clerk typed it.

Departments write one address many ways: with or without the province and the city (四川省,
成都市 or 成都: the city profile's names and short names), the county, the township; the
house number in digits, full-width digits or Chinese numerals (二百六十六号). The standard form
keeps the parts that identify a place, the county (from the address, else from the record's
county code), the road and the number, and the township when the address names one. What a
caller adds after the number (附近, 对面, 门口 ...) is dropped: the number is the place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from pipelines.lib.standards.text import half_width_expr

if TYPE_CHECKING:  # standards sit below the city profile: they take one, never load it
    from pipelines.lib.city_profile import CityProfile

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMBER = r"([0-9]+|[零〇一二两三四五六七八九十百千]+)号"
# Where near the place a caller says it is ("12号附近", "12号对面"): the place is the number's.
_NEAR = r"(附近|旁边|对面|门口|门前|楼下|一带|周边)$"

STANDARD_ADDRESS_SCHEMA = {
    "county_code": pl.String,
    "township_code": pl.String,
    "road": pl.String,
    "house_number": pl.Int64,
    "standard_address": pl.String,
}


def chinese_number(text: str) -> int | None:
    """二百六十六 -> 266, 三百零五 -> 305, 十二 -> 12; digits pass through; None if not a number."""
    if text.isdigit():
        return int(text)
    total, digit = 0, None
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        else:
            return None
    return total + (digit or 0)


def _divisions(city: CityProfile) -> tuple[pl.DataFrame, pl.DataFrame]:
    counties = city.counties().select(
        pl.col("code").alias("named_county"), pl.col("name").alias("county_name")
    )
    streets = city.townships().select(
        pl.col("code").alias("township_code"),
        pl.col("name").alias("township_name"),
        pl.col("areaCode").alias("county_code"),
    )
    return counties, streets


def _prefix_pattern(city: CityProfile) -> str:
    """The province, then the city, each optional: ^(四川省|四川)?(成都市|成都)?"""
    return "^({})?({})?".format("|".join(city.province_prefixes), "|".join(city.city_prefixes))


def standardise_addresses(addresses: pl.DataFrame, city: CityProfile) -> pl.DataFrame:
    """For each row of (address, county_code): the standard parts (STANDARD_ADDRESS_SCHEMA), null where unparsed.

    The result has the input's rows in the input's order, plus the standard columns; counties and
    townships are the city's, and a standard address starts with `city.address_prefix`.
    """
    counties, streets = _divisions(city)
    frame = addresses.with_row_index("_row").with_columns(
        half_width_expr(pl.col("address"))
        .str.replace_all(r"\s", "")
        .str.replace(_prefix_pattern(city), "")
        .str.replace(_NEAR, "")
        .alias("_rest")
    )
    # The county the address names (the longest name it starts with), else the record's.
    named = (
        frame.select("_row", "_rest")
        .join(counties, how="cross")
        .filter(pl.col("_rest").str.starts_with(pl.col("county_name")))
        .sort("_row", pl.col("county_name").str.len_chars(), descending=[False, True])
        .unique("_row", keep="first")
    )
    frame = frame.join(
        named.select("_row", "named_county", "county_name"), on="_row", how="left"
    ).with_columns(
        pl.coalesce("named_county", "county_code").alias("_county"),
        pl.when(pl.col("county_name").is_not_null())
        .then(pl.col("_rest").str.slice(pl.col("county_name").str.len_chars()))
        .otherwise("_rest")
        .alias("_rest"),
    )
    in_township = (
        frame.select("_row", "_rest", "_county")
        .join(streets, left_on="_county", right_on="county_code")
        .filter(pl.col("_rest").str.starts_with(pl.col("township_name")))
        .sort("_row", pl.col("township_name").str.len_chars(), descending=[False, True])
        .unique("_row", keep="first")
    )
    frame = frame.join(
        in_township.select("_row", "township_code", "township_name"), on="_row", how="left"
    ).with_columns(
        pl.when(pl.col("township_name").is_not_null())
        .then(pl.col("_rest").str.slice(pl.col("township_name").str.len_chars()))
        .otherwise("_rest")
        .alias("_rest"),
    )
    numbers = frame["_rest"].str.extract(_NUMBER + "$").unique().drop_nulls()
    number_values = pl.DataFrame(
        {"_number_text": numbers, "house_number": [chinese_number(n) for n in numbers.to_list()]},
        schema={"_number_text": pl.String, "house_number": pl.Int64},
    )
    parsed = (
        frame.with_columns(
            pl.col("_rest").str.extract("^(.+?)" + _NUMBER + "$", 1).alias("road"),
            pl.col("_rest").str.extract(_NUMBER + "$").alias("_number_text"),
        )
        .join(number_values, on="_number_text", how="left")
        .join(
            counties.rename({"named_county": "_county", "county_name": "_county_name"}),
            on="_county",
            how="left",
        )
    )
    ok = (
        pl.col("road").is_not_null()
        & pl.col("house_number").is_not_null()
        & pl.col("_county_name").is_not_null()
    )
    return parsed.sort("_row").select(
        *addresses.columns,
        pl.when(ok).then(pl.col("_county")).alias("standard_county_code"),
        pl.when(ok).then(pl.col("township_code")).alias("standard_township_code"),
        pl.when(ok).then(pl.col("road")).alias("road"),
        pl.when(ok).then(pl.col("house_number")).alias("house_number"),
        pl.when(ok)
        .then(
            pl.concat_str(
                [
                    pl.lit(city.address_prefix),
                    pl.col("_county_name"),
                    pl.col("township_name").fill_null(""),
                    pl.col("road"),
                    pl.col("house_number").cast(pl.String),
                    pl.lit("号"),
                ]
            )
        )
        .alias("standard_address"),
    )
