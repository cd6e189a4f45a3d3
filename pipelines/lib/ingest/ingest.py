"""Ingest deliveries: read the landing files, enforce their contract, replace their lake partitions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Literal, TypeVar

import duckdb
import polars as pl

from pipelines.lib.city_profile import CityProfile, city_profile
from pipelines.lib.contracts import FeedContract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.enforce import (
    Delivery,
    Enforced,
    columns_with_full_width,
    enforce_batch,
    key_hash,
)
from pipelines.lib.ingest.identity_hash import IdentityHashKey, key_for, with_identity_hashes
from pipelines.lib.ingest.lake import (
    Partition,
    partition,
    prior_keys,
    window_partition,
    write_partition,
)
from pipelines.lib.ingest.read import (
    REJECT_SCHEMA,
    SOURCE_ROW,
    RawDelivery,
    UnreadableFile,
    read_delivery,
)
from pipelines.lib.landing.files import file_size as landed_size
from pipelines.lib.landing.files import opened_delivery

# Days of one feed held to the contract together, up to this much landing data: small
# files share the fixed cost of a pass; big ones keep memory bounded.
BATCH_BYTES = 64 << 20

T = TypeVar("T")


@dataclass
class Ingested:
    contract: FeedContract
    day: date
    source: Path
    partition: Partition
    result: Enforced

    @property
    def accounted(self) -> bool:
        """Row accounting: every landed row is in bronze or in quarantine, once."""
        return self.result.landed == self.result.valid.height + self.result.quarantine.height


def landing_file(data: DataDir, contract: FeedContract, day: date) -> Path:
    """Where the day's delivery belongs (only its name: opened_delivery opens it, safely)."""
    return data.landing_feed(contract.department, contract.feed) / contract.landing.filename(day)


def ingest_deliveries(
    data: DataDir, contract: FeedContract, days: list[date], connection: duckdb.DuckDBPyConnection
) -> Iterator[Ingested | UnreadableFile]:
    """Ingest several days of one feed in date order, carrying the keys seen so far in memory.

    A file that cannot be read at all is yielded as its UnreadableFile error, in its place.
    A feed with identity numbers needs `$SAFECITY_IDENTITY_HASH_KEY` (IdentityHashKeyError,
    before any file is read).
    """
    key_for(contract)
    days = sorted(days)
    earlier = prior_keys(data, contract, days[0]) if days else None
    seen: list[pl.Series] = [] if earlier is None else [earlier]  # chunks, never concatenated
    unit_batches = (
        [day_unit(data, contract, day) for day in batch] for batch in batches(data, contract, days)
    )
    yield from _ingest_days(data, contract, unit_batches, connection, seen)


def ingest_delivery(
    data: DataDir,
    contract: FeedContract,
    day: date,
    connection: duckdb.DuckDBPyConnection,
    seen_keys: pl.Series | Literal[True] | None = True,
) -> Ingested:
    """One day of one feed. `seen_keys`: key hashes in bronze before this day (True: read them from the lake)."""
    seen = prior_keys(data, contract, day) if seen_keys is True else seen_keys
    units = [[day_unit(data, contract, day)]]
    (result,) = _ingest_days(data, contract, units, connection, [] if seen is None else [seen])
    if isinstance(result, UnreadableFile):
        raise result
    return result


def _ingest_days(
    data: DataDir,
    contract: FeedContract,
    unit_batches: Iterable[list[_Unit]],
    connection: duckdb.DuckDBPyConnection,
    seen: list[pl.Series],
) -> Iterator[Ingested | UnreadableFile]:
    """Days' own files: a sub-daily feed's day file stands for the day, its windows go."""
    for ingested in ingest_in_turn(data, contract, unit_batches, connection, seen):
        if contract.landing.windowed and isinstance(ingested, Ingested):
            from pipelines.lib.ingest.windows import remove_windows

            remove_windows(data, contract, ingested.day)
        yield ingested


def bronze_schema(contract: FeedContract, city: CityProfile) -> pl.DataFrame:
    """The feed's bronze columns and types, from its contract (an empty delivery, enforced and
    hashed: no key is needed for no rows)."""
    empty = RawDelivery(
        pl.DataFrame(schema={SOURCE_ROW: pl.Int64}), pl.DataFrame(schema=REJECT_SCHEMA), []
    )
    enforced = enforce_batch(contract, [Delivery(empty, date(2000, 1, 1), "")], city=city)[0]
    return with_identity_hashes(contract, enforced.valid, None)


def batches(data: DataDir, contract: FeedContract, days: list[date]) -> Iterator[list[date]]:
    return by_size(days, lambda day: landed_size(landing_file(data, contract, day)))


def by_size(items: Iterable[T], size_of: Callable[[T], int]) -> Iterator[list[T]]:
    """Consecutive items in batches of up to BATCH_BYTES (one item alone may be larger)."""
    batch: list[T] = []
    size = 0
    for item in items:
        item_size = size_of(item)
        if batch and size + item_size > BATCH_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item_size
    if batch:
        yield batch


def day_unit(data: DataDir, contract: FeedContract, day: date) -> _Unit:
    return _Unit(day, contract.landing.filename(day), partition(data, contract, day))


def ingest_windows(
    data: DataDir,
    contract: FeedContract,
    day: date,
    connection: duckdb.DuckDBPyConnection,
    earlier: list[pl.Series] | None = None,
) -> Iterator[Ingested | UnreadableFile]:
    """The day's window files not yet in the lake (a sub-daily feed), each into its own part,
    in window order; the day's windows already ingested stay as they are
    (pipelines/lib/ingest/windows.py). `earlier`: the key hashes of the days before, when the
    caller carries them from day to day (else read from the lake). The caller holds the day's
    lock while it iterates. Outcomes are yielded as each batch is written, so a day that lands
    at once (a catch-up: 38 million pushes of a city's lifelines) is never all in memory."""
    from pipelines.lib.ingest.windows import forget_compacted, plan_day, seen_keys

    key_for(contract)
    plan = plan_day(data, contract, day)
    if plan.whole_day or not plan.pending:
        return
    seen: list[pl.Series] = seen_keys(data, contract, plan, earlier)
    if plan.rebuild:
        forget_compacted(data, contract, day)
    # Windows held to the contract together up to BATCH_BYTES, as days are.
    unit_batches = (
        [
            _Unit(day, plan.landed[minute].name, window_partition(data, contract, day, minute))
            for minute in minutes
        ]
        for minutes in by_size(plan.pending, lambda minute: landed_size(plan.landed[minute]))
    )
    yield from ingest_in_turn(data, contract, unit_batches, connection, seen)


@dataclass(frozen=True)
class _Unit:
    """One landing file of a feed to ingest: its day, its name, and the lake part it becomes."""

    day: date
    name: str
    target: Partition


def ingest_in_turn(
    data: DataDir,
    contract: FeedContract,
    unit_batches: Iterable[list[_Unit]],
    connection: duckdb.DuckDBPyConnection,
    seen: list[pl.Series],
) -> Iterator[Ingested | UnreadableFile]:
    """Batches of files in order, each read, held to its contract together, hashed and written.

    Up to three batches are in hand at once: while one is held to the contract (polars, mostly
    on one core), the next is read (DuckDB's or polars' CSV reader) and the one before is
    written (Parquet), each on a thread of its own (traffic_flow on `large`: 24.5 s, about
    27 s one after the other). A batch larger than BATCH_BYTES (one big file) is held to its
    contract and written with no other batch in hand, so memory stays bounded by the largest
    file, as before. A batch's keys join `seen` before the next batch is held to the contract;
    its outcomes are yielded, in order, once its files are written.
    """
    key = key_for(contract)
    city = city_profile(data.root)
    folder = data.landing_feed(contract.department, contract.feed)
    cursor = connection.cursor()  # DuckDB: a connection per thread
    with (
        cursor,
        ThreadPoolExecutor(1, thread_name_prefix="ingest-read") as reader,
        ThreadPoolExecutor(1, thread_name_prefix="ingest-write") as writer,
    ):
        batches = iter(unit_batches)

        def read_next() -> (
            tuple[bool, Future[list[tuple[_Unit, Delivery | UnreadableFile]]]] | None
        ):
            """The next batch's reading, started, and whether that batch must be in hand alone."""
            units = next(batches, None)
            if units is None:
                return None
            alone = sum(landed_size(folder / unit.name) for unit in units) > BATCH_BYTES
            return alone, reader.submit(read_units, data, contract, units, cursor)

        reading, writing = read_next(), None
        while reading is not None:
            alone, read = reading
            if alone and writing is not None:
                yield from writing.result()
                writing = None
            reading = None if alone else read_next()
            outcomes = enforce_units(data, contract, city, key, read.result(), seen)
            del read  # the files as read: let them go before the next batch is read
            if contract.key:
                seen += [
                    o.result.valid.select(key_hash(contract.key)).to_series()
                    for o in outcomes
                    if isinstance(o, Ingested)
                ]
            if writing is not None:
                yield from writing.result()
            writing = writer.submit(write_units, outcomes)
            del outcomes  # the writer holds them until they are yielded
            if alone:
                yield from writing.result()
                writing, reading = None, read_next()
        if writing is not None:
            yield from writing.result()


def read_units(
    data: DataDir,
    contract: FeedContract,
    units: list[_Unit],
    connection: duckdb.DuckDBPyConnection,
) -> list[tuple[_Unit, Delivery | UnreadableFile]]:
    """Each file read, or the reason it cannot be."""
    folder = data.landing_feed(contract.department, contract.feed)
    read: list[tuple[_Unit, RawDelivery | UnreadableFile]] = []
    for unit in units:
        relative = f"{contract.department}/{contract.feed}/{unit.name}"
        try:
            # Only a regular file inside landing/, never through a link (a RefusedFile otherwise).
            with opened_delivery(data.landing, relative) as readable:
                read.append((unit, read_delivery(readable, contract, connection)))
        except UnreadableFile as error:
            read.append((unit, error))
    # The batch's files are held to the contract together: their full-width columns are found
    # together too (1 ms a small file, the same for a batch of them), in their text columns (the
    # only ones looked at, and of one type in every file).
    texts = [
        pl.DataFrame([c for c in raw.rows.get_columns() if c.dtype == pl.String])
        for _, raw in read
        if isinstance(raw, RawDelivery)
    ]
    full_width = frozenset(
        columns_with_full_width(pl.concat(texts, how="diagonal")) if texts else ()
    )
    return [
        (
            unit,
            raw
            if isinstance(raw, UnreadableFile)
            else Delivery(
                raw,
                unit.day,
                (folder / unit.name).relative_to(data.root).as_posix(),
                full_width,
            ),
        )
        for unit, raw in read
    ]


def enforce_units(
    data: DataDir,
    contract: FeedContract,
    city: CityProfile,
    key: IdentityHashKey | None,
    read: list[tuple[_Unit, Delivery | UnreadableFile]],
    seen: list[pl.Series],
) -> list[Ingested | UnreadableFile]:
    """The files read, held to their contract together, identity numbers hashed; not yet written."""
    deliveries = [(unit, d) for unit, d in read if isinstance(d, Delivery)]
    results = iter(
        enforce_batch(contract, [d for _, d in deliveries], seen, city=city) if deliveries else []
    )
    outcomes: list[Ingested | UnreadableFile] = []
    for unit, delivery in read:
        if isinstance(delivery, UnreadableFile):
            outcomes.append(delivery)
            continue
        enforced = next(results)
        result = replace(enforced, valid=with_identity_hashes(contract, enforced.valid, key))
        ingested = Ingested(
            contract, delivery.day, data.root / delivery.source_file, unit.target, result
        )
        if not ingested.accounted:  # a bug, never bad input: refuse to write a lake that loses rows
            raise AssertionError(
                f"{delivery.source_file}: {result.landed} rows landed but {result.valid.height} valid + "
                f"{result.quarantine.height} quarantined"
            )
        outcomes.append(ingested)
    return outcomes


def write_units(outcomes: list[Ingested | UnreadableFile]) -> list[Ingested | UnreadableFile]:
    for ingested in outcomes:
        if isinstance(ingested, Ingested):
            write_partition(ingested.partition, ingested.result.valid, ingested.result.quarantine)
    return outcomes
