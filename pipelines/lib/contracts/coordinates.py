"""The contract-level `coordinates` custom property: where the position is, in which datum.

Longitude and latitude are two number properties, read from two delivered columns, or
both from one column holding a point (`point`): "(30.66, 104.06)", "104.06,30.66" or
WKT `POINT(104.06 30.66)`. Bronze stores them as WGS-84 either way. `accuracyMetres` says
how far a point may be from the place it stands for (a 110 call placed by the caller's phone):
such points locate their records, but a record's address is what identifies its place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.lib.contracts.model import Coordinates, PointSource
from pipelines.lib.contracts.shapes import CustomProperties, unknown_keys
from pipelines.lib.contracts.vocabulary import COORDINATE_SYSTEMS, POINT_FORMATS
from pipelines.lib.contracts.yaml_source import KeyPath, Problems

AXES = ("longitude", "latitude")


def coordinates(
    custom: CustomProperties, types: Mapping[str, str | None], problems: Problems
) -> Coordinates | None:
    if "coordinates" not in custom:
        return None
    value, at = custom.value("coordinates"), custom.at("coordinates")
    if not isinstance(value, dict):
        problems.add(at, "coordinates must be an object with system, longitude and latitude")
        return None
    unknown_keys(
        value, frozenset({"system", *AXES, "point", "accuracyMetres"}), at, "coordinates", problems
    )
    ok = True
    if value.get("system") not in COORDINATE_SYSTEMS:
        problems.add((*at, "system"), f"system must be one of {sorted(COORDINATE_SYSTEMS)}")
        ok = False
    for axis in AXES:
        name = value.get(axis)
        if not isinstance(name, str) or types.get(name) != "number":
            problems.add((*at, axis), f"{axis} must name a number property, not {name!r}")
            ok = False
    point = _point(value["point"], (*at, "point"), problems) if "point" in value else None
    accuracy = value.get("accuracyMetres")
    if accuracy is not None and (
        isinstance(accuracy, bool) or not isinstance(accuracy, int | float) or accuracy <= 0
    ):
        problems.add(
            (*at, "accuracyMetres"),
            f"accuracyMetres is how far (metres, > 0) a point may be from its place, not {accuracy!r}",
        )
        ok = False
    if not ok or ("point" in value and point is None):
        return None
    return Coordinates(
        system=value["system"],
        longitude=value["longitude"],
        latitude=value["latitude"],
        point=point,
        accuracy_m=float(accuracy) if accuracy is not None else None,
    )


def _point(value: Any, at: KeyPath, problems: Problems) -> PointSource | None:
    if not isinstance(value, dict):
        problems.add(at, "point must be an object with source (the column) and format")
        return None
    unknown_keys(value, frozenset({"source", "format"}), at, "point", problems)
    source, fmt = value.get("source"), value.get("format")
    ok = True
    if not isinstance(source, str) or not source:
        problems.add(
            at if "source" not in value else (*at, "source"),
            "point needs source: the delivered column",
        )
        ok = False
    if fmt not in POINT_FORMATS:
        problems.add(
            at if "format" not in value else (*at, "format"),
            f"point format must be one of {sorted(POINT_FORMATS)}, not {fmt!r}",
        )
        ok = False
    return PointSource(source=str(source), format=str(fmt)) if ok else None


def point_fed(custom: CustomProperties) -> frozenset[str]:
    """The properties a declared point fills, which therefore have no source of their own."""
    value = custom.value("coordinates")
    if not isinstance(value, dict) or "point" not in value:
        return frozenset()
    return frozenset(name for axis in AXES if isinstance(name := value.get(axis), str))
