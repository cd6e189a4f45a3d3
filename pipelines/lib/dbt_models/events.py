"""`int_events`: every mapped record that is an event, and the events models derive, in one shape.

One event per record at most: its key is `md5(source_record_id)`. A feed's event type is a
name, a type per value of an enum property, or the type the vocabulary's keywords find in a
text property (`int_event_keywords`, macro `classified_event_type`); its national category comes from
`contracts/vocabulary.yaml`. Severity I-IV applies where the mapping names a casualty
grading, and is null where none does. Events a hand-written model computes (`derivedEvents`,
e.g. air-quality episodes) are that model's rows, in the same columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pipelines.lib.contracts.model import EventMapping, EventTypeClassified
from pipelines.lib.contracts.shared_vocabulary import SharedVocabulary
from pipelines.lib.dbt_models.feed_sql import FeedSql
from pipelines.lib.dbt_models.sql import literal, macro, typed_select

# fct_event's columns before placement and linkage, in table order (event_key first).
COLUMNS = (
    ("source_department", "varchar"),
    ("source_feed", "varchar"),
    ("source_record_id", "varchar"),
    ("event_type", "varchar"),
    ("category", "varchar"),
    ("severity", "varchar"),
    ("occurred_at", "timestamptz"),
    ("delivery_date", "date"),
    ("own_location_key", "varchar"),
    ("county_code", "varchar"),
    ("deaths", "bigint"),
    ("injuries", "bigint"),
    ("description", "varchar"),
    ("due_date", "date"),
    ("resolved_date", "date"),
    ("major", "boolean"),
)


def events_model(feeds: Iterable[FeedSql], header: str) -> str:
    selects: list[str] = []
    for feed in feeds:
        if feed.mapping.event is not None:
            selects.append(_branch(feed, feed.mapping.event))
        for derived in feed.mapping.derived_events:
            columns = ", ".join(name for name, _ in COLUMNS)
            selects.append(f"select {columns}\nfrom {{{{ ref('{derived.model}') }}}}")
    if not selects:  # nothing maps an event yet: the table exists, empty
        selects.append(typed_select(COLUMNS, {}, "(select 1)", "false"))
    union = "\n    union all\n".join(_indent(s) for s in selects)
    return (
        f"{header}with events as (\n{union}\n)\n\n"
        "select md5(source_record_id) as event_key, *\nfrom events\n"
    )


def _branch(feed: FeedSql, event: EventMapping) -> str:
    record = feed.record
    vocabulary = feed.vocabulary
    values = {
        "source_department": "source_department",
        "source_feed": "source_feed",
        "source_record_id": "source_record_id",
        "delivery_date": "delivery_date",
        "event_type": _by_type(event, lambda t: literal(t)),
        "category": _by_type(event, lambda t: literal(vocabulary.event_types[t].category)),
        "occurred_at": record.column(event.time),
    }
    if event.severity is not None:
        grading = [record.column(event.severity.deaths)]
        if event.severity.serious_injuries:
            grading.append(record.column(event.severity.serious_injuries))
        values["severity"] = macro("casualty_severity_grade", *grading)
    if event.deaths is not None:
        values["deaths"] = record.value(event.deaths)
    if event.injuries is not None:
        values["injuries"] = record.value(event.injuries)
    if event.place is not None:
        place = feed.mapping.mention("place", event.place)
        assert place is not None  # the loader checked the role
        values["own_location_key"] = feed.location_key(place)
    if event.county is not None:
        values["county_code"] = record.column(event.county)
    if event.description is not None:
        values["description"] = record.value(event.description)
    if event.due is not None:
        values["due_date"] = record.column(event.due)
    if event.resolved is not None:
        values["resolved_date"] = record.column(event.resolved)
    if event.major is not None:
        values["major"] = record.condition(event.major)
    where = record.condition(event.when) if event.when is not None else "true"
    source = f"{{{{ ref('{feed.staged}') }}}}"
    if isinstance(event.type, EventTypeClassified):
        # The type is read once per record, then named like a mapped column.
        classified = macro(
            "classified_event_type", record.column(event.type.column), literal(event.type.otherwise)
        )
        source = f"(select *, {classified} as {CLASSIFIED} from {source})"
    return typed_select(COLUMNS, values, source, where)


CLASSIFIED = "classified_event_type"


def _by_type(event: EventMapping, sql: Callable[[str], str]) -> str:
    if isinstance(event.type, str):
        return sql(event.type)
    if isinstance(event.type, EventTypeClassified):
        whens = " ".join(f"when {literal(t)} then {sql(t)}" for t in event.type.types)
        return f"case {CLASSIFIED} {whens} end"
    whens = " ".join(
        f"when {literal(value)} then {sql(event_type)}" for value, event_type in event.type.types
    )
    return f"case {event.type.column} {whens} end"


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else line for line in text.splitlines())


def event_types_model(vocabulary: SharedVocabulary, used: Iterable[str], header: str) -> str:
    """`int_event_types`: the vocabulary's event types in use, with their category and flags."""
    rows = [
        f"({literal(t.name)}, {literal(t.category)}, {str(t.proximity).lower()}, {str(t.rectifiable).lower()})"
        for t in (vocabulary.event_types[name] for name in sorted(used))
    ]
    if not rows:
        return (
            f"{header}select cast(null as varchar) as event_type, cast(null as varchar) as category,\n"
            "    false as proximity, false as rectifiable\nwhere false\n"
        )
    values = ",\n    ".join(rows)
    return (
        f"{header}-- From contracts/vocabulary.yaml: what each event type means to risk and rectification.\n"
        f"select * from (values\n    {values}\n) as t (event_type, category, proximity, rectifiable)\n"
    )


def event_keywords_model(vocabulary: SharedVocabulary, used: Iterable[str], header: str) -> str:
    """`int_event_keywords`: the keywords of the event types in use that have them, each
    weighing its length in characters (a longer phrase says more than a word)."""
    rows = [
        f"({literal(t.name)}, {literal(keyword)}, {len(keyword)})"
        for t in (vocabulary.event_types[name] for name in sorted(used))
        for keyword in t.keywords
    ]
    if not rows:
        return (
            f"{header}select cast(null as varchar) as event_type, cast(null as varchar) as keyword,\n"
            "    cast(null as integer) as weight\nwhere false\n"
        )
    values = ",\n    ".join(rows)
    return (
        f"{header}-- From contracts/vocabulary.yaml: the words free text uses for each event type.\n"
        f"select * from (values\n    {values}\n) as t (event_type, keyword, weight)\n"
    )
