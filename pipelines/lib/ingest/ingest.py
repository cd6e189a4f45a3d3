"""Ingest deliveries: read the landing files, enforce their contract, replace their lake partitions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Literal

import duckdb
import polars as pl

from pipelines.lib.city_profile import CityProfile, city_profile
from pipelines.lib.contracts import FeedContract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.enforce import Delivery, Enforced, KeyHashes, enforce_batch, key_hash
from pipelines.lib.ingest.identity_hash import key_for, with_identity_hashes
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


def _landing_relative(contract: FeedContract, day: date) -> str:
    return f"{contract.department}/{contract.feed}/{contract.landing.filename(day)}"


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
    for batch in batches(data, contract, days):
        for ingested in ingest_batch(data, contract, batch, connection, seen):
            if isinstance(ingested, Ingested) and contract.key:
                seen.append(ingested.result.valid.select(key_hash(contract.key)).to_series())
            yield ingested


def ingest_delivery(
    data: DataDir,
    contract: FeedContract,
    day: date,
    connection: duckdb.DuckDBPyConnection,
    seen_keys: pl.Series | Literal[True] | None = True,
) -> Ingested:
    """One day of one feed. `seen_keys`: key hashes in bronze before this day (True: read them from the lake)."""
    seen = prior_keys(data, contract, day) if seen_keys is True else seen_keys
    (result,) = ingest_batch(data, contract, [day], connection, seen)
    if isinstance(result, UnreadableFile):
        raise result
    return result


def bronze_schema(contract: FeedContract, city: CityProfile) -> pl.DataFrame:
    """The feed's bronze columns and types, from its contract (an empty delivery, enforced and
    hashed: no key is needed for no rows)."""
    empty = RawDelivery(
        pl.DataFrame(schema={SOURCE_ROW: pl.Int64}), pl.DataFrame(schema=REJECT_SCHEMA), []
    )
    enforced = enforce_batch(contract, [Delivery(empty, date(2000, 1, 1), "")], city=city)[0]
    return with_identity_hashes(contract, enforced.valid, None)


def batches(data: DataDir, contract: FeedContract, days: list[date]) -> Iterator[list[date]]:
    batch: list[date] = []
    size = 0
    for day in days:
        file_size = landed_size(landing_file(data, contract, day))
        if batch and size + file_size > BATCH_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(day)
        size += file_size
    if batch:
        yield batch


def ingest_batch(
    data: DataDir,
    contract: FeedContract,
    days: list[date],
    connection: duckdb.DuckDBPyConnection,
    seen: KeyHashes | None,
) -> list[Ingested | UnreadableFile]:
    """Read each day's file, enforce them together, hash identity numbers, write each day's partition."""
    units = [
        _Unit(day, contract.landing.filename(day), partition(data, contract, day)) for day in days
    ]
    outcomes = _ingest_units(data, contract, units, connection, seen)
    if contract.landing.windowed:
        from pipelines.lib.ingest.windows import remove_windows

        for outcome in outcomes:  # the day's own file stands for the day: its windows go
            if isinstance(outcome, Ingested):
                remove_windows(data, contract, outcome.day)
    return outcomes


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
    batch: list[_Unit] = []
    size = 0
    for minute in [*plan.pending, None]:
        file_size = landed_size(plan.landed[minute]) if minute is not None else 0
        # Windows held to the contract together up to BATCH_BYTES, as days are.
        if batch and (minute is None or size + file_size > BATCH_BYTES):
            for ingested in _ingest_units(data, contract, batch, connection, seen):
                if isinstance(ingested, Ingested) and contract.key:
                    seen.append(ingested.result.valid.select(key_hash(contract.key)).to_series())
                yield ingested
            batch, size = [], 0
        if minute is not None:
            target = window_partition(data, contract, day, minute)
            batch.append(_Unit(day, plan.landed[minute].name, target))
            size += file_size


@dataclass(frozen=True)
class _Unit:
    """One landing file of a feed to ingest: its day, its name, and the lake part it becomes."""

    day: date
    name: str
    target: Partition


def _ingest_units(
    data: DataDir,
    contract: FeedContract,
    units: list[_Unit],
    connection: duckdb.DuckDBPyConnection,
    seen: KeyHashes | None,
) -> list[Ingested | UnreadableFile]:
    if not units:
        return []
    key = key_for(contract)
    outcomes: dict[str, Ingested | UnreadableFile] = {}
    deliveries: list[tuple[_Unit, Delivery]] = []
    folder = data.landing_feed(contract.department, contract.feed)
    for unit in units:
        source = folder / unit.name
        relative = f"{contract.department}/{contract.feed}/{unit.name}"
        try:
            # Only a regular file inside landing/, never through a link (a RefusedFile otherwise).
            with opened_delivery(data.landing, relative) as readable:
                raw = read_delivery(readable, contract, connection)
        except UnreadableFile as error:
            outcomes[unit.name] = error
            continue
        deliveries.append((unit, Delivery(raw, unit.day, source.relative_to(data.root).as_posix())))
    city = city_profile(data.root)
    results = (
        enforce_batch(contract, [d for _, d in deliveries], seen, city=city) if deliveries else []
    )
    for (unit, delivery), enforced in zip(deliveries, results, strict=True):
        result = replace(enforced, valid=with_identity_hashes(contract, enforced.valid, key))
        ingested = Ingested(
            contract, delivery.day, data.root / delivery.source_file, unit.target, result
        )
        if not ingested.accounted:  # a bug, never bad input: refuse to write a lake that loses rows
            raise AssertionError(
                f"{delivery.source_file}: {result.landed} rows landed but {result.valid.height} valid + "
                f"{result.quarantine.height} quarantined"
            )
        write_partition(unit.target, result.valid, result.quarantine)
        outcomes[unit.name] = ingested
    return [outcomes[unit.name] for unit in units]
