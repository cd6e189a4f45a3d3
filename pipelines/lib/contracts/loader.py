"""Load ODCS feed contracts: parse with line numbers, validate, apply house rules, compile.

Every problem is reported as `file:line: key.path: message`, all of them at
once, so whoever edits a contract fixes it in one round rather than one error
per run. Three layers, in order:

1. YAML, keeping the line of every key (`yaml_source`);
2. the ODCS JSON Schema bundled with `open-data-contract-standard`, which
   catches misspelt standard keys (`odcs_schema`);
3. safecity's house rules (owner department, SLA, classification, the custom
   properties ingestion needs), then compilation into `model.FeedContract`.

House rules only run on a schema-valid document, so they may rely on the
shapes the schema guarantees.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines.lib import settings
from pipelines.lib.contracts.model import (
    DAY_PLACEHOLDER,
    DEFAULT_QUARANTINE_THRESHOLD,
    Coordinates,
    FeedContract,
    Field,
    Landing,
    Sla,
)
from pipelines.lib.contracts.odcs_schema import validate_odcs_schema
from pipelines.lib.contracts.yaml_source import (
    ContractError,
    KeyPath,
    Problems,
    display_path,
    parse_yaml,
)

CONTRACTS_DIR_ENV = settings.CONTRACTS_DIR.name
CONTRACT_SUFFIX = ".odcs.yaml"

CLASSIFICATIONS = frozenset({"public", "internal", "personal", "sensitive"})
LOGICAL_TYPES = frozenset({"string", "integer", "number", "date", "timestamp", "boolean", "array"})
TEMPORAL_TYPES = frozenset({"date", "timestamp"})
STANDARDS = frozenset({"identity_number", "uscc", "admin_county", "admin_township"})
LANDING_FORMATS = frozenset({"csv", "jsonl", "xlsx"})
CSV_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "gb18030"})
COORDINATE_SYSTEMS = frozenset({"WGS84", "GCJ02", "BD09"})
SLA_UNIT_DAYS = {"d": 1.0, "h": 1.0 / 24.0}
EPOCH_MS = "epoch_ms"

CONTRACT_CUSTOM_PROPERTIES = frozenset({"landing", "quarantineThreshold", "coordinates"})
PROPERTY_CUSTOM_PROPERTIES = frozenset(
    {"source", "sourceAliases", "sourceFormats", "standard", "notAfterDelivery"}
)

# The logicalTypeOptions the compiler turns into checks. ODCS allows more (string
# `format`, exclusive bounds, date bounds...); a contract that states a rule nobody
# enforces would mislead its readers, so anything else is an error.
SUPPORTED_TYPE_OPTIONS: dict[str, frozenset[str]] = {
    "string": frozenset({"pattern", "minLength", "maxLength"}),
    "integer": frozenset({"minimum", "maximum"}),
    "number": frozenset({"minimum", "maximum"}),
    "date": frozenset(),
    # `timezone: true` (ODCS: the value carries its zone) is what bronze stores anyway.
    "timestamp": frozenset({"defaultTimezone", "timezone"}),
    "boolean": frozenset(),
    "array": frozenset(),
}

SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def contracts_dir() -> Path:
    """`$SAFECITY_CONTRACTS_DIR` if set, else `contracts/` under the working directory.

    Like the data directory, commands run from the repository root, so the
    default is the repository's own `contracts/`.
    """
    return settings.contracts_dir()


def load_contract(path: Path, root: Path | None = None) -> FeedContract:
    """Load, validate and compile one `feeds/<department>/<feed>.odcs.yaml`.

    `root` only shortens the file names in messages (e.g. the repository root).
    """
    problems = Problems(display_path(path, root))
    contract = _load(path, problems)
    if problems.messages or contract is None:
        raise ContractError(problems.sorted_messages())
    return contract


def load_feed_contracts(contracts_dir: Path) -> dict[tuple[str, str], FeedContract]:
    """Every feed contract under `contracts_dir/feeds/`, keyed by (department, feed).

    All problems of all files are raised together in one ContractError.
    Messages name files relative to the folder holding `contracts/`, i.e. as
    seen from the repository root.
    """
    if not contracts_dir.is_dir():
        raise ContractError([f"{contracts_dir}: contracts folder not found"])
    root = contracts_dir.parent
    contracts: dict[tuple[str, str], FeedContract] = {}
    messages: list[str] = []
    feeds_dir = contracts_dir / "feeds"
    # A YAML file that does not follow the naming convention would otherwise be
    # skipped silently and its feed never ingested.
    for path in sorted([*feeds_dir.glob("*/*.yaml"), *feeds_dir.glob("*/*.yml")]):
        if not path.name.endswith(CONTRACT_SUFFIX):
            messages.append(
                f"{display_path(path, root)}:1: (file): not a contract file name, "
                f"expected <feed>{CONTRACT_SUFFIX}"
            )
            continue
        try:
            contract = load_contract(path, root)
        except ContractError as error:
            messages.extend(error.messages)
            continue
        contracts[(contract.department, contract.feed)] = contract
    if messages:
        raise ContractError(messages)
    return contracts


# --- 3. house rules and compilation ------------------------------------------------


def _load(path: Path, problems: Problems) -> FeedContract | None:
    if not path.name.endswith(CONTRACT_SUFFIX):
        problems.add((), f"contract files are named <feed>{CONTRACT_SUFFIX}")
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.add((), f"cannot read: {error}")
        return None
    document = parse_yaml(text, problems)
    if problems.messages:
        return None
    if not isinstance(document, dict):
        problems.add((), "a contract is a YAML mapping")
        return None
    validate_odcs_schema(document, problems)
    if problems.messages:
        return None
    return _compile(path, document, problems)


def _compile(path: Path, doc: dict[str, Any], problems: Problems) -> FeedContract | None:
    department = path.parent.name
    feed = path.name.removesuffix(CONTRACT_SUFFIX)
    if not SNAKE_CASE.fullmatch(feed):
        problems.add((), f"feed name {feed!r} (from the file name) must be snake_case")

    owner = _check_team(doc, department, problems)
    sla_entries = _check_sla(doc, problems)
    custom = _custom_properties(doc, (), CONTRACT_CUSTOM_PROPERTIES, problems)

    landing = None
    if "landing" not in custom:
        problems.add(("customProperties",), "custom property 'landing' is required")
    else:
        landing = _landing(*custom["landing"], problems)

    threshold = DEFAULT_QUARANTINE_THRESHOLD
    if "quarantineThreshold" in custom:
        value, at = custom["quarantineThreshold"]
        if _is_number(value) and 0 <= value <= 1:
            threshold = float(value)
        else:
            problems.add(at, "quarantineThreshold must be a number from 0 to 1")

    schema = doc.get("schema") or []
    if len(schema) != 1:
        problems.add(
            ("schema",), f"a feed contract has exactly one schema object, not {len(schema)}"
        )
        return None
    obj = schema[0]
    obj_path: KeyPath = ("schema", 0)
    if not obj.get("properties"):
        problems.add(obj_path, "the schema object needs properties")
        return None
    fields = _fields(obj["properties"], (*obj_path, "properties"), problems, top_level=True)
    if len(fields) == len(obj["properties"]):  # a broken key field is reported already
        _check_primary_key(fields, obj_path, problems)
    # Cross-references are checked against the YAML's own types rather than the
    # compiled fields, so a broken property is reported once, not again here.
    types = {prop["name"]: prop.get("logicalType") for prop in obj["properties"]}

    coordinates = None
    if "coordinates" in custom:
        coordinates = _coordinates(*custom["coordinates"], types, problems)

    sla = _sla(sla_entries, obj["name"], types, problems)

    if problems.messages or owner is None or landing is None or sla is None:
        return None
    description = doc.get("description") or {}
    return FeedContract(
        path=path,
        id=doc["id"],
        version=doc["version"],
        department=department,
        feed=feed,
        owner=owner,
        description=description.get("purpose"),
        landing=landing,
        coordinates=coordinates,
        sla=sla,
        quarantine_threshold=threshold,
        fields=fields,
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _check_team(doc: dict[str, Any], department: str, problems: Problems) -> str | None:
    """The owner department is the folder, `team.name` and `domain` alike; returns the owner."""
    team = doc.get("team")
    if not isinstance(team, dict):
        where: KeyPath = ("team",) if team is not None else ()
        problems.add(where, "a team object with the owner department as name is required")
        return None
    name = team.get("name")
    if name is None:
        problems.add(("team",), "team.name (the owner department) is required")
    elif name != department:
        problems.add(("team", "name"), f"{name!r} must be the department folder {department!r}")
    domain = doc.get("domain")
    if domain is None:
        problems.add((), "domain (the owner department) is required")
    elif domain != department:
        # Compared with the folder rather than team.name, so one wrong name is one error.
        problems.add(("domain",), f"{domain!r} must be the department folder {department!r}")
    owners = [m["username"] for m in team.get("members") or [] if m.get("role") == "owner"]
    if not owners:
        problems.add(("team",), "at least one team member with role 'owner' is required")
        return None
    return owners[0]


def _check_sla(
    doc: dict[str, Any], problems: Problems
) -> dict[str, tuple[dict[str, Any], KeyPath]]:
    """The frequency and latency SLA entries, checked for value and unit."""
    found: dict[str, tuple[dict[str, Any], KeyPath]] = {}
    for index, entry in enumerate(doc.get("slaProperties") or []):
        name = entry["property"]
        if name not in ("frequency", "latency"):
            continue  # other ODCS SLA properties are documentation only
        entry_path: KeyPath = ("slaProperties", index)
        if name in found:
            problems.add(entry_path, f"SLA property {name!r} given twice")
            continue
        found[name] = (entry, entry_path)
        if not _is_number(entry.get("value")) or entry["value"] <= 0:
            problems.add((*entry_path, "value"), f"{name} value must be a positive number")
        if entry.get("unit") not in SLA_UNIT_DAYS:
            problems.add(entry_path, f"{name} unit must be one of {sorted(SLA_UNIT_DAYS)}")
    for name in ("frequency", "latency"):
        if name not in found:
            problems.add(("slaProperties",), f"SLA property {name!r} is required")
    return found


def _sla(
    entries: dict[str, tuple[dict[str, Any], KeyPath]],
    object_name: str,
    types: Mapping[str, str | None],
    problems: Problems,
) -> Sla | None:
    if "frequency" not in entries or "latency" not in entries:
        return None
    latency, latency_path = entries["latency"]
    element = latency.get("element")
    latency_element = None
    if element is not None:
        # ODCS names elements `object.property`; latency is measured from that field.
        obj, _, prop = element.partition(".")
        if obj != object_name or types.get(prop) not in TEMPORAL_TYPES:
            problems.add(
                (*latency_path, "element"),
                f"{element!r} must name a date or timestamp property as {object_name}.<property>",
            )
        latency_element = prop
    frequency = entries["frequency"][0]
    try:
        return Sla(
            frequency_days=frequency["value"] * SLA_UNIT_DAYS[frequency["unit"]],
            latency_days=latency["value"] * SLA_UNIT_DAYS[latency["unit"]],
            latency_element=latency_element,
        )
    except (KeyError, TypeError):  # already reported by _check_sla
        return None


def _custom_properties(
    obj: Mapping[str, Any], path: KeyPath, known: frozenset[str], problems: Problems
) -> dict[str, tuple[Any, KeyPath]]:
    """Custom properties by name, with the key path of each value.

    Unknown names are errors: a misspelt `sourceAlias` would otherwise be
    ignored and its rule silently not applied.
    """
    found: dict[str, tuple[Any, KeyPath]] = {}
    for index, entry in enumerate(obj.get("customProperties") or []):
        name = entry["property"]
        entry_path: KeyPath = (*path, "customProperties", index)
        if name not in known:
            problems.add(
                entry_path,
                f"unknown custom property {name!r} (known: {', '.join(sorted(known))})",
            )
        elif name in found:
            problems.add(entry_path, f"custom property {name!r} given twice")
        else:
            found[name] = (entry["value"], (*entry_path, "value"))
    return found


def _landing(value: Any, at: KeyPath, problems: Problems) -> Landing | None:
    if not isinstance(value, dict):
        problems.add(at, "landing must be an object with format, file and (csv) encoding")
        return None
    for key in sorted(set(value) - {"format", "encoding", "file"}):
        problems.add(at, f"{key!r} is not allowed in landing (misspelt key?)", at=(*at, key))
    ok = True
    fmt = value.get("format")
    if fmt not in LANDING_FORMATS:
        problems.add((*at, "format"), f"format must be one of {sorted(LANDING_FORMATS)}")
        ok = False
    encoding = value.get("encoding", "utf-8")
    if "encoding" in value and fmt != "csv":
        # xlsx and jsonl carry their own encoding; a setting here would be ignored.
        problems.add((*at, "encoding"), "encoding applies to csv only")
        ok = False
    elif encoding not in CSV_ENCODINGS:
        problems.add((*at, "encoding"), f"encoding must be one of {sorted(CSV_ENCODINGS)}")
        ok = False
    file = value.get("file")
    if not isinstance(file, str) or file.count(DAY_PLACEHOLDER) != 1 or "/" in file:
        problems.add((*at, "file"), f"file must be a file name with exactly one {DAY_PLACEHOLDER}")
        ok = False
    return Landing(format=fmt, encoding=encoding, file=file) if ok else None


def _coordinates(
    value: Any, at: KeyPath, types: Mapping[str, str | None], problems: Problems
) -> Coordinates | None:
    if not isinstance(value, dict):
        problems.add(at, "coordinates must be an object with system, longitude and latitude")
        return None
    for key in sorted(set(value) - {"system", "longitude", "latitude"}):
        problems.add(at, f"{key!r} is not allowed in coordinates (misspelt key?)", at=(*at, key))
    ok = True
    if value.get("system") not in COORDINATE_SYSTEMS:
        problems.add((*at, "system"), f"system must be one of {sorted(COORDINATE_SYSTEMS)}")
        ok = False
    for axis in ("longitude", "latitude"):
        name = value.get(axis)
        if not isinstance(name, str) or types.get(name) != "number":
            problems.add((*at, axis), f"{axis} must name a number property, not {name!r}")
            ok = False
    if not ok:
        return None
    return Coordinates(
        system=value["system"], longitude=value["longitude"], latitude=value["latitude"]
    )


def _fields(
    properties: list[dict[str, Any]], path: KeyPath, problems: Problems, *, top_level: bool
) -> tuple[Field, ...]:
    fields: list[Field] = []
    seen: set[str] = set()
    for index, prop in enumerate(properties):
        prop_path: KeyPath = (*path, index)
        name = prop["name"]
        if not SNAKE_CASE.fullmatch(name):
            problems.add((*prop_path, "name"), f"property name {name!r} must be snake_case")
        if name in seen:
            problems.add((*prop_path, "name"), f"property name {name!r} is used twice")
        seen.add(name)
        compiled = _field(prop, prop_path, problems, top_level=top_level)
        if compiled is not None:
            fields.append(compiled)
    return tuple(fields)


def _field(
    prop: dict[str, Any], path: KeyPath, problems: Problems, *, top_level: bool
) -> Field | None:
    name = prop["name"]
    ok = True

    logical_type = prop.get("logicalType")
    if logical_type not in LOGICAL_TYPES:
        problems.add(
            path if logical_type is None else (*path, "logicalType"),
            f"logicalType must be one of {sorted(LOGICAL_TYPES)}, not {logical_type!r}",
        )
        return None
    physical_type = prop.get("physicalType")
    if not physical_type:
        problems.add(path, "physicalType is required")
        ok = False
    classification = prop.get("classification")
    if classification not in CLASSIFICATIONS:
        problems.add(
            path if classification is None else (*path, "classification"),
            f"classification must be one of {sorted(CLASSIFICATIONS)}, not {classification!r}",
        )
        ok = False

    # Primary key: `primaryKeyPosition` defaults to -1 in ODCS, meaning "not a key".
    position = prop.get("primaryKeyPosition", -1)
    primary_key_position = None
    if prop.get("primaryKey"):
        if not top_level:
            problems.add((*path, "primaryKey"), "only top-level properties can be primary keys")
            ok = False
        elif position < 1:
            problems.add(path, "a primary key needs primaryKeyPosition (1, 2, ...)")
            ok = False
        primary_key_position = position
    elif position != -1:
        problems.add((*path, "primaryKeyPosition"), "primaryKeyPosition without primaryKey: true")
        ok = False

    options = prop.get("logicalTypeOptions") or {}
    for key in sorted(set(options) - SUPPORTED_TYPE_OPTIONS[logical_type]):
        problems.add(
            (*path, "logicalTypeOptions"),
            f"{key!r} is not supported for {logical_type} properties (it would not be enforced)",
            at=(*path, "logicalTypeOptions", key),
        )
        ok = False
    pattern = options.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as error:
            problems.add((*path, "logicalTypeOptions", "pattern"), f"invalid pattern: {error}")
            ok = False
    if options.get("timezone", True) is not True:
        # DESIGN.md, "times": bronze stores timestamps with time zone.
        problems.add(
            (*path, "logicalTypeOptions", "timezone"), "timestamps are stored with a time zone"
        )
        ok = False
    timezone = None
    if logical_type == "timestamp":
        # Without one, delivered times without an offset are in the city's time zone (city.yaml).
        timezone = options.get("defaultTimezone")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.add(
                (*path, "logicalTypeOptions", "defaultTimezone"), f"unknown time zone {timezone!r}"
            )
            ok = False

    custom = _custom_properties(prop, path, PROPERTY_CUSTOM_PROPERTIES, problems)
    source = _custom_value(custom, "source", path, problems, required=top_level)
    if source is not None and not (isinstance(source, str) and source):
        problems.add(custom["source"][1], "source must be a non-empty string")
        ok = False
    aliases = _custom_value(custom, "sourceAliases", path, problems)
    if aliases is not None and not _is_string_list(aliases):
        problems.add(custom["sourceAliases"][1], "sourceAliases must be a list of strings")
        ok = False
    formats = _source_formats(custom, logical_type, path, problems)
    standard = _custom_value(custom, "standard", path, problems)
    if standard is not None and (standard not in STANDARDS or logical_type != "string"):
        problems.add(
            custom["standard"][1], f"standard must be one of {sorted(STANDARDS)}, on a string"
        )
        ok = False
    not_after_delivery = _custom_value(custom, "notAfterDelivery", path, problems)
    if not_after_delivery is not None and (
        not isinstance(not_after_delivery, bool) or logical_type not in TEMPORAL_TYPES
    ):
        problems.add(
            custom["notAfterDelivery"][1],
            "notAfterDelivery must be true or false, on a date or timestamp",
        )
        ok = False

    items: tuple[Field, ...] = ()
    if logical_type == "array":
        item = prop.get("items") or {}
        if item.get("logicalType") != "object" or not item.get("properties"):
            problems.add(
                path if "items" not in prop else (*path, "items"),
                "array properties need items with logicalType: object and properties",
            )
            ok = False
        else:
            items = _fields(
                item["properties"], (*path, "items", "properties"), problems, top_level=False
            )

    if (
        not ok
        or (top_level and source is None)
        or (formats is None and logical_type in TEMPORAL_TYPES)
    ):
        return None
    return Field(
        name=name,
        logical_type=logical_type,
        physical_type=physical_type,
        required=bool(prop.get("required", False)),
        unique=bool(prop.get("unique", False)),
        primary_key_position=primary_key_position,
        classification=classification,
        description=prop.get("description"),
        business_name=prop.get("businessName"),
        source=source,
        source_aliases=tuple(aliases or ()),
        source_formats=formats or (),
        pattern=pattern,
        min_length=options.get("minLength"),
        max_length=options.get("maxLength"),
        minimum=float(options["minimum"]) if "minimum" in options else None,
        maximum=float(options["maximum"]) if "maximum" in options else None,
        enum=tuple(_enum_text(entry["value"]) for entry in prop.get("enum") or []),
        standard=standard,
        not_after_delivery=bool(not_after_delivery),
        timezone=timezone,
        items=items,
        line=problems.line_of(path),
    )


def _custom_value(
    custom: Mapping[str, tuple[Any, KeyPath]],
    name: str,
    path: KeyPath,
    problems: Problems,
    *,
    required: bool = False,
) -> Any:
    if name in custom:
        return custom[name][0]
    if required:
        problems.add(path, f"custom property {name!r} is required")
    return None


def _source_formats(
    custom: Mapping[str, tuple[Any, KeyPath]], logical_type: str, path: KeyPath, problems: Problems
) -> tuple[str, ...] | None:
    """The formats dates and timestamps arrive in; None when missing or wrong (reported)."""
    temporal = logical_type in TEMPORAL_TYPES
    if "sourceFormats" not in custom:
        if temporal:
            problems.add(
                path, f"custom property 'sourceFormats' is required for {logical_type} properties"
            )
        return None
    value, at = custom["sourceFormats"]
    if not temporal:
        problems.add(at, "sourceFormats applies to date and timestamp properties only")
        return None
    formats = [value] if value == EPOCH_MS else value
    if (
        not _is_string_list(formats)
        or not formats
        or (EPOCH_MS in formats and len(formats) > 1)
        or not all(f == EPOCH_MS or "%" in f for f in formats)
    ):
        problems.add(at, f"sourceFormats must be a list of strptime formats, or {EPOCH_MS!r} alone")
        return None
    return tuple(formats)


def _check_primary_key(fields: tuple[Field, ...], obj_path: KeyPath, problems: Problems) -> None:
    positions = sorted(f.primary_key_position for f in fields if f.primary_key_position is not None)
    if positions != list(range(1, len(positions) + 1)):
        problems.add(
            (*obj_path, "properties"),
            f"primaryKeyPosition values must be 1..n without gaps or repeats, not {positions}",
        )


def _enum_text(value: Any) -> str:
    # Bronze columns compare as text; JSON spelling keeps `true` from becoming `True`.
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
