"""The closed vocabulary of a feed contract: every name and value the loader accepts.

A contract can only say what ingestion enforces: anything outside these sets is an
error at load time (with its file and line), never a rule silently not applied.
"""

from __future__ import annotations

import re

CONTRACT_SUFFIX = ".odcs.yaml"

CLASSIFICATIONS = frozenset({"public", "internal", "personal", "sensitive"})
LOGICAL_TYPES = frozenset({"string", "integer", "number", "date", "timestamp", "boolean", "array"})
TEMPORAL_TYPES = frozenset({"date", "timestamp"})
NUMERIC_TYPES = frozenset({"integer", "number"})
STANDARDS = frozenset({"identity_number", "uscc", "admin_county", "admin_township"})
LANDING_FORMATS = frozenset({"csv", "jsonl", "xlsx"})
CSV_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "gb18030"})
CSV_DELIMITERS = frozenset({",", ";", "\t", "|"})  # comma unless the contract says otherwise
COORDINATE_SYSTEMS = frozenset({"WGS84", "GCJ02", "BD09"})
# `min` gives a sub-daily feed its cadence (contracts/README.md, "Sub-daily delivery").
SLA_UNIT_DAYS = {"d": 1.0, "h": 1.0 / 24.0, "min": 1.0 / (24.0 * 60.0)}
EPOCH_MS = "epoch_ms"

# How one delivered string holds a point: "(30.66, 104.06)" or "30.66,104.06" is lat,lon;
# "104.06,30.66" is lon,lat; WKT `POINT(104.06 30.66)` is always x (longitude) first.
POINT_FORMATS = frozenset({"lat,lon", "lon,lat", "wkt"})

# derivedFrom: a timestamp from a date column and a time column, or a date or timestamp
# from calendar parts. The parts a derivation must and may name, by logical type.
DATE_TIME_PARTS = ("date", "time")
CALENDAR_PARTS = ("year", "month", "day", "hour", "minute", "second")
REQUIRED_CALENDAR_PARTS = {
    "date": ("year", "month", "day"),
    "timestamp": ("year", "month", "day", "hour"),
}
ALLOWED_CALENDAR_PARTS = {"date": ("year", "month", "day"), "timestamp": CALENDAR_PARTS}

# Cross-column rules: `column <check> other`. Broken when both have a value and the
# comparison fails (requiredWhen: when other has a value and column has none).
TEMPORAL_CHECKS = {"notBefore": ">=", "notAfter": "<=", "after": ">", "before": "<"}
NUMERIC_CHECKS = {"atLeast": ">=", "atMost": "<=", "greaterThan": ">", "lessThan": "<"}
PRESENCE_CHECKS = frozenset({"requiredWhen"})
RULE_CHECKS = frozenset({*TEMPORAL_CHECKS, *NUMERIC_CHECKS, *PRESENCE_CHECKS})

# Quarantine reasons ingestion gives on its own; a cross-column rule needs a name of its own.
BUILT_IN_RULES = frozenset(
    {
        "encoding_invalid",
        "row_malformed",
        "row_too_long",
        "column_missing",
        "required_missing",
        "type_invalid",
        "derived_invalid",
        "derived_incomplete",
        "pattern_mismatch",
        "value_too_long",
        "value_too_short",
        "enum_invalid",
        "value_out_of_range",
        "identity_number_check",
        "uscc_check",
        "admin_code_unknown",
        "control_character",
        "coordinates_outside_city",
        "date_in_future",
        "duplicate_key",
    }
)

CONTRACT_CUSTOM_PROPERTIES = frozenset(
    {"landing", "quarantineThreshold", "coordinates", "missingValues", "rules", "mapping"}
)
PROPERTY_CUSTOM_PROPERTIES = frozenset(
    {
        "source",
        "sourceAliases",
        "sourceFormats",
        "standard",
        "notAfterDelivery",
        "missingValues",
        "derivedFrom",
        "unit",
        "sourceUnit",
        "allowNonFinite",
        "jsonText",
    }
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
# A feed's properties have more, enforced by ingestion: strict bounds on numbers (a divisor's
# `exclusiveMinimum: 0`) and the earliest plausible day of a date or timestamp (`minimum`).
FEED_TYPE_OPTIONS: dict[str, frozenset[str]] = {
    **SUPPORTED_TYPE_OPTIONS,
    "integer": SUPPORTED_TYPE_OPTIONS["integer"] | {"exclusiveMinimum", "exclusiveMaximum"},
    "number": SUPPORTED_TYPE_OPTIONS["number"] | {"exclusiveMinimum", "exclusiveMaximum"},
    "date": SUPPORTED_TYPE_OPTIONS["date"] | {"minimum"},
    "timestamp": SUPPORTED_TYPE_OPTIONS["timestamp"] | {"minimum"},
}

# The national categories of emergency events (突发事件应对法, article 3): fixed by law, so
# closed here; fct_event.category's enum says the same (a test holds them together).
NATIONAL_EVENT_CATEGORIES = (
    "natural_disaster",
    "accident_disaster",
    "public_health",
    "social_security",
)
# How an object kind's code is normalised before it becomes part of the object's key.
OBJECT_CODE_NORMALISERS = frozenset({"plate"})  # normalise_plate (dbt macro)

# The `mapping` custom property: what a record means in the shared POLE-O model.
MAPPING_KEYS = frozenset({"mentions", "event", "relations", "records", "derivedEvents"})
MENTION_KINDS = ("organisation", "person", "place", "object")
MENTION_COMMON_KEYS = frozenset({"kind", "role", "each", "split"})
# What each kind of mention may give; flags are true or false.
MENTION_ATTRIBUTES = {
    "organisation": frozenset({"name", "identifiers", "county", "type", "industry", "phone"}),
    "person": frozenset({"name", "identityNumber", "identityMasked", "phone"}),
    "place": frozenset({"address", "county", "township", "point"}),
    "object": frozenset({"objectKind", "code", "name"}),
}
MENTION_FLAGS = {"organisation": frozenset({"responder", "register"})}
# A mention without any of these says nothing linkage could use (README, "Linkage").
IDENTIFYING_ATTRIBUTES = {
    "organisation": ("name", "identifiers"),
    "person": ("name", "identityNumber"),
    "place": ("address", "point"),
    "object": ("code",),
}
# The identifiers organisation linkage knows (its U:/L:/E: nodes): another needs Python.
ORGANISATION_IDENTIFIERS = ("uscc", "licence_no", "permit_no")
# Relation type -> (kind of its first end, kind of its second end); the YAML keys are the kinds.
RELATION_ENDS = {
    "represents": ("person", "organisation"),
    "premises": ("organisation", "place"),
    "site": ("organisation", "place"),
    "owns": ("organisation", "object"),
    "locatedAt": ("object", "place"),
}

# Custom properties of a warehouse table's column (contracts/warehouse/*.odcs.yaml).
TABLE_PROPERTY_CUSTOM_PROPERTIES = frozenset({"enumFrom"})
# What `enumFrom` may name: a vocabulary the feeds' mappings give together (mapping_index),
# so that a feed with a new role, type or department changes no warehouse contract.
ENUM_FROM = (
    "eventTypes",  # the types the mappings give or derive
    "eventDepartments",  # the departments of the feeds giving events
    "objectKinds",
    *(f"roles.{kind}" for kind in MENTION_KINDS),
    *(f"relations.{type_}.{kind}" for type_, ends in RELATION_ENDS.items() for kind in ends),
)
EVENT_KEYS = frozenset(
    {
        "type",
        "when",
        "time",
        "severity",
        "deaths",
        "injuries",
        "place",
        "county",
        "description",
        "due",
        "resolved",
        "major",
    }
)
VALUE_FORMS = ("const", "firstOf", "prefix", "template", "sum")
CONDITION_TESTS = ("equals", "in", "present")
SEVERITY_GRADINGS = frozenset({"casualtyGrade"})  # dbt macro casualty_severity_grade

SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
