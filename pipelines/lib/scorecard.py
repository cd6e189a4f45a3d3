"""The department quality scorecard: how each department's feeds measure up, day by day.

Per department, feed and delivery day, from the lake (bronze and quarantine Parquet,
read by DuckDB, never loaded whole into Python):

- completeness: the share of the contract's fields that are filled, over every delivered
  row (a quarantined row counts as missing what it was quarantined for);
- validity: 1 - the quarantine rate;
- timeliness: the share of rows whose record time (the SLA's element) is within the SLA's
  latency of the delivery day; a day with no delivery scores 0, a delivered empty file 1;
- duplication: the share of rows quarantined as a duplicate key.

Each feed is due every day from its own first delivery to the last day any feed delivered:
a feed onboarded later is not counted missing for the days before it existed, and a feed
that stops delivering is counted missing from then on.

The same figures for every department, published to all of them, so each can see how its
data compares.

The counts are taken per Parquet file. With a `cache` file (outside the lake), each file's
counts are kept with its size, modification time and the query that took them, and the next
run reads only the files written since: on a daily run, the day that landed and the days
reprocessed, not the whole lake.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines.lib.contracts.model import FeedContract
from pipelines.lib.duckdb_connection import connect, sql_string
from pipelines.lib.sql_names import quoted
from pipelines.lib.storage import Location, configure_duckdb, file_stamp
from pipelines.lib.work_cache import read_cache, write_cache

COLUMNS = {
    "department": pl.Utf8,
    "feed": pl.Utf8,
    "delivery_date": pl.Date,
    "delivered": pl.Boolean,
    "delivered_rows": pl.Int64,
    "bronze_rows": pl.Int64,
    "quarantined_rows": pl.Int64,
    "completeness": pl.Float64,
    "validity": pl.Float64,
    "timeliness": pl.Float64,
    "duplication": pl.Float64,
}


# What makes the cache's entries, besides what each entry records (its file's stamp, and the
# query with the time zone): their layout. Another one is no cache.
COUNTS_MADE_BY = "lib/scorecard.py file counts, version 1"


@dataclass
class FileCounts:
    """Each Parquet file's counts by delivery day: those a cache kept (`known`, file -> entry)
    and those of the files read or found this run (`now`), which the next run keeps."""

    timezone: str  # the session's: a timestamp's ::date, so the counts, depend on it
    known: dict[str, Any] = field(default_factory=dict)
    now: dict[str, Any] = field(default_factory=dict)


def feed_scorecard(
    connection: duckdb.DuckDBPyConnection,
    lake: Location,
    contract: FeedContract,
    days: list[date],
    counted: FileCounts,
) -> pl.DataFrame:
    """One row per delivery day of `days` for one feed, reading only the files `counted`
    does not know as they are."""
    bronze_files: list[Location] = sorted(
        (lake / "bronze" / contract.department / contract.feed).glob("date=*/*.parquet")
    )
    quarantine_files: list[Location] = sorted(
        (lake / "quarantine" / contract.department / contract.feed).glob("date=*/*.parquet")
    )
    fields = contract.fields
    filled = " + ".join(f"count({quoted(f.name, 'column')})" for f in fields)
    element = contract.sla.latency_element
    on_time = (
        f"count(*) filter (where {quoted(element, 'column')}::date >= _delivery_date - to_days({int(contract.sla.latency_days)}))"
        if element
        else "count(*)"
    )
    bronze = _counts(connection, bronze_files, f"count(*), {filled}, {on_time}", counted)
    quarantine = _counts(
        connection,
        quarantine_files,
        "count(*), count(*) filter (where rule = 'duplicate_key')",
        counted,
    )
    # A delivered file leaves a partition even when it held no rows.
    delivered = sorted(
        {p.parent.name.removeprefix("date=") for p in [*bronze_files, *quarantine_files]}
    )
    frame = connection.execute(
        f"""
        with days as (select unnest($days::date[]) as day),
        b as (
            select
                c[1]::date as day,
                sum(c[2]::bigint)::bigint as rows,
                sum(c[3]::bigint)::bigint as filled,
                sum(c[4]::bigint)::bigint as on_time
            from (select unnest($bronze::varchar[][]) as c) group by all
        ),
        q as (
            select
                c[1]::date as day,
                sum(c[2]::bigint)::bigint as rows,
                sum(c[3]::bigint)::bigint as duplicates
            from (select unnest($quarantine::varchar[][]) as c) group by all
        )
        select
            d.day as delivery_date,
            list_contains($delivered::date[], d.day) as delivered,
            coalesce(b.rows, 0) + coalesce(q.rows, 0) as delivered_rows,
            coalesce(b.rows, 0) as bronze_rows,
            coalesce(q.rows, 0) as quarantined_rows,
            coalesce(b.filled, 0) / nullif((coalesce(b.rows, 0) + coalesce(q.rows, 0)) * {len(fields)}, 0) as completeness,
            coalesce(b.rows, 0) / nullif(coalesce(b.rows, 0) + coalesce(q.rows, 0), 0) as validity,
            case when not list_contains($delivered::date[], d.day) then 0
                 else coalesce(b.on_time / nullif(b.rows, 0), 1) end as timeliness,
            coalesce(q.duplicates, 0) / nullif(coalesce(b.rows, 0) + coalesce(q.rows, 0), 0) as duplication
        from days as d
        left join b using (day)
        left join q using (day)
        order by d.day
        """,
        {"days": days, "delivered": delivered, "bronze": bronze, "quarantine": quarantine},
    ).pl()
    return frame.with_columns(
        department=pl.lit(contract.department), feed=pl.lit(contract.feed)
    ).select([pl.col(name).cast(dtype) for name, dtype in COLUMNS.items()])


def _counts(
    connection: duckdb.DuckDBPyConnection,
    files: list[Location],
    counts: str,
    counted: FileCounts,
) -> list[list[str]]:
    """`counts` (SQL aggregates) of each file by delivery day, one list per file and day (as
    text: DuckDB's list parameters take one type)."""
    query = (
        f"select filename, _delivery_date::varchar, {counts} "
        "from read_parquet($files, union_by_name = true, filename = true) group by all"
    )
    digest = hashlib.sha256(f"{query}\x00{counted.timezone}".encode()).hexdigest()
    stamps = {str(path): file_stamp(path) for path in files}
    found: dict[str, list[list[Any]]] = {}
    for name, stamp in stamps.items():
        entry = counted.known.get(name)
        if isinstance(entry, dict) and entry.get("query") == digest and entry.get("stamp") == stamp:
            found[name] = entry["counts"]
    unread = [name for name in stamps if name not in found]
    if unread:
        for name in unread:  # a file of no rows has none
            found[name] = []
        for name, *row in connection.execute(query, {"files": unread}).fetchall():
            found[name].append(row)
    counted.now.update(
        {name: {"stamp": stamps[name], "query": digest, "counts": found[name]} for name in stamps}
    )
    return [[str(value) for value in row] for rows in found.values() for row in rows]


def delivered_days(lake: Location, contract: FeedContract) -> set[date]:
    """The days the lake holds a partition of the feed for, in bronze or in quarantine."""
    return {
        date.fromisoformat(folder.name.removeprefix("date="))
        for zone in ("bronze", "quarantine")
        for folder in (lake / zone / contract.department / contract.feed).glob("date=*")
    }


def days_due(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def department_scorecard(
    lake: Location, contracts: list[FeedContract], timezone: str, cache: Path | None = None
) -> pl.DataFrame:
    """Every feed of every department, every day from its own first delivery to the last
    delivery of any feed (a feed never delivered has no rows).

    `timezone`: the city's, in which departments count a record's day. `cache`: a file that
    keeps each Parquet file's counts (see the module's doc)."""
    delivered = {contract.path: delivered_days(lake, contract) for contract in contracts}
    last = max((max(days) for days in delivered.values() if days), default=None)
    counted = FileCounts(timezone, read_cache(cache, COUNTS_MADE_BY))
    connection = connect()
    # SET takes no parameters; the zone is a checked IANA name (city_profile.py), quoted.
    connection.execute("SET TimeZone = " + sql_string(timezone))
    try:
        configure_duckdb(connection, [lake])  # a lake in object storage is read through httpfs
        frames = [
            feed_scorecard(
                connection,
                lake,
                contract,
                days_due(min(delivered[contract.path]), last)
                if delivered[contract.path] and last
                else [],
                counted,
            )
            for contract in contracts
        ]
    finally:
        connection.close()
    if cache is not None and counted.now != counted.known:
        # This run's files only: a file gone from the lake leaves the cache.
        write_cache(cache, COUNTS_MADE_BY, counted.now)
    return pl.concat(frames).sort("department", "feed", "delivery_date")


def summary_by_department(scorecard: pl.DataFrame) -> pl.DataFrame:
    """Each department over the whole period, rows weighting each day."""
    weighted = [
        ((pl.col(m) * pl.col("delivered_rows")).sum() / pl.col("delivered_rows").sum())
        .round(4)
        .alias(m)
        for m in ("completeness", "validity", "duplication")
    ]
    return (
        scorecard.group_by("department")
        .agg(
            pl.col("feed").n_unique().alias("feeds"),
            pl.col("delivered_rows").sum(),
            *weighted,
            ((pl.col("timeliness") * pl.col("bronze_rows")).sum() / pl.col("bronze_rows").sum())
            .round(4)
            .alias("timeliness"),
            (~pl.col("delivered")).sum().alias("feed_days_without_delivery"),
        )
        .sort("department")
    )
