"""Where the rows are: a longitude and latitude pair, or one column holding a point.

Named columns first (经度/纬度, lng/lat, lon/latitude...), checked against the ranges of
coordinates; then a text column whose every value is a point in one of the forms the
contract vocabulary reads ("(30.66, 104.06)", "104.06,30.66", WKT `POINT(104.06 30.66)`),
read with ingestion's own patterns; then two unnamed number columns inside China's
extent. The datum cannot be told from the values (GCJ-02 is WGS-84 moved by a few
hundred metres): it comes from a name hint or is left to the engineer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

import polars as pl

from pipelines.lib.draft.columns import DraftField
from pipelines.lib.ingest.conventions import POINT_PATTERNS

_LONGITUDE = re.compile(r"经度|(^|_)(lng|lon|long|longitude|gps_lng|gps_lon)(_|$)")
_LATITUDE = re.compile(r"纬度|(^|_)(lat|latitude|gps_lat)(_|$)")
_DATUM_HINTS = (
    (re.compile(r"bd|baidu|百度", re.IGNORECASE), "BD09"),
    (re.compile(r"gcj|gaode|amap|tencent|高德|腾讯", re.IGNORECASE), "GCJ02"),
)
CHINA_LONGITUDE = (73.0, 136.0)
CHINA_LATITUDE = (3.0, 54.0)


@dataclass
class Position:
    system: str
    longitude: str  # field names
    latitude: str
    point: tuple[str, str] | None = None  # (delivered column, format)
    notes: list[str] = field(default_factory=list)


def find_position(fields: list[DraftField], text: pl.DataFrame) -> Position | None:
    """Find the coordinates, renaming or replacing the fields that hold them (in place)."""
    named = _named_pair(fields, text)
    if named is not None:
        return named
    point = _point_column(fields, text)
    if point is not None:
        return point
    return _unnamed_pair(fields, text)


def _numbers(text: pl.DataFrame, f: DraftField) -> pl.Series:
    return text[f.source].cast(pl.Float64, strict=False).drop_nulls()  # type: ignore[index]


def _named_pair(fields: list[DraftField], text: pl.DataFrame) -> Position | None:
    numeric = [f for f in fields if f.logical_type == "number" and f.source]
    lon = next((f for f in numeric if _named(_LONGITUDE, f)), None)
    lat = next((f for f in numeric if _named(_LATITUDE, f)), None)
    if lon is None or lat is None:
        return None
    # Most values, not all: a swapped or zero pair is the city check's business, not a reason
    # to miss the columns.
    if not (
        _mostly_within(_numbers(text, lon), -180, 180)
        and _mostly_within(_numbers(text, lat), -90, 90)
    ):
        return None
    system, note = _datum(f"{lon.source} {lat.source}")
    _as_axis(lon, "longitude", fields)
    _as_axis(lat, "latitude", fields)
    return Position(system, lon.name, lat.name, notes=[note] if note else [])


def _point_column(fields: list[DraftField], text: pl.DataFrame) -> Position | None:
    for f in fields:
        if f.logical_type != "string" or f.source is None or f.standard:
            continue
        values = text[f.source].drop_nulls()
        if values.len() == 0:
            continue
        for fmt, (pattern, lon_group, lat_group) in POINT_PATTERNS.items():
            if fmt == "lon,lat" or not bool(values.str.contains(pattern).all()):
                continue  # lat,lon and lon,lat share one pattern: the order is decided below
            first = values.str.extract(pattern, lon_group if fmt == "wkt" else 1).cast(pl.Float64)
            second = values.str.extract(pattern, lat_group if fmt == "wkt" else 2).cast(pl.Float64)
            order, note = ("wkt", None) if fmt == "wkt" else _pair_order(first, second)
            if order is None:
                continue
            lon_values, lat_values = (
                (first, second) if order in ("wkt", "lon,lat") else (second, first)
            )
            if not (_within(lon_values, -180, 180) and _within(lat_values, -90, 90)):
                continue
            return _replace_with_axes(f, order, fields, [note] if note else [])
    return None


def _pair_order(first: pl.Series, second: pl.Series) -> tuple[str | None, str | None]:
    """Which of two numbers is the latitude: ranges first, China's extent when both could be."""
    first_lat, second_lat = _within(first, -90, 90), _within(second, -90, 90)
    if first_lat and not second_lat:
        return "lat,lon", None
    if second_lat and not first_lat:
        return "lon,lat", None
    if not first_lat:
        return None, None  # neither number is a latitude: no point
    if _within(first, *CHINA_LATITUDE) and _within(second, *CHINA_LONGITUDE):
        return "lat,lon", None
    if _within(second, *CHINA_LATITUDE) and _within(first, *CHINA_LONGITUDE):
        return "lon,lat", None
    return "lat,lon", "both numbers could be the latitude: read as (lat, lon) # TODO: review"


def _replace_with_axes(
    point: DraftField, order: str, fields: list[DraftField], notes: list[str]
) -> Position:
    """The point column becomes two number properties read from it (no source of their own)."""
    at = fields.index(point)
    taken = {f.name for f in fields if f is not point}
    axes = []
    for axis in ("longitude", "latitude"):
        axes.append(
            DraftField(
                source=None,
                name=_free(axis, taken),
                business_name=None,
                logical_type="number",
                required=point.required,
                classification=point.classification,
                classification_note=point.classification_note,
                notes=[f"{axis} read from {point.source!r} (coordinates.point)"],
            )
        )
    fields[at : at + 1] = axes
    system, note = _datum(str(point.source))
    return Position(
        system,
        axes[0].name,
        axes[1].name,
        point=(str(point.source), order),
        notes=notes + ([note] if note else []),
    )


def _unnamed_pair(fields: list[DraftField], text: pl.DataFrame) -> Position | None:
    numeric = [f for f in fields if f.logical_type == "number" and f.source]
    for lon, lat in pairwise(numeric):
        if _within(_numbers(text, lon), *CHINA_LONGITUDE) and _within(
            _numbers(text, lat), *CHINA_LATITUDE
        ):
            system, note = _datum(f"{lon.source} {lat.source}")
            notes = [
                f"{lon.source!r} and {lat.source!r} hold numbers inside China's longitudes "
                "and latitudes: read as the position # TODO: review"
            ]
            _as_axis(lon, "longitude", fields)
            _as_axis(lat, "latitude", fields)
            return Position(system, lon.name, lat.name, notes=notes + ([note] if note else []))
    return None


def _as_axis(f: DraftField, axis: str, fields: list[DraftField]) -> None:
    f.name = _free(axis, {g.name for g in fields if g is not f})
    f.minimum = None  # a coordinate's range is the city's extent, checked by ingestion


def _free(name: str, taken: set[str]) -> str:
    candidate, count = name, 1
    while candidate in taken:
        count += 1
        candidate = f"{name}_{count}"
    return candidate


def _named(hint: re.Pattern[str], f: DraftField) -> bool:
    return any(hint.search(label.lower()) for label in (str(f.source), f.name))


def _mostly_within(values: pl.Series, low: float, high: float) -> bool:
    return values.len() > 0 and float(values.is_between(low, high).mean()) >= 0.9  # type: ignore[arg-type]


def _within(values: pl.Series, low: float, high: float) -> bool:
    return values.len() > 0 and bool(values.is_between(low, high).all())


def _datum(names: str) -> tuple[str, str | None]:
    for hint, system in _DATUM_HINTS:
        if hint.search(names):
            return system, f"{system} from the column names # TODO: review"
    return (
        "WGS84",
        "datum WGS84 assumed: it cannot be told from the values (GCJ02 for AMap/Tencent "
        "maps, BD09 for Baidu): ask the department # TODO: review",
    )
