"""Ingest one delivery: read the landing file, enforce its contract, replace its lake partition."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from pipelines.lib.contracts import FeedContract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.enforce import Enforced, enforce, key_hash
from pipelines.lib.ingest.lake import Partition, partition, prior_keys, write_partition
from pipelines.lib.ingest.read import UnreadableFile, read_delivery


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
    return data.landing_feed(contract.department, contract.feed) / contract.landing.filename(day)


def ingest_deliveries(
    data: DataDir, contract: FeedContract, days: list[date], connection: duckdb.DuckDBPyConnection
) -> Iterator[Ingested | UnreadableFile]:
    """Ingest several days of one feed in date order, carrying the keys seen so far in memory.

    A file that cannot be read at all is yielded as its UnreadableFile error, in its place.
    """
    days = sorted(days)
    seen = prior_keys(data, contract, days[0]) if days else None
    for day in days:
        try:
            ingested = ingest_delivery(data, contract, day, connection, seen)
        except UnreadableFile as error:
            yield error  # the caller reports it and goes on with the other days
            continue
        if contract.key:
            delivered = ingested.result.valid.select(key_hash(contract.key)).to_series()
            seen = delivered if seen is None else pl.concat([seen, delivered])
        yield ingested


def ingest_delivery(
    data: DataDir,
    contract: FeedContract,
    day: date,
    connection: duckdb.DuckDBPyConnection,
    seen_keys: pl.Series | None | bool = True,
) -> Ingested:
    """One day of one feed. `seen_keys`: key hashes in bronze before this day (True: read them from the lake)."""
    source = landing_file(data, contract, day)
    raw = read_delivery(source, contract, connection)
    result = enforce(
        contract,
        raw,
        delivery_day=day,
        source_file=source.relative_to(data.root).as_posix(),
        prior_keys=prior_keys(data, contract, day) if seen_keys is True else seen_keys,
    )
    target = partition(data, contract, day)
    ingested = Ingested(contract, day, source, target, result)
    if not ingested.accounted:  # a bug, never bad input: refuse to write a lake that loses rows
        raise AssertionError(
            f"{source.name}: {result.landed} rows landed but {result.valid.height} valid + "
            f"{result.quarantine.height} quarantined"
        )
    write_partition(target, result.valid, result.quarantine)
    return ingested
