"""Where things are in the sample city.

The reference data has codes and names but no coordinates, so each county of
the city gets a centre and radius (its data file's approximate real ones, or a
layout in its extent: city_map.py), and each township a point inside its county,
drawn once per seed. Places then scatter around their township. Good enough for
distances, clusters and maps; not a survey.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.lib import admin_divisions
from pipelines.sample_city.city_map import CityMap
from pipelines.sample_city.vocabulary import CHINESE_DIGITS, ROAD_SUFFIXES

PLACE_SPREAD_DEG = 0.008  # places scatter about 1 km around their township centre
ROADS_PER_COUNTY = 24


def chinese_numeral(n: int) -> str:
    """1..9999 written in Chinese numerals, as clerks write house numbers (八十八号)."""
    if n == 0:
        return CHINESE_DIGITS[0]
    units = ["", "十", "百", "千"]
    digits = [int(d) for d in str(n)]
    out: list[str] = []
    zero_pending = False
    for position, digit in enumerate(digits):
        unit = units[len(digits) - position - 1]
        if digit == 0:
            zero_pending = bool(out)
            continue
        if zero_pending:
            out.append(CHINESE_DIGITS[0])
            zero_pending = False
        out.append(CHINESE_DIGITS[digit] + unit)
    text = "".join(out)
    return text[1:] if text.startswith("一十") else text


# Most house numbers are drawn under 400; a number already taken on its road moves up to the
# next free one, so numbers go up to HOUSE_NUMBER_MAX. The table is built once, indexed by numpy.
HOUSE_NUMBER_MAX = 2999
CHINESE_NUMERALS = np.array([chinese_numeral(n) if n else "" for n in range(HOUSE_NUMBER_MAX + 1)])


def townships(rng: np.random.Generator, city: CityMap) -> pl.DataFrame:
    """Every township of the city with a centre point inside its county."""
    code = city.profile.code
    counties = admin_divisions.city_counties(code).rename(
        {"code": "county_code", "name": "county_name"}
    )
    towns = admin_divisions.city_townships(code).rename(
        {"code": "township_code", "name": "township_name", "areaCode": "county_code"}
    )
    towns = towns.join(counties.select("county_code", "county_name"), on="county_code", how="left")
    by_code = {c.code: (c.lon, c.lat, c.radius, c.weight) for c in city.counties}
    geometry = np.array([by_code[c] for c in towns["county_code"]])
    angle = rng.uniform(0, 2 * np.pi, towns.height)
    distance = geometry[:, 2] * 0.8 * np.sqrt(rng.uniform(0, 1, towns.height))
    return towns.select(
        "township_code", "township_name", "county_code", "county_name"
    ).with_columns(
        centre_lon=pl.Series(geometry[:, 0] + distance * np.cos(angle)),
        centre_lat=pl.Series(geometry[:, 1] + distance * np.sin(angle)),
        weight=pl.Series(geometry[:, 3]),
    )


def roads(rng: np.random.Generator, county_codes: list[str], city: CityMap) -> pl.DataFrame:
    """A set of road names per county; the same name recurs in several counties, as in life."""
    rows = []
    road_stems = city.road_stems
    for county in county_codes:  # one draw per county, not per row
        stems = rng.choice(len(road_stems), ROADS_PER_COUNTY, replace=False)
        suffixes = rng.integers(0, len(ROAD_SUFFIXES), ROADS_PER_COUNTY)
        rows.append(
            pl.DataFrame(
                {
                    "county_code": [county] * ROADS_PER_COUNTY,
                    "road_index": np.arange(ROADS_PER_COUNTY),
                    "road": [
                        road_stems[s] + ROAD_SUFFIXES[x]
                        for s, x in zip(stems, suffixes, strict=True)
                    ],
                }
            )
        )
    return pl.concat(rows)


def _free_numbers(
    counties: list[str],
    roads: list[int],
    numbers: list[int],
    taken: dict[tuple[str, int], set[int]],
) -> list[int]:
    """Each drawn number, or the next one not yet taken on its road."""
    free = []
    for county, road, number in zip(counties, roads, numbers, strict=True):
        used = taken.setdefault((county, road), set())
        if len(used) >= HOUSE_NUMBER_MAX:
            raise ValueError(
                f"every house number on road {road} of county {county} is taken: scale beyond the address space"
            )
        while number in used:
            number = number % HOUSE_NUMBER_MAX + 1
        used.add(number)
        free.append(number)
    return free


def random_places(
    rng: np.random.Generator,
    towns: pl.DataFrame,
    road_table: pl.DataFrame,
    n: int,
    prefix: str,
    taken: dict[tuple[str, int], set[int]],
    city: CityMap,
    spread: float = PLACE_SPREAD_DEG,
) -> pl.DataFrame:
    """n places: township (weighted by activity), road, house number, WGS-84 point.

    As in a real city, an address (county, road, number) is one place: `taken` holds the
    numbers already given on each road, across calls, and a drawn number in use moves up.
    """
    weights = towns["weight"].to_numpy()
    town_index = rng.choice(towns.height, n, p=weights / weights.sum())
    chosen = towns[town_index]
    drawn = rng.integers(1, 400, n)
    road_index = rng.integers(0, ROADS_PER_COUNTY, n)
    lon_offset, lat_offset = rng.normal(0, spread, n), rng.normal(0, spread, n)
    number = _free_numbers(
        chosen["county_code"].to_list(), road_index.tolist(), drawn.tolist(), taken
    )
    places = chosen.with_columns(
        place_id=pl.format(
            prefix + "{}", pl.Series(np.arange(1, n + 1)).cast(pl.String).str.zfill(7)
        ),
        road_index=pl.Series(road_index),
        house_number=pl.Series(number),
        lon=pl.col("centre_lon") + pl.Series(lon_offset),
        lat=pl.col("centre_lat") + pl.Series(lat_offset),
    ).join(road_table, on=["county_code", "road_index"], how="left", maintain_order="left")
    box = city.profile.bounds
    return places.with_columns(
        pl.col("lon").clip(box.lon_min + 0.01, box.lon_max - 0.01).round(6),
        pl.col("lat").clip(box.lat_min + 0.01, box.lat_max - 0.01).round(6),
    ).select(
        "place_id",
        "county_code",
        "county_name",
        "township_code",
        "township_name",
        "road",
        "house_number",
        standard_address=pl.format(
            city.profile.address_prefix + "{}{}{}{}号",
            "county_name",
            "township_name",
            "road",
            "house_number",
        ),
        lon="lon",
        lat="lat",
    )
