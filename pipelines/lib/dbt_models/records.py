"""Where records come from and what the mappings declare: lineage, latest readings, roles, relations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pipelines.lib.contracts.mapping_index import MappingIndex
from pipelines.lib.contracts.model import ColumnValue, FirstOf, Prefix, Sum, Template, TemplateSlot
from pipelines.lib.dbt_models.feed_sql import FeedSql, latest_record_id
from pipelines.lib.dbt_models.sql import literal
from pipelines.lib.dbt_models.staging import model_name


def source_records_model(feeds: Iterable[FeedSql], header: str) -> str:
    """`int_source_records`: each warehouse record's file and row in its delivery.

    Readings collapsed per entity are not listed (the warehouse refers to the entity, not its
    readings); of a feed whose only events are derived, the records those events start at are.
    """
    selects: list[str] = []
    for feed in feeds:
        mapping = feed.mapping
        if mapping.records is not None:
            continue
        select = (
            "select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date\n"
            f"from {{{{ ref('{model_name(feed.contract)}') }}}}"
        )
        if not (mapping.mentions or mapping.event):
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
    return (
        f"{header}"
        f"{{{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key={unique}) }}}}\n"
        "select\n"
        f"    {keys},\n"
        f"{latest}"
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
