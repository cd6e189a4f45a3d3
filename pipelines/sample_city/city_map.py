"""The city a sample is generated on: its profile, where its counties are, and its local colour.

Any prefecture-level city of the reference divisions will do. Its counties and townships come
from the reference data, which has codes and names but no coordinates, so:

- a city with a data file, `cities/<code>.yaml`, gets each county's approximate real centre,
  radius and weight of activity from it, and its extent, number plates, landline area code and
  (optionally) trade-name and road words;
- any other city needs an extent (`--bounds`), and its counties are laid out in it on a regular
  grid, in code order (districts, 区, busier than counties): deterministic, not geography.

The profile written beside the sample (`<out>/city.yaml`) takes the time zone and grid cell of
the repository's profile (contracts/city.yaml) and the sample's first delivery day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from typing import Any

from pipelines.lib import admin_divisions, settings
from pipelines.lib.city_profile import (
    PROFILE_FILE,
    Bounds,
    CityProfile,
    CityProfileError,
    load_city_profile,
)
from pipelines.lib.contracts.yaml_source import Problems, parse_yaml
from pipelines.sample_city import vocabulary

_KEYS = frozenset(
    {
        "code",
        "short_name",
        "timezone",
        "bounds",
        "plates",
        "landline_area_code",
        "counties",
        "shop_words",
        "company_words",
        "name_characters",
        "road_stems",
    }
)
_COUNTY_KEYS = ("name", "lon", "lat", "radius", "weight")
# A laid-out county covers this share of its grid cell; districts (区) draw more activity.
_LAYOUT_RADIUS_SHARE = 0.35
_DISTRICT_WEIGHT, _COUNTY_WEIGHT = 2.0, 1.0


class CityMapError(ValueError):
    """The city cannot be generated as asked; the message says what to give instead."""


@dataclass(frozen=True)
class County:
    code: str
    name: str
    lon: float  # centre, WGS-84
    lat: float
    radius: float  # degrees: its townships lie within 0.8 of it
    weight: float  # share of activity, relative to the other counties


@dataclass(frozen=True)
class CityMap:
    profile: CityProfile
    counties: tuple[County, ...]
    plates: tuple[str, ...]  # plate prefixes, each as often as it occurs
    phone_prefixes: tuple[str, ...]  # what organisations' phone numbers begin with
    shop_words: tuple[str, ...]
    company_words: tuple[str, ...]
    name_characters: str
    road_stems: tuple[str, ...]
    source: str  # where the geography comes from, for the manifest and messages

    def county(self, code: str) -> County:
        return self._by_code[code]

    @property
    def _by_code(self) -> dict[str, County]:
        return {county.code: county for county in self.counties}


def repository_profile() -> CityProfile:
    """The deployment's profile in the repository (contracts/city.yaml)."""
    return load_city_profile(settings.contracts_dir() / PROFILE_FILE)


def city_map(code: str | None, bounds: Bounds | None, first_day: date) -> CityMap:
    """The city `code` (default: the repository profile's) as the generator draws it.

    `bounds` is required for a city without a data file, and refused for one with (its file
    has the extent its counties lie in).
    """
    base = repository_profile()
    code = code or base.code
    name = admin_divisions.city_name(code)
    if name is None:
        raise CityMapError(
            f"{code} is no prefecture-level city of the reference divisions "
            "(pipelines/reference/admin_divisions/cities.csv): give a 4-digit city code, e.g. 3303"
        )
    data = _data_file(code)
    if data is None and bounds is None:
        raise CityMapError(
            f"{name} ({code}) has no data file (pipelines/sample_city/cities/{code}.yaml): give its "
            "extent with --bounds lon_min,lat_min,lon_max,lat_max (WGS-84), and its counties are laid out in it"
        )
    if data is not None and bounds is not None:
        raise CityMapError(
            f"{name} ({code}) has its extent in pipelines/sample_city/cities/{code}.yaml: leave out --bounds"
        )
    if data is None:
        assert bounds is not None
        profile = _profile(base, code, name, None, None, bounds, first_day)
        return _laid_out(profile)
    return _from_file(base, code, name, data, first_day)


def parse_bounds(text: str) -> Bounds:
    """`lon_min,lat_min,lon_max,lat_max` in WGS-84 degrees."""
    try:
        lon_min, lat_min, lon_max, lat_max = (float(part) for part in text.split(","))
    except ValueError:
        raise CityMapError(
            f"--bounds {text!r}: expected four numbers lon_min,lat_min,lon_max,lat_max"
        ) from None
    if not (-180 <= lon_min < lon_max <= 180 and -90 <= lat_min < lat_max <= 90):
        raise CityMapError(
            f"--bounds {text}: expected lon_min < lon_max within -180..180 and lat_min < lat_max within -90..90"
        )
    return Bounds(lon_min, lat_min, lon_max, lat_max)


# ---------------------------------------------------------------- the profile


def _profile(
    base: CityProfile,
    code: str,
    name: str,
    short_name: str | None,
    timezone: str | None,
    bounds: Bounds,
    first_day: date,
) -> CityProfile:
    return CityProfile(
        code=code,
        name=name,
        short_name=short_name or admin_divisions.short_name(name),
        timezone=timezone or base.timezone,
        grid_cell_degrees=base.grid_cell_degrees,
        first_delivery_day=first_day,
        bounds=bounds,
    )


def _local_colour(profile: CityProfile, data: dict[str, Any]) -> dict[str, Any]:
    """Plates, phones and words: the file's, else generic ones."""
    plates = data.get("plates") or {
        vocabulary.PLATE_PROVINCES.get(profile.province_code, "") + "A": 1
    }
    area = data.get("landline_area_code")
    return {
        "plates": tuple(prefix for prefix, count in plates.items() for _ in range(int(count))),
        # Two in four organisations give a landline, where its area code is known.
        "phone_prefixes": (area, area, *vocabulary.MOBILE_PREFIXES[:2])
        if area
        else tuple(vocabulary.MOBILE_PREFIXES),
        "shop_words": tuple(data.get("shop_words") or vocabulary.SHOP_WORDS),
        "company_words": tuple(data.get("company_words") or vocabulary.COMPANY_WORDS),
        "name_characters": data.get("name_characters") or vocabulary.NAME_CHARACTERS,
        "road_stems": tuple(data.get("road_stems") or vocabulary.ROAD_STEMS),
    }


# ---------------------------------------------------------------- a city with a data file


def _data_file(code: str) -> tuple[str, str] | None:
    resource = files("pipelines.sample_city").joinpath("cities", f"{code}.yaml")
    if not resource.is_file():
        return None
    return f"pipelines/sample_city/cities/{code}.yaml", resource.read_text(encoding="utf-8")


def _from_file(
    base: CityProfile, code: str, name: str, data_file: tuple[str, str], first_day: date
) -> CityMap:
    display, text = data_file
    problems = Problems(display)
    doc = parse_yaml(text, problems)
    if not isinstance(doc, dict):
        problems.add((), "expected a mapping with code, bounds and counties")
        raise CityProfileError(problems.sorted_messages())
    for key in doc:
        if key not in _KEYS:
            problems.add((key,), f"unknown key; a city file has {', '.join(sorted(_KEYS))}")
    if doc.get("code") != code:
        problems.add(("code",), f'expected "{code}", the file\'s name')
    bounds = _bounds(doc.get("bounds"), problems)
    counties = _counties(doc.get("counties"), code, bounds, problems)
    if problems.messages or bounds is None:
        raise CityProfileError(problems.sorted_messages())
    profile = _profile(
        base, code, name, doc.get("short_name"), doc.get("timezone"), bounds, first_day
    )
    return CityMap(profile, counties, **_local_colour(profile, doc), source=display)


def _bounds(value: Any, problems: Problems) -> Bounds | None:
    keys = ("lon_min", "lat_min", "lon_max", "lat_max")
    if not isinstance(value, dict) or sorted(value) != sorted(keys):
        problems.add(("bounds",), f"expected {', '.join(keys)}")
        return None
    try:
        bounds = Bounds(**{key: float(value[key]) for key in keys})
    except (TypeError, ValueError):
        problems.add(("bounds",), "expected numbers")
        return None
    if not (bounds.lon_min < bounds.lon_max and bounds.lat_min < bounds.lat_max):
        problems.add(("bounds",), "expected lon_min < lon_max and lat_min < lat_max")
        return None
    return bounds


def _counties(
    value: Any, code: str, bounds: Bounds | None, problems: Problems
) -> tuple[County, ...]:
    reference = dict(admin_divisions.city_counties(code).select("code", "name").iter_rows())
    if not isinstance(value, dict):
        problems.add(("counties",), "expected a mapping of county code to its name and centre")
        return ()
    for missing in sorted(set(reference) - set(value)):
        problems.add(("counties",), f"{missing} {reference[missing]} is missing")
    counties = []
    for county_code, entry in value.items():
        path = ("counties", county_code)
        if county_code not in reference:
            problems.add(path, f"no county of city {code} in the reference divisions")
            continue
        if not isinstance(entry, dict) or sorted(entry) != sorted(_COUNTY_KEYS):
            problems.add(path, f"expected {', '.join(_COUNTY_KEYS)}")
            continue
        if entry["name"] != reference[county_code]:
            problems.add(
                (*path, "name"), f"the reference calls {county_code} {reference[county_code]}"
            )
        numbers = [entry[key] for key in _COUNTY_KEYS[1:]]
        if not all(isinstance(n, int | float) and math.isfinite(n) for n in numbers):
            problems.add(path, "lon, lat, radius and weight are numbers")
            continue
        county = County(county_code, entry["name"], *(float(n) for n in numbers))
        if county.radius <= 0 or county.weight <= 0:
            problems.add(path, "radius and weight must be more than 0")
        if bounds is not None and not bounds.contains(county.lon, county.lat):
            problems.add(path, "its centre is outside the city's bounds")
        counties.append(county)
    return tuple(sorted(counties, key=lambda county: county.code))


# ---------------------------------------------------------------- any other city


def _laid_out(profile: CityProfile) -> CityMap:
    """The city's counties on a regular grid over its extent, in code order."""
    reference = profile.counties()
    n = reference.height
    columns = math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    box = profile.bounds
    width, height = (box.lon_max - box.lon_min) / columns, (box.lat_max - box.lat_min) / rows
    counties = tuple(
        County(
            code=code,
            name=name,
            lon=round(box.lon_min + (index % columns + 0.5) * width, 6),
            lat=round(box.lat_max - (index // columns + 0.5) * height, 6),
            radius=round(_LAYOUT_RADIUS_SHARE * min(width, height), 6),
            weight=_DISTRICT_WEIGHT if name.endswith("区") else _COUNTY_WEIGHT,
        )
        for index, (code, name) in enumerate(reference.select("code", "name").iter_rows())
    )
    return CityMap(
        profile, counties, **_local_colour(profile, {}), source="laid out in the given bounds"
    )
