"""Sub-daily feeds: each window file ingested as it lands, the day compacted into one file once closed.

A feed whose contract's SLA frequency is under a day is delivered one file per time window
(`landing.windowFile`, contracts/README.md "Sub-daily delivery"). Its bronze partition is still
the delivery day (pipelines/defs/ingest/partitions.py): a run for the day ingests only the
windows whose file is new or changed since its part was written, each into a part of its own,
`date=YYYY-MM-DD/window-HHMM.parquet` (quarantine alike), so a file takes seconds, not a rerun of
the day. Readers of the lake (dbt's sources read `<feed>/*/*.parquet`) see the windows as
parts of the day.

Once the day is closed (its end plus the contract's latency SLA has passed, in the city's time),
`compact_day` rewrites its window parts as the day's one file, `part-0.parquet`, and removes
them: every row keeps `_source_file` (the window file it was delivered in) and `_source_row`.
It is idempotent: a day without window parts is left alone, and a compaction killed after
writing the day's file and before removing the windows is redone from the windows (a day's
file and window parts never stand side by side otherwise). A window that lands after its day
was compacted (late, or sent again) makes the next run ingest the day's windows afresh.

Runs for one day of one feed (the landing sensor launches one per file) and its compaction
take the day's lock (`day_lock`), one after the other.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from pipelines.lib.atomic import atomic_output
from pipelines.lib.contracts import FeedContract
from pipelines.lib.contracts.model import DAY_PLACEHOLDER, WINDOW_PLACEHOLDER
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.lake import (
    WINDOW_PART_PREFIX,
    partition,
    prior_keys,
    window_of_part,
    window_partition,
)
from pipelines.lib.landing.files import refusal, refused_folder
from pipelines.lib.storage import Location, is_remote


@dataclass(frozen=True)
class DayWindows:
    """What landing and the lake hold of one day of a sub-daily feed, and what to ingest."""

    day: date
    landed: dict[int, Path]  # window start (minute of the day) -> its landing file
    pending: tuple[int, ...]  # the windows to ingest now
    rebuild: bool  # the day was compacted and a window landed since: every window again
    whole_day: bool  # the day's own file landed: it stands for the day, not its windows


def landed_windows(data: DataDir, contract: FeedContract, day: date) -> dict[int, Path]:
    """The day's window files in landing: regular files named as the contract says."""
    folder = data.landing_feed(contract.department, contract.feed)
    landing = contract.landing
    if not landing.windowed or refused_folder(folder.parent) or refused_folder(folder):
        return {}
    if not folder.is_dir():
        return {}
    # The name with its day and any four characters for the window, checked by window_of.
    assert landing.window_file is not None
    glob = landing.window_file.replace(DAY_PLACEHOLDER, day.strftime("%Y%m%d")).replace(
        WINDOW_PLACEHOLDER, "????"
    )
    found = {}
    for path in folder.glob(glob):
        window = landing.window_of(path.name)
        if window is not None and window[0] == day and refusal(path) is None:
            found[window[1]] = path
    return dict(sorted(found.items()))


def plan_day(data: DataDir, contract: FeedContract, day: date) -> DayWindows:
    landed = landed_windows(data, contract, day)
    day_file = data.landing_feed(contract.department, contract.feed) / contract.landing.filename(
        day
    )
    if refusal(day_file) is None:  # the day's own file: ingested as a daily feed's
        return DayWindows(day, landed, (), False, True)
    target = partition(data, contract, day)
    if target.bronze.exists():
        written = _mtime(target.bronze)
        if any(_mtime(path) > written for path in landed.values()) or _window_parts(
            target.bronze.parent
        ):
            return DayWindows(day, landed, tuple(landed), True, False)
        return DayWindows(day, landed, (), False, False)
    pending = []
    for minute, path in landed.items():
        part = window_partition(data, contract, day, minute).bronze
        if not part.exists() or _mtime(path) > _mtime(part):
            pending.append(minute)
    return DayWindows(day, landed, tuple(pending), False, False)


def window_day_pending(data: DataDir, contract: FeedContract, day: date) -> bool:
    """Whether a window of the day has landed that the lake does not hold yet."""
    plan = plan_day(data, contract, day)
    return not plan.whole_day and bool(plan.pending)


def seen_keys(
    data: DataDir, contract: FeedContract, plan: DayWindows, earlier: list[pl.Series] | None
) -> list[pl.Series]:
    """Key hashes bronze holds before the windows of `plan`: earlier days' (`earlier` when the
    caller carries them, else read from the lake) and this day's windows that stay (a key
    delivered again in a later window is a duplicate)."""
    from pipelines.lib.ingest.enforce import key_hash

    if not contract.key:
        return []
    chunks = list(earlier) if earlier is not None else []
    if earlier is None and (before := prior_keys(data, contract, plan.day)) is not None:
        chunks.append(before)
    if not plan.rebuild:
        folder = partition(data, contract, plan.day).bronze.parent
        kept = [
            str(part)
            for part in _window_parts(folder)
            if window_of_part(part.name) not in plan.pending
        ]
        if kept:
            chunks.append(
                pl.scan_parquet(kept).select(key_hash(contract.key).alias("key")).collect()["key"]
            )
    return chunks


def forget_compacted(data: DataDir, contract: FeedContract, day: date) -> None:
    """Before a compacted day's windows are ingested again: the day's file goes (both lake
    trees), so no row stands twice. Killed here, the day holds fewer windows than landed,
    and the next run ingests the missing ones."""
    target = partition(data, contract, day)
    for path in (target.bronze, target.quarantine):
        if not is_remote(path):
            Path(str(path)).unlink(missing_ok=True)
        elif path.exists():
            path.unlink()


def remove_windows(data: DataDir, contract: FeedContract, day: date) -> int:
    """The day's window parts removed (both lake trees): once its file holds the day."""
    target = partition(data, contract, day)
    removed = 0
    for folder in (target.bronze.parent, target.quarantine.parent):
        for part in _window_parts(folder):
            part.unlink()
            removed += 1
    return removed


@dataclass(frozen=True)
class Compaction:
    day: date
    windows: int  # window parts merged
    bronze_rows: int
    quarantined_rows: int
    seconds: float


def compact_day(data: DataDir, contract: FeedContract, day: date) -> Compaction | None:
    """The day's window parts rewritten as its one file (bronze and quarantine), in window
    order, then removed; None when the day has no window parts (nothing to do)."""
    started = time.perf_counter()
    target = partition(data, contract, day)
    bronze_parts = _window_parts(target.bronze.parent)
    if not bronze_parts:
        return None
    quarantine_parts = [target.quarantine.parent / part.name for part in bronze_parts]
    missing = [str(p) for p in quarantine_parts if not p.exists()]
    if missing:  # never written apart by ingestion: a part was removed by hand
        raise FileNotFoundError(
            f"{contract.department}/{contract.feed} {day}: window parts without their "
            f"quarantine part ({', '.join(missing)}): ingest the day again (safecity run "
            "--full-refresh) before it is compacted"
        )
    counts = []
    # Streamed from the parts to the day's file: a day of a big feed is never all in memory.
    # Quarantine first, bronze last, as write_partition renames them.
    for parts, output in ((quarantine_parts, target.quarantine), (bronze_parts, target.bronze)):
        with atomic_output(output) as tmp:
            pl.scan_parquet([str(p) for p in parts]).sink_parquet(tmp, statistics=True)
        counts.append(pl.scan_parquet(str(output)).select(pl.len()).collect().item())
    remove_windows(data, contract, day)
    return Compaction(day, len(bronze_parts), counts[1], counts[0], time.perf_counter() - started)


def day_closed(contract: FeedContract, day: date, time_zone: str, now: datetime) -> bool:
    """Whether no window of `day` is due any more: the day's end in the city plus the
    contract's latency SLA has passed."""
    end = datetime.combine(day + timedelta(days=1), clock(), ZoneInfo(time_zone))
    return now >= end + timedelta(days=contract.sla.latency_days)


def days_with_windows(data: DataDir, contract: FeedContract) -> list[date]:
    """The days whose bronze holds window parts (not compacted yet)."""
    feed = data.bronze_feed(contract.department, contract.feed)
    days = []
    for folder in feed.glob("date=*"):
        if _window_parts(folder):
            try:
                days.append(date.fromisoformat(folder.name.removeprefix("date=")))
            except ValueError:
                continue
    return sorted(days)


@contextmanager
def day_lock(data: DataDir, contract: FeedContract, day: date) -> Iterator[None]:
    """One process at a time on one day of one feed: its ingestion runs and its compaction.

    A lock file under the data directory (local even when the lake is in object storage),
    released by the system when the process ends, however it ends.
    """
    folder = data.root / ".lake_locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{contract.department}__{contract.feed}__{day.isoformat()}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _window_parts(folder: Location) -> list[Location]:
    if not folder.exists():
        return []
    return sorted(
        (p for p in folder.glob(f"{WINDOW_PART_PREFIX}*") if window_of_part(p.name) is not None),
        key=lambda p: p.name,
    )


def _mtime(path: Location) -> float:
    return path.stat().st_mtime
