"""The drafted contract as an ODCS document, laid out like the hand-written ones, with comments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipelines.lib.contracts.model import DEFAULT_QUARANTINE_THRESHOLD
from pipelines.lib.draft.columns import DraftField
from pipelines.lib.draft.keys import Keys
from pipelines.lib.draft.position import Position
from pipelines.lib.draft.sample import Sample
from pipelines.lib.draft.yaml_text import Commented, Quoted

PHYSICAL_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
    "array": "STRUCT[]",
}


@dataclass
class Drafted:
    """Everything inferred from the sample, ready to be written."""

    sample: Sample
    department: str
    feed: str
    fields: list[DraftField]
    markers: tuple[str, ...]
    marker_columns: dict[str, list[str]]
    position: Position | None
    keys: Keys
    notes: list[str] = field(default_factory=list)


def contract_document(drafted: Drafted) -> dict[str, Any]:
    department, feed = drafted.department, drafted.feed
    return {
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": f"urn:safecity:feed:{department}:{feed}",
        "name": feed,
        "version": "0.1.0",
        "status": Commented("draft", after="TODO: review: active once reviewed"),
        "domain": department,
        "description": {
            "purpose": Commented(
                f"TODO: what {feed} holds (drafted from {drafted.sample.path.name})",
                after="TODO: review",
            )
        },
        "team": {
            "name": department,
            "members": [
                {
                    "username": Commented(
                        f"owner@{department.replace('_', '-')}.example",
                        after="TODO: review: the department's data owner",
                    ),
                    "role": "owner",
                }
            ],
        },
        "slaProperties": _sla(drafted),
        "customProperties": _contract_properties(drafted),
        "schema": [
            {
                "name": feed,
                "physicalName": f"bronze/{department}/{feed}",
                "logicalType": "object",
                "description": Commented("TODO: what one row is", after="TODO: review"),
                "properties": Commented(
                    [_property(f, drafted.keys.key) for f in drafted.fields],
                    above=_key_notes(drafted),
                ),
            }
        ],
    }


def _key_notes(drafted: Drafted) -> list[str]:
    key = drafted.keys.key
    found = [f"primary key: {', '.join(key)} (never empty and unique in the sample)"] if key else []
    return found + drafted.keys.notes


def _sla(drafted: Drafted) -> list[Any]:
    element = next((f.name for f in drafted.fields if f.not_after_delivery), None)
    latency: dict[str, Any] = {"property": "latency", "value": 1, "unit": "d"}
    if element is not None:
        latency["element"] = f"{drafted.feed}.{element}"
    return [
        {
            "property": "frequency",
            "value": 1,
            "unit": "d",
            "description": "One file per day, named by its delivery day.",
        },
        Commented(
            latency,
            above=[
                "How old a record may be when it arrives: agree it with the department # TODO: review"
            ],
        ),
    ]


def _contract_properties(drafted: Drafted) -> list[Any]:
    sample = drafted.sample
    landing: dict[str, Any] = {"format": sample.format}
    if sample.format == "csv":
        landing["encoding"] = sample.encoding
        if sample.delimiter != ",":
            landing["delimiter"] = sample.delimiter
    landing["file"] = sample.file_pattern
    if sample.format == "xlsx":
        # Named, so a sheet added or a title row inserted later is reported, never guessed at.
        if sample.sheet is not None:
            landing["sheet"] = Quoted(sample.sheet)  # a name such as 2026 must stay text
        if sample.header_row is not None:
            landing["headerRow"] = sample.header_row
    found = [
        f"landing: {sample.format}"
        + (f", {sample.encoding}" if sample.encoding else "")
        + (f", fields separated by {sample.delimiter!r}" if sample.format == "csv" else "")
        + (
            f", sheet {sample.sheet!r} with its column names in row {sample.header_row}"
            if sample.format == "xlsx" and sample.sheet is not None
            else ""
        )
        + f", named like {sample.path.name}",
        *sample.notes,
    ]
    properties: list[Any] = [Commented({"property": "landing", "value": landing}, above=found)]
    if drafted.markers:
        where = "; ".join(
            f"{marker!r} in {', '.join(columns)}" for marker, columns in _by_marker(drafted).items()
        )
        properties.append(
            Commented(
                {"property": "missingValues", "value": [Quoted(m) for m in drafted.markers]},
                above=[f"read as no value in every column: {where} # TODO: review"],
            )
        )
    if drafted.position is not None:
        position = drafted.position
        value: dict[str, Any] = {
            "system": position.system,
            "longitude": position.longitude,
            "latitude": position.latitude,
        }
        if position.point is not None:
            value["point"] = {"source": position.point[0], "format": position.point[1]}
        properties.append(
            Commented({"property": "coordinates", "value": value}, above=position.notes)
        )
    properties.append(
        Commented(
            {"property": "quarantineThreshold", "value": DEFAULT_QUARANTINE_THRESHOLD},
            above=["share of rows that may be quarantined before a delivery counts as unusable"],
        )
    )
    return properties


def _by_marker(drafted: Drafted) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for column, markers in drafted.marker_columns.items():
        for marker in markers:
            found.setdefault(marker, []).append(column)
    return found


def _property(f: DraftField, key: tuple[str, ...]) -> Commented:
    prop: dict[str, Any] = {"name": f.name}
    if f.business_name:
        prop["businessName"] = f.business_name
    prop["logicalType"] = f.logical_type
    prop["physicalType"] = PHYSICAL_TYPES[f.logical_type]
    if f.required:
        prop["required"] = True
    if f.name in key:
        prop["primaryKey"] = True
        prop["primaryKeyPosition"] = key.index(f.name) + 1
    prop["classification"] = Commented(f.classification, after=f.classification_note)
    options: dict[str, Any] = {}
    if f.pattern:
        options["pattern"] = f.pattern
    if f.minimum is not None:
        options["minimum"] = f.minimum
    if f.logical_type == "timestamp":
        options["timezone"] = Commented(
            True,
            after="times without an offset are read in the city's zone (contracts/city.yaml); "
            "another: defaultTimezone # TODO: review",
        )
    if options:
        prop["logicalTypeOptions"] = options
    if f.enum:
        prop["enum"] = [{"value": value} for value in f.enum]
    if f.items:
        prop["items"] = {
            "logicalType": "object",
            "properties": [_property(item, ()) for item in f.items],
        }
    custom = _custom_properties(f)
    if custom:
        prop["customProperties"] = custom
    return Commented(prop, above=f.notes)


def _custom_properties(f: DraftField) -> list[dict[str, Any]]:
    custom: list[dict[str, Any]] = []
    if f.source is not None:
        custom.append({"property": "source", "value": f.source})
    if f.formats:
        custom.append({"property": "sourceFormats", "value": list(f.formats)})
    if f.missing_values:
        custom.append({"property": "missingValues", "value": [Quoted(m) for m in f.missing_values]})
    if f.standard:
        custom.append({"property": "standard", "value": f.standard})
    if f.not_after_delivery:
        custom.append({"property": "notAfterDelivery", "value": True})
    if f.json_text:
        custom.append({"property": "jsonText", "value": True})
    return custom
