"""The planted rule violations, one factory per rule a contract enforces.

Each returns a `Corruption` whose function rewrites the selected rows' columns
so that exactly that rule breaks (and no other), so a contract's quarantine
reasons can be checked row by row against `ground_truth/`.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.lib import admin_divisions
from pipelines.lib.city_profile import CityProfile
from pipelines.lib.standards.identifiers import IDENTITY_CHECK_CHARS, USCC_ALPHABET
from pipelines.sample_city.delivery import DAY, Corruption


def _shift_last_char(values: pl.Series, alphabet: str, rng: np.random.Generator) -> pl.Series:
    """Replace the check character by another character of the same alphabet."""
    current = (
        values.str.slice(-1)
        .replace_strict(list(alphabet), list(range(len(alphabet))), default=0)
        .to_numpy()
    )
    shift = rng.integers(1, len(alphabet), len(values))
    replaced = np.array(list(alphabet))[(current + shift) % len(alphabet)]
    return values.str.slice(0, 17) + pl.Series(replaced)


def identity_check(column: str) -> Corruption:
    return Corruption(
        "identity_number_check",
        (column,),
        lambda rows, rng, city: {column: _shift_last_char(rows[column], IDENTITY_CHECK_CHARS, rng)},
    )


def uscc_check(column: str) -> Corruption:
    return Corruption(
        "uscc_check",
        (column,),
        lambda rows, rng, city: {column: _shift_last_char(rows[column], USCC_ALPHABET, rng)},
    )


def unused_county_code(city: CityProfile) -> str:
    """A county code of the city's that GB/T 2260 does not have (e.g. 330399)."""
    known = set(admin_divisions.counties()["code"])
    for suffix in range(99, 0, -1):
        code = f"{city.code}{suffix:02d}"
        if code not in known:
            return code
    raise ValueError(f"every county code of {city.code} is taken")  # no city has 99 counties


def unknown_admin_code(column: str) -> Corruption:
    """A code shaped right but absent from the reference: a county number the city does not
    have, a township 999 (no county has one)."""

    def corrupt(
        rows: pl.DataFrame, rng: np.random.Generator, city: CityProfile
    ) -> dict[str, pl.Series]:
        codes = rows[column]
        return {
            column: pl.Series(
                np.where(
                    codes.str.len_chars().to_numpy() == 9,
                    codes.str.slice(0, 6) + "999",
                    unused_county_code(city),
                )
            )
        }

    return Corruption("admin_code_unknown", (column,), corrupt)


def outside_city(lon: str, lat: str) -> Corruption:
    """Coordinates swapped, zeroed or pointing at another place: all outside the city's extent.

    Another place is the point moved one to two times the extent's size away, east or west:
    out of the box whatever the city.
    """

    def corrupt(
        rows: pl.DataFrame, rng: np.random.Generator, city: CityProfile
    ) -> dict[str, pl.Series]:
        n = rows.height
        kind = rng.integers(0, 3, n)
        box = city.bounds
        away = (box.lon_max - box.lon_min) * rng.uniform(1.05, 2.0, n) * rng.choice([-1, 1], n)
        new_lon = np.where(
            kind == 0,
            rows[lat].to_numpy(),
            np.where(kind == 1, 0.0, rows[lon].to_numpy() + away),
        )
        new_lat = np.where(
            kind == 0,
            rows[lon].to_numpy(),
            np.where(kind == 1, 0.0, rows[lat].to_numpy()),
        )
        return {lon: pl.Series(np.round(new_lon, 6)), lat: pl.Series(np.round(new_lat, 6))}

    return Corruption("coordinates_outside_city", (lon, lat), corrupt)


def future_date(column: str) -> Corruption:
    """An event dated after the day it was delivered."""

    def corrupt(
        rows: pl.DataFrame, rng: np.random.Generator, city: CityProfile
    ) -> dict[str, pl.Series]:
        ahead = pl.Series(rng.integers(2, 200, rows.height)).cast(pl.Int32)
        base = rows.select(pl.col(DAY).cast(rows.schema[column]))[DAY]
        return {column: rows.select((base + pl.duration(days=pl.lit(ahead))).alias(column))[column]}

    return Corruption("date_in_future", (column,), corrupt)


def required_missing(column: str) -> Corruption:
    return Corruption(
        "required_missing",
        (column,),
        lambda rows, rng, city: {
            column: pl.Series([None] * rows.height, dtype=rows.schema[column])
        },
    )


def pattern_mismatch(column: str) -> Corruption:
    """A code one character short (a clerk's slip): breaks the contract's pattern."""
    return Corruption(
        "pattern_mismatch",
        (column,),
        lambda rows, rng, city: {
            column: rows[column].str.slice(0, rows[column].str.len_chars() - 1)
        },
    )


def negative(column: str) -> Corruption:
    return Corruption(
        "value_out_of_range",
        (column,),
        lambda rows, rng, city: {column: -(rows[column].abs() + 1)},
    )


def not_in_enumeration(column: str, bad_values: list[str]) -> Corruption:
    return Corruption(
        "enum_invalid",
        (column,),
        lambda rows, rng, city: {
            column: pl.Series(np.array(bad_values)[rng.integers(0, len(bad_values), rows.height)])
        },
    )


def swapped(rule: str, first: str, second: str) -> Corruption:
    """Two columns exchanged (a level typed in the other's cell, a lifting time before its
    issue): breaks the contract's cross-column rule `rule`. Only rows whose values differ break it."""

    def corrupt(
        rows: pl.DataFrame, rng: np.random.Generator, city: CityProfile
    ) -> dict[str, pl.Series]:
        return {first: rows[second], second: rows[first]}

    return Corruption(rule, (first, second), corrupt)


def point_outside_city(column: str, lon: str, lat: str, render) -> Corruption:  # type: ignore[no-untyped-def]
    """A delivered point string (`render(lon, lat)`) whose coordinates were typed swapped:
    outside the city's extent whatever the city (its latitude is no longitude there)."""

    def corrupt(
        rows: pl.DataFrame, rng: np.random.Generator, city: CityProfile
    ) -> dict[str, pl.Series]:
        return {column: render(rows[lat], rows[lon])}

    return Corruption("coordinates_outside_city", (column,), corrupt)


def calendar_invalid(column: str, low: int, high: int) -> Corruption:
    """A part of a date or time delivered in its own column, out of the calendar (hour 24 to
    30, month 13): the parts make no time."""
    return Corruption(
        "derived_invalid",
        (column,),
        lambda rows, rng, city: {column: pl.Series(rng.integers(low, high + 1, rows.height))},
    )


def earlier_than(rule: str, column: str, other: str) -> Corruption:
    """A time typed before the one it must follow (lifted 1 to 6 hours before issued): breaks
    the contract's cross-column rule `rule`."""

    def corrupt(
        rows: pl.DataFrame, rng: np.random.Generator, city: CityProfile
    ) -> dict[str, pl.Series]:
        back = pl.Series(rng.integers(1, 7, rows.height)).cast(pl.Int32)
        return {column: rows.select(pl.col(other) - pl.duration(hours=pl.lit(back)))[other]}

    return Corruption(rule, (column, other), corrupt)
