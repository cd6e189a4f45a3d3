"""The property-level compiler: one ODCS property (and its array items) into a `model.Field`.

Standard keys first (logicalType, physicalType, classification, primary key,
logicalTypeOptions, enum, items), then the custom properties (`property_custom`).
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines.lib.contracts.model import Field
from pipelines.lib.contracts.patterns import pattern_problem
from pipelines.lib.contracts.property_custom import Delivered, Where, delivered
from pipelines.lib.contracts.shapes import entries, mapping
from pipelines.lib.contracts.vocabulary import (
    CLASSIFICATIONS,
    FEED_TYPE_OPTIONS,
    LOGICAL_TYPES,
    SNAKE_CASE,
    TEMPORAL_TYPES,
)
from pipelines.lib.contracts.yaml_source import KeyPath, Problems


def compile_fields(
    properties: Any,
    path: KeyPath,
    problems: Problems,
    *,
    top_level: bool,
    feed_missing_values: tuple[str, ...] = (),
    point_fed: frozenset[str] = frozenset(),
) -> tuple[Field, ...]:
    fields: list[Field] = []
    seen: set[str] = set()
    for index, prop in entries(properties):
        prop_path: KeyPath = (*path, index)
        name = prop.get("name")
        if not isinstance(name, str):
            continue  # the schema requires a string name and has said so
        if not SNAKE_CASE.fullmatch(name):
            problems.add((*prop_path, "name"), f"property name {name!r} must be snake_case")
        if name in seen:
            problems.add((*prop_path, "name"), f"property name {name!r} is used twice")
        seen.add(name)
        where = Where(top_level, name in point_fed, feed_missing_values)
        compiled = compile_field(prop, prop_path, where, problems)
        if compiled is not None:
            fields.append(compiled)
    return tuple(fields)


def compile_field(
    prop: dict[str, Any], path: KeyPath, where: Where, problems: Problems
) -> Field | None:
    before = len(problems.messages)
    logical_type = prop.get("logicalType")
    if logical_type not in LOGICAL_TYPES:
        problems.add(
            path if logical_type is None else (*path, "logicalType"),
            f"logicalType must be one of {sorted(LOGICAL_TYPES)}, not {logical_type!r}",
        )
        return None
    _check_physical_type_and_classification(prop, path, problems)
    key_position = _primary_key_position(prop, path, where.top_level, problems)
    options = _type_options(prop, path, logical_type, problems)
    mapping_ = delivered(prop, path, logical_type, where, problems)
    items = _items(prop, path, where, problems) if logical_type == "array" else ()
    if len(problems.messages) > before or mapping_ is None or items is None:
        return None
    return _field(prop, path, logical_type, key_position, options, mapping_, items, problems)


def _field(
    prop: dict[str, Any],
    path: KeyPath,
    logical_type: str,
    key_position: int | None,
    options: dict[str, Any],
    delivery: Delivered,
    items: tuple[Field, ...],
    problems: Problems,
) -> Field:
    return Field(
        name=prop["name"],
        logical_type=logical_type,
        physical_type=prop["physicalType"],
        required=bool(prop.get("required", False)),
        unique=bool(prop.get("unique", False)),
        primary_key_position=key_position,
        classification=prop["classification"],
        description=prop.get("description"),
        business_name=prop.get("businessName"),
        source=delivery.source,
        source_aliases=delivery.aliases,
        source_formats=delivery.formats,
        pattern=options.get("pattern"),
        min_length=options.get("minLength"),
        max_length=options.get("maxLength"),
        minimum=_bound(options, "minimum") if logical_type not in TEMPORAL_TYPES else None,
        maximum=_bound(options, "maximum"),
        enum=tuple(_enum_text(entry["value"]) for _, entry in entries(prop.get("enum"))),
        standard=delivery.standard,
        not_after_delivery=delivery.not_after_delivery,
        # Without one, times delivered without an offset are in the city's time zone (city.yaml).
        timezone=options.get("defaultTimezone") if logical_type == "timestamp" else None,
        items=items,
        line=problems.line_of(path),
        missing_values=delivery.missing_values,
        unit=delivery.unit,
        source_unit=delivery.source_unit,
        derived=delivery.derived,
        exclusive_minimum=_bound(options, "exclusiveMinimum"),
        exclusive_maximum=_bound(options, "exclusiveMaximum"),
        allow_non_finite=delivery.allow_non_finite,
        json_text=delivery.json_text,
        earliest=_earliest_day(options) if logical_type in TEMPORAL_TYPES else None,
    )


def _bound(options: dict[str, Any], key: str) -> float | None:
    bound = options.get(key)
    # Anything but a number is a schema problem, reported: no bound, and no crash.
    return float(bound) if isinstance(bound, int | float) and not isinstance(bound, bool) else None


def _earliest_day(options: dict[str, Any]) -> date | None:
    """A date's or timestamp's `minimum`; anything but a day has been reported (_check_day)."""
    try:
        return date.fromisoformat(options["minimum"]) if "minimum" in options else None
    except (TypeError, ValueError):
        return None


def _check_physical_type_and_classification(
    prop: dict[str, Any], path: KeyPath, problems: Problems
) -> None:
    if not prop.get("physicalType"):
        problems.add(path, "physicalType is required")
    classification = prop.get("classification")
    if classification not in CLASSIFICATIONS:
        problems.add(
            path if classification is None else (*path, "classification"),
            f"classification must be one of {sorted(CLASSIFICATIONS)}, not {classification!r}",
        )


def _primary_key_position(
    prop: dict[str, Any], path: KeyPath, top_level: bool, problems: Problems
) -> int | None:
    # `primaryKeyPosition` defaults to -1 in ODCS, meaning "not a key".
    position = prop.get("primaryKeyPosition", -1)
    if not isinstance(position, int):
        return None  # the schema said so
    if not prop.get("primaryKey"):
        if position != -1:
            problems.add(
                (*path, "primaryKeyPosition"), "primaryKeyPosition without primaryKey: true"
            )
        return None
    if not top_level:
        problems.add((*path, "primaryKey"), "only top-level properties can be primary keys")
    elif position < 1:
        problems.add(path, "a primary key needs primaryKeyPosition (1, 2, ...)")
    return position


def _type_options(
    prop: dict[str, Any], path: KeyPath, logical_type: str, problems: Problems
) -> dict[str, Any]:
    options = mapping(prop.get("logicalTypeOptions"))
    at: KeyPath = (*path, "logicalTypeOptions")
    for key in sorted(set(options) - FEED_TYPE_OPTIONS[logical_type]):
        problems.add(
            at,
            f"{key!r} is not supported for {logical_type} properties (it would not be enforced)",
            at=(*at, key),
        )
    pattern = options.get("pattern")
    if isinstance(pattern, str):
        _check_pattern(pattern, (*at, "pattern"), problems)
    if logical_type in TEMPORAL_TYPES and "minimum" in options:
        _check_day(options["minimum"], (*at, "minimum"), problems)
    if options.get("timezone", True) is not True:
        # Bronze stores timestamps with their time zone.
        problems.add((*at, "timezone"), "timestamps are stored with a time zone")
    zone = options.get("defaultTimezone")
    if logical_type == "timestamp" and zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            problems.add((*at, "defaultTimezone"), f"unknown time zone {zone!r}")
    return options


def _check_day(value: Any, at: KeyPath, problems: Problems) -> None:
    # One form only, a day: a timestamp's zone says when it starts.
    try:
        date.fromisoformat(value if isinstance(value, str) and len(value) == 10 else "")
    except ValueError:
        problems.add(at, f"minimum of a date or timestamp is a day 'YYYY-MM-DD', not {value!r}")


def _check_pattern(pattern: str, at: KeyPath, problems: Problems) -> None:
    try:
        re.compile(pattern)
    except re.error as error:
        problems.add(at, f"invalid pattern: {error}")
        return
    problem = pattern_problem(pattern)
    if problem is not None:
        problems.add(at, problem)


def _items(
    prop: dict[str, Any], path: KeyPath, where: Where, problems: Problems
) -> tuple[Field, ...] | None:
    item = mapping(prop.get("items"))
    if problems.settled_within((*path, "items")):
        return None  # the schema found the items' shape wrong, and said how
    if item.get("logicalType") != "object" or not item.get("properties"):
        problems.add(
            path if "items" not in prop else (*path, "items"),
            "array properties need items with logicalType: object and properties",
        )
        return None
    properties_path: KeyPath = (*path, "items", "properties")
    return compile_fields(
        item["properties"],
        properties_path,
        problems,
        top_level=False,
        feed_missing_values=where.feed_missing_values,
    )


def _enum_text(value: Any) -> str:
    # Bronze columns compare as text; JSON spelling keeps `true` from becoming `True`.
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
