"""The contract-level `mapping` custom property: what a feed's records mean in the shared model.

    - property: mapping
      value:
        mentions:                      # the entities a record names, each in a role
        - {kind: organisation, role: inspected, name: business_name,
           identifiers: {licence_no: licence_no}, county: county_code}
        - {kind: place, role: inspected_premises, address: address, county: county_code}
        relations:                     # how two mentions of one record are related
        - {type: premises, organisation: inspected, place: inspected_premises}
        event:                         # whether (and when) a record is an event of fct_event
          type: food_inspection_failure          # contracts/vocabulary.yaml
          when: {column: result, equals: 不符合}
          time: inspection_date
          place: inspected_premises
          county: county_code
          description: findings

Roles are free snake_case names, one meaning per feed; kinds, object kinds and event types
come from the shared vocabulary. Every reference is checked against the contract's
properties, so the dbt models generated from a mapping never name a column that is not
there. A feed without a mapping stays in bronze.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from pipelines.lib.contracts.mapping_values import (
    TEXT_FORMS,
    Columns,
    condition,
    count_value,
    mapped_value,
    temporal_column,
)
from pipelines.lib.contracts.model import (
    CasualtyGrade,
    ColumnValue,
    ConstantValue,
    Coordinates,
    DerivedEvents,
    EventMapping,
    EventTypeClassified,
    EventTypeMap,
    FeedMapping,
    Field,
    LatestRecords,
    MappedValue,
    Mention,
    Relation,
    Split,
    event_types_of,
)
from pipelines.lib.contracts.shapes import CustomProperties, entries, is_string_list, unknown_keys
from pipelines.lib.contracts.shared_vocabulary import VOCABULARY_FILE, SharedVocabulary
from pipelines.lib.contracts.vocabulary import (
    EVENT_KEYS,
    IDENTIFYING_ATTRIBUTES,
    MAPPING_KEYS,
    MENTION_ATTRIBUTES,
    MENTION_COMMON_KEYS,
    MENTION_FLAGS,
    MENTION_KINDS,
    NUMERIC_TYPES,
    ORGANISATION_IDENTIFIERS,
    RELATION_ENDS,
    SEVERITY_GRADINGS,
    SNAKE_CASE,
    TEMPORAL_TYPES,
)
from pipelines.lib.contracts.yaml_source import KeyPath, Problems

# Attributes read from a property with a standard: only those are checked (or hashed) at
# ingestion, so only they can be trusted as codes and identity numbers downstream.
_STANDARD_ATTRIBUTES = {
    "county": "admin_county",
    "township": "admin_township",
    "identityNumber": "identity_number",
}


@dataclass(frozen=True)
class MappingContext:
    """What a mapping is checked against: the contract's properties and the shared vocabulary."""

    columns: Columns
    key: tuple[str, ...]  # primary-key properties in key order
    coordinates: Coordinates | None
    vocabulary: SharedVocabulary | None  # None: it did not load (reported once)


def feed_mapping(
    custom: CustomProperties,
    fields: Collection[Field],
    declared: Collection[str],
    coordinates: Coordinates | None,
    vocabulary: SharedVocabulary | None,
    problems: Problems,
) -> FeedMapping | None:
    """The compiled mapping, None when there is none or it has problems (all reported)."""
    if "mapping" not in custom:
        return None
    value, at = custom.value("mapping"), custom.at("mapping")
    if not isinstance(value, dict) or not ({"mentions", "event", "derivedEvents"} & set(value)):
        problems.add(at, "mapping is an object with mentions, an event or derivedEvents")
        return None
    before = len(problems.messages)
    unknown_keys(value, MAPPING_KEYS, at, "a mapping", problems)
    if vocabulary is None:
        problems.add(
            at,
            f"a mapping needs the shared vocabulary (contracts/{VOCABULARY_FILE}), which is "
            "missing or has problems: `safecity contract check` lists them",
        )
    keyed = sorted(
        (f for f in fields if f.primary_key_position), key=lambda f: f.primary_key_position or 0
    )
    context = MappingContext(
        columns=Columns(fields={f.name: f for f in fields}, declared=frozenset(declared)),
        key=tuple(f.name for f in keyed),
        coordinates=coordinates,
        vocabulary=vocabulary,
    )
    mentions = _mentions(value.get("mentions"), (*at, "mentions"), context, problems)
    relations = _relations(value.get("relations"), (*at, "relations"), mentions, problems)
    event = None
    if "event" in value:
        event = _event(value["event"], (*at, "event"), mentions, context, problems)
    records = None
    if "records" in value:
        records = _latest_records(value["records"], (*at, "records"), context, problems)
    derived = _derived_events(value.get("derivedEvents"), (*at, "derivedEvents"), context, problems)
    if len(problems.messages) > before:
        return None  # nothing half-applied
    return FeedMapping(
        mentions=tuple(m for m in mentions.by_role.values() if m is not None),
        relations=relations,
        event=event,
        records=records,
        derived_events=derived,
    )


# --- mentions ---------------------------------------------------------------------------


@dataclass
class Mentions:
    """The declared mentions, for relations and the event to name by role.

    A mention with problems is kept as None, and `complete` is False when a mention's kind
    or role could not be read: a reference to it is then not a second problem.
    """

    by_role: dict[tuple[str, str], Mention | None] = field(default_factory=dict)
    complete: bool = True

    def declared(self, kind: str) -> str:
        return ", ".join(role for k, role in self.by_role if k == kind) or "none"


def _mentions(value: Any, at: KeyPath, context: MappingContext, problems: Problems) -> Mentions:
    """Every declared mention by (kind, role); a role reused within a kind is an error."""
    found = Mentions()
    if value is None:
        return found
    if not isinstance(value, list) or not value:
        problems.add(at, "mentions is a list of {kind, role, ...}")
        found.complete = False
        return found
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            problems.add((*at, index), "a mention is an object {kind, role, ...}")
            continue
        kind, role = entry.get("kind"), entry.get("role")
        if isinstance(kind, str) and isinstance(role, str) and (kind, role) in found.by_role:
            problems.add(
                (*at, index, "role"), f"{kind} role {role!r} is used twice: one role, one meaning"
            )
            continue
        mention = _mention(entry, (*at, index), context, problems)
        if kind in MENTION_KINDS and isinstance(role, str) and SNAKE_CASE.fullmatch(role):
            found.by_role[(kind, role)] = mention
        else:
            found.complete = False
    return found


def _mention(
    entry: dict[str, Any], at: KeyPath, context: MappingContext, problems: Problems
) -> Mention | None:
    kind, role = entry.get("kind"), entry.get("role")
    if kind not in MENTION_KINDS:
        problems.add(
            (*at, "kind") if "kind" in entry else at,
            f"kind must be one of {', '.join(MENTION_KINDS)}, not {kind!r}",
        )
        return None
    allowed = MENTION_COMMON_KEYS | MENTION_ATTRIBUTES[kind] | MENTION_FLAGS.get(kind, frozenset())
    unknown_keys(entry, allowed, at, f"{_article(kind)} {kind} mention", problems)
    before = len(problems.messages)
    if not isinstance(role, str) or not SNAKE_CASE.fullmatch(role):
        problems.add(
            (*at, "role") if "role" in entry else at,
            f"role must be a snake_case name, not {role!r}",
        )
    if not any(name in entry for name in IDENTIFYING_ATTRIBUTES[kind]) and "split" not in entry:
        problems.add(
            at,
            f"{_article(kind)} {kind} mention needs "
            f"{' or '.join(IDENTIFYING_ATTRIBUTES[kind])}: without it nothing can be linked",
        )
    columns = _mention_columns(entry, at, kind, context, problems)
    split = _split(entry, at, kind, context, problems)
    attributes, identifiers, point = (
        _attributes(entry, at, kind, columns, context, problems)
        if columns is not None  # with a bad `each` its items are unknown: nothing to check
        else ([], [], None)
    )
    object_kind = _object_kind(entry, at, kind, context, problems)
    _known_organisation_type(dict(attributes).get("type"), (*at, "type"), context, problems)
    flags = {flag: entry.get(flag, False) for flag in MENTION_FLAGS.get(kind, frozenset())}
    for flag, flag_value in flags.items():
        if not isinstance(flag_value, bool):
            problems.add((*at, flag), f"{flag} must be true or false")
    if len(problems.messages) > before or not isinstance(role, str):
        return None
    return Mention(
        kind=kind,
        role=role,
        attributes=tuple(attributes),
        identifiers=tuple(identifiers),
        point=point,
        object_kind=object_kind,
        each=entry.get("each"),
        split=split,
        responder=flags.get("responder", False),
        register=flags.get("register", False),
        line=problems.line_of(at),
    )


def _article(kind: str) -> str:
    return "an" if kind[0] in "aeiou" else "a"


def _attributes(
    entry: dict[str, Any],
    at: KeyPath,
    kind: str,
    columns: Columns,
    context: MappingContext,
    problems: Problems,
) -> tuple[list[tuple[str, MappedValue]], list[tuple[str, MappedValue]], tuple[str, str] | None]:
    """The mention's attributes, its organisation identifiers and its place's point."""
    attributes: list[tuple[str, MappedValue]] = []
    identifiers: list[tuple[str, MappedValue]] = []
    point = None
    for name in sorted(MENTION_ATTRIBUTES[kind] & set(entry) - {"objectKind"}):
        where = (*at, name)
        if name == "identifiers":
            identifiers = _identifiers(entry[name], where, columns, problems)
        elif name == "point":
            point = _point(entry[name], where, context, problems)
        elif name in _STANDARD_ATTRIBUTES:
            found = columns.standard(entry[name], where, problems, _STANDARD_ATTRIBUTES[name])
            if found is not None:
                attributes.append((name, ColumnValue(found.name)))
        else:
            value = mapped_value(entry[name], where, columns, problems, TEXT_FORMS)
            if value is not None:
                attributes.append((name, value))
    return attributes, identifiers, point


def _mention_columns(
    entry: dict[str, Any], at: KeyPath, kind: str, context: MappingContext, problems: Problems
) -> Columns | None:
    """The record's properties, or with `each: <array>` its items' (one mention per item)."""
    if "each" not in entry:
        return context.columns
    array = entry["each"]
    items_of = context.columns.fields.get(array) if isinstance(array, str) else None
    if items_of is None or items_of.logical_type != "array" or not items_of.items:
        # An array property that did not compile is reported already.
        if not (isinstance(array, str) and array in context.columns.declared and items_of is None):
            problems.add(
                (*at, "each"), f"each must name an array property with items, not {array!r}"
            )
        return None
    if "split" in entry:
        problems.add(at, "each or split, not both: one mention per item, or per part of a cell")
    if kind == "place":
        # int_place_mentions has one place per record and role (no slot), and so do the bridges.
        problems.add(
            (*at, "each"), "a place is one per record and role: each is for the other kinds"
        )
        return None
    return Columns(
        fields={item.name: item for item in items_of.items},
        declared=frozenset(item.name for item in items_of.items),
        array=array,
    )


def _split(
    entry: dict[str, Any], at: KeyPath, kind: str, context: MappingContext, problems: Problems
) -> Split | None:
    if "split" not in entry:
        return None
    value, where = entry["split"], (*at, "split")
    if kind not in ("organisation", "person"):
        problems.add(where, "split gives names: organisation and person mentions only")
        return None
    if "name" in entry:
        problems.add((*at, "name"), "with split, each part is the name: leave name out")
        return None
    if not isinstance(value, dict) or set(value) != {"column", "separator"}:
        problems.add(where, "split is {column, separator}")
        return None
    separator = value["separator"]
    if not isinstance(separator, str) or not separator:
        problems.add((*where, "separator"), "separator is the text between two names, e.g. ';'")
        return None
    found = context.columns.typed(
        value["column"], (*where, "column"), problems, ("string",), "text"
    )
    return Split(column=found.name, separator=separator) if found else None


def _identifiers(
    value: Any, at: KeyPath, columns: Columns, problems: Problems
) -> list[tuple[str, MappedValue]]:
    if not isinstance(value, dict) or not value:
        problems.add(
            at, f"identifiers maps some of {', '.join(ORGANISATION_IDENTIFIERS)} to values"
        )
        return []
    found: list[tuple[str, MappedValue]] = []
    for name, given in value.items():
        where = (*at, name)
        if name not in ORGANISATION_IDENTIFIERS:
            # Linkage joins on these three only; another scheme needs code, not configuration.
            problems.add(
                where,
                f"{name!r} is not an identifier linkage knows ({', '.join(ORGANISATION_IDENTIFIERS)})",
            )
            continue
        if (
            name == "uscc"
            and isinstance(given, str)
            and not columns.standard(given, where, problems, "uscc")
        ):
            continue
        mapped = mapped_value(given, where, columns, problems, TEXT_FORMS)
        if mapped is not None:
            found.append((name, mapped))
    return found


def _point(
    value: Any, at: KeyPath, context: MappingContext, problems: Problems
) -> tuple[str, str] | None:
    position = context.coordinates
    expected = (position.longitude, position.latitude) if position else None
    if expected is None:
        problems.add(at, "a point needs the contract's `coordinates` custom property")
        return None
    if value != list(expected):
        problems.add(
            at,
            f"point is [longitude, latitude] as `coordinates` names them: "
            f"[{expected[0]}, {expected[1]}], not {value!r}",
        )
        return None
    return expected


def _object_kind(
    entry: dict[str, Any], at: KeyPath, kind: str, context: MappingContext, problems: Problems
) -> str | None:
    if kind != "object":
        return None
    object_kind = entry.get("objectKind")
    vocabulary = context.vocabulary
    if not isinstance(object_kind, str):
        problems.add(at, "an object mention needs its objectKind (contracts/vocabulary.yaml)")
        return None
    if vocabulary is not None and object_kind not in vocabulary.object_kinds:
        problems.add(
            (*at, "objectKind"),
            f"{object_kind!r} is not an object kind of {vocabulary.display} "
            f"(known: {', '.join(sorted(vocabulary.object_kinds))}): add it there",
        )
        return None
    return object_kind


def _known_organisation_type(
    value: MappedValue | None, at: KeyPath, context: MappingContext, problems: Problems
) -> None:
    """A constant type must be listed where the vocabulary lists organisation types: linkage
    reads what it knows of the type (a unique name) from there, and a misspelling would lose it."""
    vocabulary = context.vocabulary
    if vocabulary is None or not vocabulary.organisation_types:
        return
    if isinstance(value, ConstantValue) and value.value not in vocabulary.organisation_types:
        problems.add(
            at,
            f"{value.value!r} is not an organisation type of {vocabulary.display} "
            f"(known: {', '.join(sorted(vocabulary.organisation_types))}): add it there",
        )


# --- relations --------------------------------------------------------------------------


def _relations(
    value: Any, at: KeyPath, mentions: Mentions, problems: Problems
) -> tuple[Relation, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        problems.add(at, "relations is a list of {type, <kind>: role, <kind>: role}")
        return ()
    relations: list[Relation] = []
    for index, entry in entries(value):
        relation = _relation(entry, (*at, index), mentions, problems)
        if relation is None:
            continue
        if any(
            (r.type, r.from_role, r.to_role)
            == (relation.type, relation.from_role, relation.to_role)
            for r in relations
        ):
            problems.add((*at, index), "the same relation is given twice")
        relations.append(relation)
    if len(relations) != len(value):
        if len(list(entries(value))) != len(value):
            problems.add(at, "a relation is an object {type, <kind>: role, <kind>: role}")
        return ()
    return tuple(relations)


def _relation(
    entry: dict[str, Any],
    at: KeyPath,
    mentions: Mentions,
    problems: Problems,
) -> Relation | None:
    relation_type = entry.get("type")
    if relation_type not in RELATION_ENDS:
        problems.add(
            (*at, "type") if "type" in entry else at,
            f"type must be one of {', '.join(RELATION_ENDS)}, not {relation_type!r}",
        )
        return None
    ends = RELATION_ENDS[relation_type]
    unknown_keys(entry, frozenset({"type", *ends}), at, f"a {relation_type} relation", problems)
    first, second = (_end_role(entry, kind, at, mentions, problems) for kind in ends)
    if first is None or second is None:
        return None
    repeated = [
        role
        for kind, role in zip(ends, (first, second), strict=True)
        if (mention := mentions.by_role[(kind, role)]) is not None
        and (mention.each or mention.split)
    ]
    if repeated:
        # The bridges relate one record's mentions by role: an item's slot would be lost.
        problems.add(
            at,
            f"{', '.join(repeated)} is repeated (each or split): a relation joins mentions "
            "the record has once",
        )
        return None
    return Relation(type=relation_type, from_role=first, to_role=second, line=problems.line_of(at))


def _end_role(
    entry: dict[str, Any],
    kind: str,
    at: KeyPath,
    mentions: Mentions,
    problems: Problems,
) -> str | None:
    role = entry.get(kind)
    if role is None:
        problems.add(at, f"a {entry['type']} relation names the {kind} mention's role as `{kind}`")
        return None
    if (kind, role) not in mentions.by_role:
        if mentions.complete:
            problems.add(
                (*at, kind), f"no {kind} mention {role!r} (declared: {mentions.declared(kind)})"
            )
        return None
    return str(role) if mentions.by_role[(kind, role)] is not None else None


# --- the event --------------------------------------------------------------------------


def _event(
    value: Any,
    at: KeyPath,
    mentions: Mentions,
    context: MappingContext,
    problems: Problems,
) -> EventMapping | None:
    if not isinstance(value, dict):
        problems.add(at, "event is an object with at least type and time")
        return None
    unknown_keys(value, EVENT_KEYS, at, "an event", problems)
    before = len(problems.messages)
    for required in ("type", "time"):
        if required not in value:
            problems.add(at, f"an event needs {required}")
    columns = context.columns
    event_type = (
        _event_type(value.get("type"), (*at, "type"), context, problems)
        if "type" in value
        else None
    )
    time = (
        temporal_column(value.get("time"), (*at, "time"), columns, problems, required=True)
        if "time" in value
        else None
    )

    # Each optional key is read only when given, so a missing one is no problem of its own.
    when = condition(value["when"], (*at, "when"), columns, problems) if "when" in value else None
    major = (
        condition(value["major"], (*at, "major"), columns, problems) if "major" in value else None
    )
    severity = (
        _severity(value["severity"], (*at, "severity"), columns, problems)
        if "severity" in value
        else None
    )
    deaths = (
        count_value(value["deaths"], (*at, "deaths"), columns, problems)
        if "deaths" in value
        else None
    )
    injuries = (
        count_value(value["injuries"], (*at, "injuries"), columns, problems)
        if "injuries" in value
        else None
    )
    county = (
        _name_of(columns.standard(value["county"], (*at, "county"), problems, "admin_county"))
        if "county" in value
        else None
    )
    description = (
        mapped_value(value["description"], (*at, "description"), columns, problems, TEXT_FORMS)
        if "description" in value
        else None
    )
    due = temporal_column(value["due"], (*at, "due"), columns, problems) if "due" in value else None
    resolved = (
        temporal_column(value["resolved"], (*at, "resolved"), columns, problems)
        if "resolved" in value
        else None
    )
    place = (
        _event_place(value["place"], (*at, "place"), mentions, problems)
        if "place" in value
        else None
    )
    if event_type is not None:
        _due_for_rectifiable(event_type, "due" in value, at, context, problems)
    if len(problems.messages) > before or event_type is None or time is None:
        return None
    return EventMapping(
        type=event_type,
        when=when,
        time=time,
        severity=severity,
        deaths=deaths,
        injuries=injuries,
        place=place,
        county=county,
        description=description,
        due=due,
        resolved=resolved,
        major=major,
        line=problems.line_of(at),
    )


def _name_of(found: Field | None) -> str | None:
    return found.name if found is not None else None


def _event_type(
    value: Any, at: KeyPath, context: MappingContext, problems: Problems
) -> str | EventTypeMap | EventTypeClassified | None:
    """One type for every event, {map: property, values: {value: type}} covering its enum, or
    {classify: property, otherwise: type}: the type the vocabulary's keywords find in its text."""
    if isinstance(value, str):
        return value if _known_event_type(value, at, context, problems) else None
    if isinstance(value, dict) and set(value) == {"classify", "otherwise"}:
        return _classified_event_type(value, at, context, problems)
    if not isinstance(value, dict) or set(value) != {"map", "values"}:
        problems.add(
            at,
            "type is an event type, {map: property, values: {value: event type}} or "
            "{classify: property, otherwise: event type}",
        )
        return None
    found = context.columns.field(value["map"], (*at, "map"), problems)
    values = value["values"]
    if not isinstance(values, dict) or not values:
        problems.add((*at, "values"), "values maps each value of the property to an event type")
        return None
    if found is None:
        return None
    if not found.enum:
        # Without an enum, a value nobody listed would be an event without a type.
        problems.add(
            (*at, "map"), f"{found.name} has no enum: map needs one, so every value has a type"
        )
        return None
    pairs: list[tuple[str, str]] = []
    ok = True
    for key, event_type in values.items():
        if str(key) not in found.enum:
            problems.add(
                (*at, "values", key),
                f"{key!r} is not a value of {found.name} (its enum: {', '.join(found.enum)})",
            )
            ok = False
        elif _known_event_type(event_type, (*at, "values", key), context, problems):
            pairs.append((str(key), event_type))
        else:
            ok = False
    missing = [v for v in found.enum if v not in {str(k) for k in values}]
    if missing:
        problems.add(
            (*at, "values"),
            f"{found.name}'s value {', '.join(missing)} has no event type (every value of its enum needs one)",
        )
        ok = False
    return EventTypeMap(column=found.name, types=tuple(pairs)) if ok else None


def _classified_event_type(
    value: dict[str, Any], at: KeyPath, context: MappingContext, problems: Problems
) -> EventTypeClassified | None:
    found = context.columns.field(value["classify"], (*at, "classify"), problems)
    otherwise_ok = _known_event_type(value["otherwise"], (*at, "otherwise"), context, problems)
    text = found is not None and found.logical_type == "string"
    if found is not None and not text:
        problems.add(
            (*at, "classify"), f"{found.name} is not text: classify reads a string property"
        )
    if found is None or not text or not otherwise_ok:
        return None
    vocabulary = context.vocabulary
    with_keywords = (
        tuple(t.name for t in vocabulary.event_types.values() if t.keywords)
        if vocabulary is not None
        else ()
    )
    if vocabulary is not None and not with_keywords:
        problems.add(
            (*at, "classify"),
            f"no event type of {vocabulary.display} has keywords: classify has nothing to find",
        )
        return None
    types = tuple(dict.fromkeys((*with_keywords, value["otherwise"])))
    return EventTypeClassified(column=found.name, types=types, otherwise=value["otherwise"])


def _known_event_type(value: Any, at: KeyPath, context: MappingContext, problems: Problems) -> bool:
    vocabulary = context.vocabulary
    if not isinstance(value, str) or not SNAKE_CASE.fullmatch(value):
        problems.add(at, f"an event type is a snake_case name, not {value!r}")
        return False
    if vocabulary is not None and value not in vocabulary.event_types:
        problems.add(
            at,
            f"{value!r} is not an event type of {vocabulary.display} "
            f"(known: {', '.join(sorted(vocabulary.event_types))}): add it there",
        )
        return False
    return True


def _due_for_rectifiable(
    event_type: str | EventTypeMap | EventTypeClassified,
    has_due: bool,
    at: KeyPath,
    context: MappingContext,
    problems: Problems,
) -> None:
    """A rectifiable finding has a deadline (`due`), and only such findings do."""
    if context.vocabulary is None:
        return
    types = event_types_of(event_type)
    rectifiable = [t for t in types if context.vocabulary.event_types[t].rectifiable]
    if rectifiable and not has_due:
        problems.add(
            at,
            f"{rectifiable[0]} is rectifiable ({context.vocabulary.display}): give its deadline as due",
        )
    elif has_due and not rectifiable:
        problems.add(
            (*at, "due"),
            f"due is the deadline of a rectifiable finding; {', '.join(dict.fromkeys(types))} is not "
            f"(rectifiable: true in {context.vocabulary.display})",
        )


def _severity(
    value: Any, at: KeyPath, columns: Columns, problems: Problems
) -> CasualtyGrade | None:
    """{casualtyGrade: {deaths: p[, seriousInjuries: p]}}: the national grading by casualties."""
    if not isinstance(value, dict) or set(value) - SEVERITY_GRADINGS or len(value) != 1:
        problems.add(
            at,
            f"severity is one of {', '.join(sorted(SEVERITY_GRADINGS))}: {{casualtyGrade: {{deaths: property}}}}",
        )
        return None
    grading, at = value["casualtyGrade"], (*at, "casualtyGrade")
    if not isinstance(grading, dict) or "deaths" not in grading:
        problems.add(at, "casualtyGrade needs deaths (and may take seriousInjuries)")
        return None
    unknown_keys(grading, frozenset({"deaths", "seriousInjuries"}), at, "casualtyGrade", problems)
    deaths = columns.typed(grading["deaths"], (*at, "deaths"), problems, NUMERIC_TYPES, "a number")
    serious = None
    if "seriousInjuries" in grading:
        serious = columns.typed(
            grading["seriousInjuries"],
            (*at, "seriousInjuries"),
            problems,
            NUMERIC_TYPES,
            "a number",
        )
        if serious is None:
            return None
    if deaths is None:
        return None
    return CasualtyGrade(deaths=deaths.name, serious_injuries=serious.name if serious else None)


def _event_place(value: Any, at: KeyPath, mentions: Mentions, problems: Problems) -> str | None:
    if not isinstance(value, str) or ("place", value) not in mentions.by_role:
        if mentions.complete:
            problems.add(at, f"no place mention {value!r} (declared: {mentions.declared('place')})")
        return None
    mention = mentions.by_role[("place", value)]
    if mention is None:
        return None  # its problems are reported at the mention
    return mention.role


# --- records and derived events ---------------------------------------------------------


def _latest_records(
    value: Any, at: KeyPath, context: MappingContext, problems: Problems
) -> LatestRecords | None:
    """{latestPer: [key properties], orderBy: property}: readings collapsed per entity."""
    if not isinstance(value, dict) or set(value) != {"latestPer", "orderBy"}:
        problems.add(
            at, "records is {latestPer: [key properties], orderBy: date or timestamp property}"
        )
        return None
    latest_per = value["latestPer"]
    ok = True
    if (
        not is_string_list(latest_per)
        or not latest_per
        or tuple(latest_per) != context.key[: len(latest_per)]
    ):
        problems.add(
            (*at, "latestPer"),
            f"latestPer is the key ({', '.join(context.key)}) or its first properties, not {latest_per!r}",
        )
        ok = False
    order_by = context.columns.typed(
        value["orderBy"], (*at, "orderBy"), problems, TEMPORAL_TYPES, "a date or timestamp"
    )
    if not ok or order_by is None:
        return None
    return LatestRecords(latest_per=tuple(latest_per), order_by=order_by.name)


def _derived_events(
    value: Any, at: KeyPath, context: MappingContext, problems: Problems
) -> tuple[DerivedEvents, ...]:
    """[{model: int_..., types: [...]}]: events a hand-written model computes from the feed."""
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        problems.add(at, "derivedEvents is a list of {model: int_..., types: [event type, ...]}")
        return ()
    found: list[DerivedEvents] = []
    for index, entry in enumerate(value):
        where = (*at, index)
        if not isinstance(entry, dict) or set(entry) != {"model", "types"}:
            problems.add(where, "a derived event is {model: int_..., types: [event type, ...]}")
            continue
        model, types = entry["model"], entry["types"]
        ok = True
        if (
            not isinstance(model, str)
            or not SNAKE_CASE.fullmatch(model)
            or not model.startswith("int_")
        ):
            problems.add(
                (*where, "model"),
                f"model is an intermediate dbt model (snake_case, int_...), not {model!r}",
            )
            ok = False
        if not is_string_list(types) or not types:
            problems.add((*where, "types"), "types lists the event types the model gives")
            continue
        known = [
            _known_event_type(t, (*where, "types", i), context, problems)
            for i, t in enumerate(types)
        ]
        if ok and all(known):
            found.append(
                DerivedEvents(model=model, types=tuple(types), line=problems.line_of(where))
            )
    return tuple(found)
