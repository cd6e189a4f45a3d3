"""A property's custom properties: how the department delivers it, and the standards it follows.

`source` (with `sourceAliases`) or `derivedFrom` says where the value comes from (neither,
for longitude and latitude read from a `coordinates.point`); `sourceFormats` how dates
and times are written; `missingValues` what stands for no value; `sourceUnit` and `unit`
the conversion; `standard` and `notAfterDelivery` more rules; `allowNonFinite` lets a number
be NaN or infinite; `jsonText` lets a JSON lines string hold an object or a list, kept as its
JSON text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipelines.lib.contracts.derived import derivation
from pipelines.lib.contracts.feed_properties import markers
from pipelines.lib.contracts.model import Derivation
from pipelines.lib.contracts.shapes import CustomProperties, is_string_list
from pipelines.lib.contracts.vocabulary import (
    EPOCH_MS,
    NUMERIC_TYPES,
    PROPERTY_CUSTOM_PROPERTIES,
    STANDARDS,
    TEMPORAL_TYPES,
)
from pipelines.lib.contracts.yaml_source import KeyPath, Problems
from pipelines.lib.standards.units import UnitError, conversion_factor, unit


@dataclass(frozen=True)
class Delivered:
    """What a property's custom properties say; None where a value was wrong (reported)."""

    source: str | None
    aliases: tuple[str, ...]
    formats: tuple[str, ...]
    derived: Derivation | None
    missing_values: tuple[str, ...]
    unit: str | None
    source_unit: str | None
    standard: str | None
    not_after_delivery: bool
    allow_non_finite: bool = False
    json_text: bool = False


@dataclass(frozen=True)
class Where:
    """Where the property sits: top level or inside array items, and whether a point fills it."""

    top_level: bool
    point_fed: bool
    feed_missing_values: tuple[str, ...]


def delivered(
    prop: dict[str, Any], path: KeyPath, logical_type: str, where: Where, problems: Problems
) -> Delivered | None:
    custom = CustomProperties.read(prop, path, PROPERTY_CUSTOM_PROPERTIES, problems)
    before = len(problems.messages)
    source, derived = _origin(custom, path, logical_type, where, problems)
    formats = _formats(custom, logical_type, derived, path, problems)
    own_markers = (
        markers(custom.value("missingValues"), custom.at("missingValues"), problems)
        if "missingValues" in custom
        else ()
    )
    stored_unit, source_unit = _units(custom, logical_type, problems)
    standard = _standard(custom, logical_type, problems)
    not_after_delivery = _not_after_delivery(custom, logical_type, problems)
    allow_non_finite = _allow_non_finite(custom, logical_type, problems)
    json_text = _json_text(custom, logical_type, problems)
    if len(problems.messages) > before or (formats is None and logical_type in TEMPORAL_TYPES):
        return None
    return Delivered(
        source=source,
        aliases=tuple(custom.value("sourceAliases") or ()),
        formats=formats or (),
        derived=derived,
        missing_values=tuple(dict.fromkeys([*where.feed_missing_values, *own_markers])),
        unit=stored_unit,
        source_unit=source_unit,
        standard=standard,
        not_after_delivery=not_after_delivery,
        allow_non_finite=allow_non_finite,
        json_text=json_text,
    )


def _origin(
    custom: CustomProperties, path: KeyPath, logical_type: str, where: Where, problems: Problems
) -> tuple[str | None, Derivation | None]:
    """The delivered column (`source`), or the several a value is derived from."""
    given = [name for name in ("source", "derivedFrom") if name in custom.given]
    if where.point_fed:
        for name in given:
            problems.add(
                custom.at(name), f"{name} is not used: this property is read from coordinates.point"
            )
        return None, None
    if len(given) == 2:
        problems.add(custom.at("derivedFrom"), "a property has source or derivedFrom, not both")
        return None, None
    if "derivedFrom" in custom:
        if not where.top_level:
            problems.add(
                custom.at("derivedFrom"), "derivedFrom applies to top-level properties only"
            )
            return None, None
        if "sourceAliases" in custom:
            problems.add(
                custom.at("sourceAliases"), "sourceAliases goes with source, not derivedFrom"
            )
        return None, derivation(
            custom.value("derivedFrom"), custom.at("derivedFrom"), logical_type, problems
        )
    if where.top_level and not custom.require("source", path, problems):
        return None, None
    source = custom.value("source")
    if "source" in custom and not (isinstance(source, str) and source):
        problems.add(custom.at("source"), "source must be a non-empty string")
    aliases = custom.value("sourceAliases")
    if aliases is not None and not is_string_list(aliases):
        problems.add(custom.at("sourceAliases"), "sourceAliases must be a list of strings")
    return source, None


def _formats(
    custom: CustomProperties,
    logical_type: str,
    derived: Derivation | None,
    path: KeyPath,
    problems: Problems,
) -> tuple[str, ...] | None:
    """The formats dates and timestamps arrive in; None when missing or wrong (reported)."""
    calendar = derived is not None and derived.kind == "calendar"
    if "derivedFrom" in custom.given and derived is None:
        return None  # a broken derivation, reported: whether formats are needed is unknown
    if "sourceFormats" not in custom.given:
        if logical_type in TEMPORAL_TYPES and not calendar:
            problems.add(
                path, f"custom property 'sourceFormats' is required for {logical_type} properties"
            )
            return None
        return () if calendar else None
    if "sourceFormats" not in custom:
        return None  # an entry without value: the schema said so
    value, at = custom.value("sourceFormats"), custom.at("sourceFormats")
    if logical_type not in TEMPORAL_TYPES or calendar:
        problems.add(
            at, "sourceFormats applies to date and timestamp properties read from text only"
        )
        return None
    formats = [value] if value == EPOCH_MS else value
    if (
        not is_string_list(formats)
        or not formats
        or (EPOCH_MS in formats and (len(formats) > 1 or derived is not None))
        or not all(f == EPOCH_MS or "%" in f for f in formats)
    ):
        problems.add(at, f"sourceFormats must be a list of strptime formats, or {EPOCH_MS!r} alone")
        return None
    return tuple(formats)


def _units(
    custom: CustomProperties, logical_type: str, problems: Problems
) -> tuple[str | None, str | None]:
    """(`unit`, `sourceUnit`): known units of one dimension, on a number or integer."""
    for name in ("unit", "sourceUnit"):
        if name not in custom:
            continue
        value = custom.value(name)
        if logical_type not in NUMERIC_TYPES:
            problems.add(custom.at(name), f"{name} applies to number and integer properties only")
            return None, None
        try:
            unit(value if isinstance(value, str) else str(value))
        except UnitError as error:
            problems.add(custom.at(name), str(error))
            return None, None
    stored, delivered_in = custom.value("unit"), custom.value("sourceUnit")
    if delivered_in is None:
        return stored, None
    if stored is None:
        problems.add(custom.at("sourceUnit"), "sourceUnit needs unit: the unit bronze stores")
        return None, None
    try:
        conversion_factor(delivered_in, stored)
    except UnitError as error:
        problems.add(custom.at("sourceUnit"), str(error))
        return None, None
    return stored, delivered_in


def _standard(custom: CustomProperties, logical_type: str, problems: Problems) -> str | None:
    standard = custom.value("standard")
    if standard is not None and (standard not in STANDARDS or logical_type != "string"):
        problems.add(
            custom.at("standard"), f"standard must be one of {sorted(STANDARDS)}, on a string"
        )
    return standard


def _not_after_delivery(custom: CustomProperties, logical_type: str, problems: Problems) -> bool:
    value = custom.value("notAfterDelivery")
    if value is not None and (not isinstance(value, bool) or logical_type not in TEMPORAL_TYPES):
        problems.add(
            custom.at("notAfterDelivery"),
            "notAfterDelivery must be true or false, on a date or timestamp",
        )
    return bool(value)


def _allow_non_finite(custom: CustomProperties, logical_type: str, problems: Problems) -> bool:
    value = custom.value("allowNonFinite")
    if value is not None and (not isinstance(value, bool) or logical_type != "number"):
        problems.add(
            custom.at("allowNonFinite"), "allowNonFinite must be true or false, on a number"
        )
    return bool(value)


def _json_text(custom: CustomProperties, logical_type: str, problems: Problems) -> bool:
    value = custom.value("jsonText")
    if value is not None and (not isinstance(value, bool) or logical_type != "string"):
        problems.add(custom.at("jsonText"), "jsonText must be true or false, on a string")
    return bool(value)
