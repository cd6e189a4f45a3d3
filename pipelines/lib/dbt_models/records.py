"""Where records come from and what the mappings declare: lineage, latest readings, roles, relations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pipelines.lib.contracts.mapping_index import MappingIndex
from pipelines.lib.contracts.model import ColumnValue, FirstOf, Prefix, Sum, Template, TemplateSlot
from pipelines.lib.dbt_models.feed_sql import FeedSql, latest_model_name, latest_record_id
from pipelines.lib.dbt_models.sql import literal
from pipelines.lib.dbt_models.staging import model_name


def source_records_model(feeds: Iterable[FeedSql], header: str) -> str:
    """`int_source_records`: each warehouse record's file and row in its delivery.

    Readings collapsed per entity are listed once per entity, at the latest reading its
    entities were taken from (the warehouse refers to the entity, not to each reading); of a
    feed whose only events are derived, or whose readings are collapsed, the records its derived
    events start at are listed too.
    """
    columns = "select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date\n"
    selects: list[str] = []
    for feed in feeds:
        mapping = feed.mapping
        select = columns + f"from {{{{ ref('{model_name(feed.contract)}') }}}}"
        if mapping.records is not None:
            selects.append(columns + f"from {{{{ ref('{latest_model_name(feed.contract)}') }}}}")
        if mapping.records is not None or not (mapping.mentions or mapping.event):
            if not mapping.derived_events:
                continue
            derived = " union all ".join(
                f"select d.source_record_id from {{{{ ref('{d.model}') }}}} as d"
                for d in mapping.derived_events
            )
            select += f"\nwhere source_record_id in ({derived})"
        selects.append(select)
    if not selects:
        selects.append(
            "select cast(null as varchar) as source_record_id, cast(null as varchar) as source_file,\n"
            "    cast(null as bigint) as source_row, cast(null as date) as delivery_date\nwhere false"
        )
    return header + "\nunion all\n".join(selects) + "\n"


def latest_model(feed: FeedSql, header: str) -> str:
    """`int_<department>__<feed>__latest`: one row per entity, as its latest reading has it.

    Incremental: a daily build reads only the new days' readings of the busiest feeds.
    """
    records = feed.mapping.records
    assert records is not None
    used = sorted(_columns_used(feed) - set(records.latest_per))
    keys = ", ".join(records.latest_per)
    unique = "[" + ", ".join(f"'{k}'" for k in records.latest_per) + "]"
    latest = "".join(f"    arg_max({c}, {records.order_by}) as {c},\n" for c in used)
    # The latest reading's file and row are the entity's lineage (int_source_records). A
    # warehouse built before they were kept gains the columns (on_schema_change).
    lineage = "".join(
        f"    arg_max({c}, {records.order_by}) as {c},\n" for c in ("_source_file", "_source_row")
    )
    return (
        f"{header}"
        f"{{{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key={unique}, "
        "on_schema_change='append_new_columns') }}\n"
        "select\n"
        f"    {keys},\n"
        f"{latest}"
        f"{lineage}"
        f"    max({records.order_by}) as last_reported_at,\n"
        "    any_value(source_department) as source_department,\n"
        "    any_value(source_feed) as source_feed,\n"
        f"    {latest_record_id(feed.contract)} as source_record_id,\n"
        "    max(delivery_date) as delivery_date\n"
        f"from {{{{ ref('{model_name(feed.contract)}') }}}}\n"
        "where {{ delivery_days_to_build() }}\n"
        f"group by {keys}\n"
    )


def _columns_used(feed: FeedSql) -> set[str]:
    """The record's properties a mapping names (for a collapsed feed, those kept per entity)."""
    names: set[str] = set()
    for mention in feed.mapping.mentions:
        if mention.point:
            names.update(mention.point)
        for _, value in (*mention.attributes, *mention.identifiers):
            names.update(_value_columns(value))
    return names & set(feed.fields)


def _value_columns(value: object) -> set[str]:
    if isinstance(value, ColumnValue | Prefix):
        return {value.column}
    if isinstance(value, FirstOf):
        return set().union(*(_value_columns(v) for v in value.values))
    if isinstance(value, Sum):
        return set(value.columns)
    if isinstance(value, Template):
        return {p.column for p in value.pieces if isinstance(p, TemplateSlot)}
    return set()


def roles_model(index: MappingIndex, header: str) -> str:
    """`int_mention_roles`: every mention role, and whether it responds or is the register."""
    rows = sorted(
        {
            (m.kind, m.role, m.role in index.responders, m.role in index.registers)
            for feed in index.feeds
            for m in feed.mapping.mentions
        }
    )
    return _values_model(
        header,
        "Every mention role of the mappings. A responder (the units sent) is never an event's subject;\n"
        "-- the register's mentions are preferred for an organisation's name, type and county.",
        ("kind", "role", "responder", "register"),
        ("varchar", "varchar", "boolean", "boolean"),
        [(literal(k), literal(r), str(a).lower(), str(b).lower()) for k, r, a, b in rows],
    )


def relations_model(index: MappingIndex, header: str) -> str:
    """`int_mention_relations`: which mentions of one record are related, per feed."""
    rows = sorted(
        (feed.department, feed.feed, r.type, r.from_role, r.to_role)
        for feed in index.feeds
        for r in feed.mapping.relations
    )
    return _values_model(
        header,
        "The relations the mappings declare between the mentions of one record: a person represents\n"
        "-- an organisation; an organisation's premises or a site it is involved at; an object it owns;\n"
        "-- where an object stands. from_role is the first kind's end (represents: the person).",
        ("source_department", "source_feed", "relation", "from_role", "to_role"),
        ("varchar",) * 5,
        [tuple(literal(v) for v in row) for row in rows],
    )


def _values_model(
    header: str,
    comment: str,
    names: tuple[str, ...],
    types: tuple[str, ...],
    rows: Sequence[tuple[str, ...]],
) -> str:
    if not rows:
        columns = ", ".join(f"cast(null as {t}) as {n}" for n, t in zip(names, types, strict=True))
        return f"{header}-- {comment}\nselect {columns}\nwhere false\n"
    values = ",\n    ".join("(" + ", ".join(row) + ")" for row in rows)
    return (
        f"{header}-- {comment}\nselect * from (values\n    {values}\n) as t ({', '.join(names)})\n"
    )


def mapped_feeds_model(feeds: Iterable[FeedSql], header: str) -> str:
    """`int_mapped_feeds`: the feeds in the warehouse, and whether each gives events."""
    rows = [
        (
            literal(feed.contract.department),
            literal(feed.contract.feed),
            str(feed.mapping.event is not None or bool(feed.mapping.derived_events)).lower(),
        )
        for feed in feeds
    ]
    return _values_model(
        header,
        "The feeds whose contracts map them into the warehouse; gives_events: some of their records\n"
        "-- are events (a mapped event, or events a model derives from them).",
        ("source_department", "source_feed", "gives_events"),
        ("varchar", "varchar", "boolean"),
        rows,
    )


def generated_properties(feeds: Iterable[FeedSql]) -> dict:
    """dbt properties of the generated models whose shape is the generator's: what each is, and
    its grain as a key test (the unions are described beside the hand-written models)."""

    def keyed(name: str, description: str, key: list[str], about: str) -> dict:
        return {
            "name": name,
            "description": description,
            "data_tests": [
                {
                    "unique_combination_of_columns": {
                        "arguments": {"combination_of_columns": key},
                        "description": f"One row per {about}.",
                    }
                }
            ],
        }

    models = [
        keyed(
            "int_event_types",
            "One row per event type in use, from contracts/vocabulary.yaml: its national category, "
            "whether it puts the organisations near it at risk (proximity), whether it is a finding "
            "with a deadline to put right (rectifiable).",
            ["event_type"],
            "event type",
        ),
        keyed(
            "int_event_keywords",
            "One row per keyword of an event type in use, from contracts/vocabulary.yaml: the "
            "words free text uses for the type, each weighing its length (macro "
            "classified_event_type).",
            ["event_type", "keyword"],
            "event type and keyword",
        ),
        keyed(
            "int_mention_roles",
            "One row per mention kind and role the mappings use: whether an organisation role is a "
            "responder (the units sent, never an event's subject) or the register (preferred for "
            "names, types and counties).",
            ["kind", "role"],
            "mention kind and role",
        ),
        keyed(
            "int_mention_relations",
            "One row per relation a feed's mapping declares between the mentions of one record: a "
            "person represents an organisation; an organisation's premises, or a site it is "
            "involved at; an object an organisation owns; where an object stands. from_role is "
            "the first end (represents: the person).",
            ["source_feed", "relation", "from_role", "to_role"],
            "feed and declared relation",
        ),
        keyed(
            "int_mapped_feeds",
            "One row per feed a contract maps into the warehouse, and whether its records give "
            "events. A valid feed without a mapping stays in bronze.",
            ["source_department", "source_feed"],
            "mapped feed",
        ),
    ]
    for feed in feeds:
        records = feed.mapping.records
        if records is not None:
            per = list(records.latest_per)
            models.append(
                keyed(
                    latest_model_name(feed.contract),
                    f"One row per {', '.join(per)} of {feed.contract.feed}, as its latest reading "
                    f"(by {records.order_by}) has it: the mapping's records.latestPer. Incremental: "
                    "a daily build reads only the new days.",
                    per,
                    ", ".join(per),
                )
            )
    return {"version": 2, "models": models}
