"""Administrative divisions (GB/T 2260 counties and 9-digit township codes).

The tables are copied from shared/reference into `pipelines/reference/` so a
clone of the repository has them; nothing reads shared/ at run time.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import polars as pl

# Codes are identifiers, never numbers: read every column as text.
_AS_TEXT = {"infer_schema": False}


def _reference_csv(name: str) -> pl.DataFrame:
    source = files("pipelines.reference").joinpath("admin_divisions", name)
    return pl.read_csv(source.read_bytes(), **_AS_TEXT)


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
