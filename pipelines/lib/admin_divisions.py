"""Administrative divisions (GB/T 2260 counties and 9-digit township codes).

The tables are copied from shared/reference into `pipelines/reference/` so a
clone of the repository has them; nothing reads shared/ at run time.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import polars as pl


def _reference_csv(name: str) -> pl.DataFrame:
    source = files("pipelines.reference").joinpath("admin_divisions", name)
    # Codes are identifiers, never numbers: read every column as text.
    return pl.read_csv(source.read_bytes(), infer_schema=False)


@cache
def provinces() -> pl.DataFrame:
    """code (2 digits), name."""
    return _reference_csv("provinces.csv")


@cache
def cities() -> pl.DataFrame:
    """code (4 digits), name, provinceCode."""
    return _reference_csv("cities.csv")


@cache
def counties() -> pl.DataFrame:
    """code (6 digits, GB/T 2260), name, cityCode, provinceCode."""
    return _reference_csv("areas.csv")


@cache
def townships() -> pl.DataFrame:
    """code (9 digits), name, areaCode, provinceCode, cityCode."""
    return _reference_csv("streets.csv")


def city_counties(city_code: str) -> pl.DataFrame:
    return counties().filter(pl.col("cityCode") == city_code).sort("code")


def city_townships(city_code: str) -> pl.DataFrame:
    return townships().filter(pl.col("cityCode") == city_code).sort("code")


# Reference rows that are no prefecture-level city: county-level cities a province governs
# directly. A municipality's districts (市辖区) and counties (县) are the municipality itself.
_NOT_A_CITY = frozenset({"省直辖县级行政区划", "自治区直辖县级行政区划"})
_MUNICIPALITY_PARTS = frozenset({"市辖区", "县"})
# The endings a name is shortened by (四川省 -> 四川, 成都市 -> 成都), longest first; an
# autonomous prefecture is shortened before its peoples (凉山彝族自治州 -> 凉山).
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市", "地区", "盟")
_PEOPLES = (
    "朝鲜族", "土家族", "苗族", "藏族", "羌族", "彝族", "布依族", "侗族", "哈尼族", "壮族", "傣族",
    "白族", "景颇族", "傈僳族", "回族", "蒙古", "柯尔克孜", "哈萨克",
)  # fmt: skip


def province_name(province_code: str) -> str | None:
    found = provinces().filter(pl.col("code") == province_code)["name"]
    return found[0] if len(found) else None


def city_name(city_code: str) -> str | None:
    """The prefecture-level city's name (a municipality's: 北京市), or None when the reference
    has no such city or the code is no city (a province's directly governed counties)."""
    found = cities().filter(pl.col("code") == city_code)["name"]
    if not len(found) or found[0] in _NOT_A_CITY:
        return None
    if found[0] in _MUNICIPALITY_PARTS:
        return province_name(city_code[:2])
    return found[0]


def short_name(name: str) -> str:
    """How clerks shorten a province's or city's name: 四川省 -> 四川, 凉山彝族自治州 -> 凉山."""
    if name.endswith("自治州"):
        cut = min((name.find(people) for people in _PEOPLES if people in name[2:]), default=-1)
        return name[:cut] if cut >= 2 else name.removesuffix("自治州")
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name.removesuffix(suffix)
    return name
