"""The city a deployment serves, as configuration: its code, name, time zone, extent and grid.

One YAML file says it (`contracts/city.yaml` in the repository), validated like the contracts:
every problem at once, each as `file:line: key: message`. Its counties and townships are not
listed: they come from the reference divisions by the city's code. Every stage gets the
profile through `city_profile()`; dbt gets it as vars (`CityProfile.dbt_vars`).

Which file applies, first found:
1. `$SAFECITY_CITY_PROFILE`;
2. `<data dir>/city.yaml`, which `safecity generate` writes beside the sample city it made;
3. `<contracts dir>/city.yaml`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from pipelines.lib import admin_divisions, settings
from pipelines.lib.contracts.yaml_source import (
    ContractError,
    KeyPath,
    Problems,
    display_path,
    parse_yaml,
)

PROFILE_FILE = "city.yaml"
_CODE = re.compile(r"[0-9]{4}")
_KEYS = {
    "code": "the GB/T 2260 code of the prefecture-level city, 4 digits, quoted",
    "name": "the city's name as the reference divisions write it",
    "short_name": "the name as clerks shorten it (optional)",
    "timezone": "the IANA time zone of delivered times",
    "grid_cell_degrees": "the side of a grid cell, in degrees",
    "first_delivery_day": "the first day deliveries are accepted for, YYYY-MM-DD",
    "bounds": "the city's extent in WGS-84",
}
_OPTIONAL = frozenset({"short_name"})
_BOUNDS_KEYS = ("lon_min", "lat_min", "lon_max", "lat_max")
MAX_GRID_CELL_DEGREES = 1.0


class CityProfileError(ContractError):
    """One or more problems in a city profile; str() is one `file:line: key: message` per line."""


@dataclass(frozen=True)
class Bounds:
    """A box in WGS-84 around the city: a point outside it is no point of this city."""

    lon_min: float
    lat_min: float
    lon_max: float
    lat_max: float

    def contains(self, longitude: float, latitude: float) -> bool:
        return (
            self.lon_min <= longitude <= self.lon_max and self.lat_min <= latitude <= self.lat_max
        )

    @property
    def centre(self) -> tuple[float, float]:
        return (self.lon_min + self.lon_max) / 2, (self.lat_min + self.lat_max) / 2

    def as_dict(self) -> dict[str, float]:
        return {key: getattr(self, key) for key in _BOUNDS_KEYS}


@dataclass(frozen=True)
class CityProfile:
    code: str  # GB/T 2260 prefecture-level code, 4 digits
    name: str  # 成都市
    short_name: str  # 成都
    timezone: str  # an IANA time zone name
    grid_cell_degrees: float
    first_delivery_day: date
    bounds: Bounds
    source: Path | None = field(default=None, compare=False)  # the file it was read from

    @property
    def province_code(self) -> str:
        return self.code[:2]

    @property
    def province_name(self) -> str:
        return admin_divisions.province_name(self.province_code) or ""

    @property
    def is_municipality(self) -> bool:
        """北京市, 上海市, 天津市, 重庆市: the city is the province."""
        return self.province_name == self.name

    @property
    def address_prefix(self) -> str:
        """How a full standard address starts: 四川省成都市 (a municipality: 北京市)."""
        return self.name if self.is_municipality else self.province_name + self.name

    @property
    def province_prefixes(self) -> tuple[str, ...]:
        """The province as a clerk may write it before the city: 四川省, 四川."""
        return _longest_first({self.province_name, admin_divisions.short_name(self.province_name)})

    @property
    def city_prefixes(self) -> tuple[str, ...]:
        """The city as a clerk may write it before a county or a company's name: 成都市, 成都."""
        return _longest_first({self.name, self.short_name})

    @property
    def name_prefixes(self) -> tuple[str, ...]:
        """Either of them (四川省, 成都市, 四川, 成都), longest first, so that a pattern made of
        them strips the whole of one."""
        return _longest_first({*self.province_prefixes, *self.city_prefixes})

    def counties(self) -> pl.DataFrame:
        """code, name of the city's counties, from the reference divisions."""
        return admin_divisions.city_counties(self.code).select("code", "name")

    def townships(self) -> pl.DataFrame:
        """code, name, county code (areaCode) of the city's townships, from the reference divisions."""
        return admin_divisions.city_townships(self.code).select("code", "name", "areaCode")

    def describe(self) -> str:
        """One line for logs: which city, from which file."""
        where = f" from {self.source}" if self.source is not None else ""
        return f"{self.name} ({self.code}, {self.timezone}){where}"

    def dbt_vars(self) -> dict[str, Any]:
        """What the dbt project reads as vars (dbt_project.yml documents the repository's defaults)."""
        return {
            "city_code": self.code,
            "city_name_prefixes": list(self.name_prefixes),
            "city_timezone": self.timezone,
            "city_bounds": self.bounds.as_dict(),
            "grid_cell_degrees": self.grid_cell_degrees,
        }

    def to_yaml(self, comment: str) -> str:
        """The profile as a file `load_city_profile` reads back equal; `comment` heads it."""
        lines = [f"# {line}" if line else "#" for line in comment.splitlines()]
        lines += [
            f'code: "{self.code}"',
            f"name: {self.name}",
            f"short_name: {self.short_name}",
            f"timezone: {self.timezone}",
            f"grid_cell_degrees: {self.grid_cell_degrees!r}",
            f'first_delivery_day: "{self.first_delivery_day.isoformat()}"',
            "bounds:",
            *(f"  {key}: {value!r}" for key, value in self.bounds.as_dict().items()),
        ]
        return "\n".join(lines) + "\n"


def _longest_first(names: set[str]) -> tuple[str, ...]:
    return tuple(sorted((n for n in names if n), key=lambda n: (-len(n), n)))


# ---------------------------------------------------------------- which profile


def city_profile_path(data_dir: Path | None = None) -> Path:
    """The profile that applies to `data_dir` (default: the configured data directory)."""
    chosen = settings.city_profile_file()
    if chosen is not None:
        return chosen
    in_data_dir = (data_dir if data_dir is not None else settings.data_dir()) / PROFILE_FILE
    if in_data_dir.is_file():
        return in_data_dir.absolute()
    return settings.contracts_dir() / PROFILE_FILE


def city_profile(data_dir: Path | None = None) -> CityProfile:
    """The city profile every stage uses, for `data_dir` (default: the configured data directory).

    Raises CityProfileError, listing every problem of the file with its line.
    """
    path = city_profile_path(data_dir)
    try:
        stat = path.stat()
    except OSError:
        raise CityProfileError(
            [
                f"{path}:1: (file): no city profile here: write one (see contracts/city.yaml), "
                f"or point ${settings.CITY_PROFILE.name} at one"
            ]
        ) from None
    return _load_cached(path, stat.st_mtime_ns, stat.st_size)


@cache
def _load_cached(path: Path, mtime_ns: int, size: int) -> CityProfile:
    return load_city_profile(path)


# ---------------------------------------------------------------- reading one file


def load_city_profile(path: Path, root: Path | None = None) -> CityProfile:
    """Read and validate one profile; CityProfileError lists every problem with its line.

    `root` only shortens the file name in messages.
    """
    problems = Problems(display_path(path, root))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CityProfileError([f"{problems.display}:1: (file): cannot read: {error}"]) from None
    document = parse_yaml(text, problems)
    profile = None if problems.messages else _compile(document, problems)
    if problems.messages or profile is None:
        raise CityProfileError(problems.sorted_messages())
    return CityProfile(**{**profile.__dict__, "source": path.absolute()})


def _compile(doc: Any, problems: Problems) -> CityProfile | None:
    if not isinstance(doc, dict):
        problems.add((), "a city profile is a mapping: " + ", ".join(_KEYS))
        return None
    for key in doc:
        if key not in _KEYS:
            problems.add((key,), f"unknown key; a profile has {', '.join(_KEYS)}")
    for key, meaning in _KEYS.items():
        if key not in doc and key not in _OPTIONAL:
            problems.add((key,), f"missing: {meaning}", at=())
    code = _code(doc.get("code"), problems)
    name = _name(doc.get("name"), code, problems)
    short_name = _short_name(doc.get("short_name"), name, problems)
    timezone = _timezone(doc.get("timezone"), problems)
    cell = _number(doc.get("grid_cell_degrees"), ("grid_cell_degrees",), problems)
    if cell is not None and not 0 < cell <= MAX_GRID_CELL_DEGREES:
        problems.add(
            ("grid_cell_degrees",), f"must be more than 0 and at most {MAX_GRID_CELL_DEGREES}"
        )
    first_day = _day(doc.get("first_delivery_day"), problems)
    bounds = _bounds(doc.get("bounds"), problems)
    if problems.messages:
        return None
    assert code and name and short_name and timezone and cell and first_day and bounds
    return CityProfile(code, name, short_name, timezone, cell, first_day, bounds)


def _code(value: Any, problems: Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        problems.add(("code",), f'expected 4 digits in quotes (e.g. "3303"), got {value!r}')
        return None
    if admin_divisions.city_name(value) is None:
        problems.add(
            ("code",),
            f"{value} is no prefecture-level city of the reference divisions "
            "(pipelines/reference/admin_divisions/cities.csv)",
        )
        return None
    return value


def _name(value: Any, code: str | None, problems: Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(("name",), "expected the city's name")
        return None
    expected = admin_divisions.city_name(code) if code else None
    if expected is not None and value != expected:
        problems.add(
            ("name",), f"city {code} is {expected} in the reference divisions, not {value}"
        )
        return None
    return value


def _short_name(value: Any, name: str | None, problems: Problems) -> str | None:
    if value is None:
        return admin_divisions.short_name(name) if name else None
    if not isinstance(value, str) or not value.strip():
        problems.add(("short_name",), "expected a non-empty name")
        return None
    if name is not None and not name.startswith(value):
        problems.add(("short_name",), f"{value} does not shorten {name}: it must start it")
        return None
    return value


def _timezone(value: Any, problems: Problems) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(
            ("timezone",), f"unknown time zone {value!r}: use an IANA time zone name (Area/City)"
        )
        return None
    return str(value)


def _number(value: Any, path: KeyPath, problems: Problems) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.add(path, f"expected a number, got {value!r}")
        return None
    return float(value)


def _day(value: Any, problems: Problems) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.add(("first_delivery_day",), f"expected a day as YYYY-MM-DD, got {value!r}")
        return None


def _bounds(value: Any, problems: Problems) -> Bounds | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add(("bounds",), f"expected a mapping of {', '.join(_BOUNDS_KEYS)}")
        return None
    for key in value:
        if key not in _BOUNDS_KEYS:
            problems.add(("bounds", key), f"unknown key; bounds has {', '.join(_BOUNDS_KEYS)}")
    numbers: dict[str, float] = {}
    for key in _BOUNDS_KEYS:
        if key not in value:
            problems.add(("bounds", key), "missing", at=("bounds",))
            continue
        number = _number(value[key], ("bounds", key), problems)
        limit = 180 if key.startswith("lon") else 90
        if number is not None and not -limit <= number <= limit:
            problems.add(("bounds", key), f"{number} is outside -{limit}..{limit} degrees")
        elif number is not None:
            numbers[key] = number
    if len(numbers) < len(_BOUNDS_KEYS):
        return None
    bounds = Bounds(**numbers)
    for low, high in (("lon_min", "lon_max"), ("lat_min", "lat_max")):
        if getattr(bounds, low) >= getattr(bounds, high):
            problems.add(("bounds", high), f"must be more than {low} ({getattr(bounds, low)})")
            return None
    return bounds
