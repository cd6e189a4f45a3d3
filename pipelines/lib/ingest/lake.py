"""The lake's partitions: one Parquet file of valid rows and one of quarantined rows per delivery day.

Both files of a partition are written to temporary names beside their targets
and renamed into place only when both are complete, so a crash leaves the
previous partition as it was, never half a file. Re-ingesting a day replaces
its partition. The lake may be in object storage (pipelines/lib/storage.py): each
file is then uploaded once complete, quarantine first, as it is renamed first here.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import date

import polars as pl

from pipelines.lib import settings
from pipelines.lib.atomic import atomic_output
from pipelines.lib.contracts import FeedContract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.enforce import key_hash
from pipelines.lib.storage import Location, is_remote, read_parquet

PART = "part-0.parquet"
# A sub-daily feed's window, in its day's folder beside (or before compaction into) PART.
WINDOW_PART_PREFIX = "window-"


def window_part_name(minute: int) -> str:
    """`window-HHMM.parquet`: the window starting `minute` minutes into the day."""
    return f"{WINDOW_PART_PREFIX}{minute // 60:02d}{minute % 60:02d}.parquet"


def window_of_part(name: str) -> int | None:
    """The minute of the day a window part's name stands for, or None for any other file."""
    digits = name.removeprefix(WINDOW_PART_PREFIX).removesuffix(".parquet")
    if not name.startswith(WINDOW_PART_PREFIX) or len(digits) != 4 or not digits.isdigit():
        return None
    return int(digits[:2]) * 60 + int(digits[2:])


def has_parts(day_folder: Location) -> bool:
    """Whether a day's folder holds its partition: the day's file, or a window of it."""
    return (day_folder / PART).exists() or any(
        window_of_part(p.name) is not None for p in day_folder.glob(f"{WINDOW_PART_PREFIX}*")
    )


@dataclass(frozen=True)
class Partition:
    bronze: Location
    quarantine: Location


def partition(data: DataDir, contract: FeedContract, day: date) -> Partition:
    return Partition(
        bronze=data.bronze_partition(contract.department, contract.feed, day) / PART,
        quarantine=data.quarantine_partition(contract.department, contract.feed, day) / PART,
    )


def window_partition(data: DataDir, contract: FeedContract, day: date, minute: int) -> Partition:
    name = window_part_name(minute)
    return Partition(
        bronze=data.bronze_partition(contract.department, contract.feed, day) / name,
        quarantine=data.quarantine_partition(contract.department, contract.feed, day) / name,
    )


# Crash tests set this to hold a write between the temporary files and their renaming
# (or upload), so a test can kill the process at the one moment that matters. The
# writer says when it is there: a lake in object storage shows no temporary file.
PAUSE_BEFORE_COMMIT = settings.CRASH_TEST_PAUSE.name
PAUSED_BEFORE_COMMIT = "paused before commit"


def write_partition(target: Partition, valid: pl.DataFrame, quarantine: pl.DataFrame) -> None:
    for folder in (target.bronze.parent, target.quarantine.parent):
        if is_remote(folder):
            continue  # uploads leave no temporary files in object storage
        for stale in folder.glob(".*.tmp"):  # left by a writer that was killed
            stale.unlink(missing_ok=True)
    with (
        atomic_output(target.bronze) as bronze_tmp,
        atomic_output(target.quarantine) as quarantine_tmp,
    ):
        valid.write_parquet(bronze_tmp, statistics=True)
        quarantine.write_parquet(quarantine_tmp)
        if pause := settings.crash_test_pause():
            print(PAUSED_BEFORE_COMMIT, file=sys.stderr, flush=True)
            time.sleep(pause)
        # Leaving the with-blocks renames quarantine, then bronze: both files are complete by then.


SCHEMA_PART = "_schema"


def write_schema_file(
    data: DataDir, contract: FeedContract, empty_bronze: pl.DataFrame
) -> Location:
    """An empty file with the feed's bronze schema beside its partitions.

    Readers of the whole feed (dbt's sources read `<feed>/*/*.parquet`) then see the
    columns and types even before the first delivery, instead of failing on no files.
    """
    target = data.bronze_feed(contract.department, contract.feed) / SCHEMA_PART / PART
    with atomic_output(target) as tmp:
        empty_bronze.clear().write_parquet(tmp)
    return target


def prior_keys(
    data: DataDir, contract: FeedContract, day: date, since: date | None = None
) -> pl.Series | None:
    """Keys already in bronze from earlier delivery days (those from `since` on, when given):
    a repeat of one is a duplicate."""
    if not contract.key:
        return None
    feed_dir = data.bronze_feed(contract.department, contract.feed)
    # Every part of each earlier day: its file, or the windows of a day not yet compacted.
    earlier = sorted(
        part
        for p in feed_dir.glob("date=*")
        if p.name.removeprefix("date=") < day.isoformat()
        and (since is None or p.name.removeprefix("date=") >= since.isoformat())
        for part in p.glob("*.parquet")
        if part.name == PART or window_of_part(part.name) is not None
    )
    if not earlier:
        return None
    if is_remote(feed_dir):
        # Read one by one through the file system: only the key columns are fetched.
        keys = [
            read_parquet(path, columns=list(contract.key)).select(key_hash(contract.key))
            for path in earlier
        ]
        return pl.concat(keys).to_series().alias("key")
    local = [str(path) for path in earlier]  # all local here, but typed Location
    return pl.scan_parquet(local).select(key_hash(contract.key).alias("key")).collect()["key"]


def read_partition(target: Partition) -> tuple[pl.DataFrame, pl.DataFrame]:
    return read_parquet(target.bronze), read_parquet(target.quarantine)
