"""Which delivery days the landing zone (and the lake) holds, and which the lake does not yet reflect.

Given the delivery window, days outside it are left out: they are no partitions, and the
landing inventory reports their files (`deliveries_in_window`) instead. So is anything landing
refuses to read (a link, a pipe, a folder, a name that is not UTF-8: pipelines/lib/landing/files.py),
reported by the inventory's `no_refused_landing_files`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from pipelines.lib.contracts import FeedContract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.lake import has_parts, partition
from pipelines.lib.ingest.windows import window_day_pending
from pipelines.lib.landing.files import refusal, refused_folder
from pipelines.lib.landing.window import DeliveryWindow


def _delivery_files(data: DataDir, contract: FeedContract) -> Iterator[tuple[Path, date]]:
    """The feed's regular files named as its contract says, with their day; never through a link."""
    folder = data.landing_feed(contract.department, contract.feed)
    if refused_folder(folder.parent) is not None or refused_folder(folder) is not None:
        return
    for path in folder.iterdir():
        day = contract.landing.day_of(path.name)
        if day is not None and refusal(path) is None:
            yield path, day


def landed_days(
    data: DataDir, contracts: Iterable[FeedContract], window: DeliveryWindow | None = None
) -> list[date]:
    """Every day some feed has a delivery for (inside `window`, when one is given)."""
    days = set()
    for contract in contracts:
        days |= {
            day for _, day in _delivery_files(data, contract) if window is None or day in window
        }
    return sorted(days)


def ingested_days(
    data: DataDir, contracts: Iterable[FeedContract], window: DeliveryWindow | None = None
) -> list[date]:
    """Every day some feed has a bronze partition for (inside `window`, when one is given):
    delivered days whose landing files may since have been moved away."""
    days = set()
    for contract in contracts:
        feed = data.bronze_feed(contract.department, contract.feed)
        for folder in feed.glob("date=*"):
            day = _day(folder.name.removeprefix("date="))
            if day is not None and (window is None or day in window) and has_parts(folder):
                days.add(day)
    return sorted(days)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def days_to_ingest(
    data: DataDir, contracts: Iterable[FeedContract], window: DeliveryWindow | None = None
) -> list[date]:
    """Days with a delivery that is new, or changed since its partition was written (inside
    `window`, when one is given).

    A daily run then ingests the day that landed and leaves the others alone. A file that
    could not be read leaves its partition missing or older than itself, so every run tries
    it again and reports it.
    """
    days = set()
    for contract in contracts:
        window_days: set[date] = set()  # a sub-daily feed's days with window files
        for path, day in _delivery_files(data, contract):
            if window is not None and day not in window:
                continue
            if contract.landing.window_of(path.name) is not None:
                window_days.add(day)
                continue
            bronze = partition(data, contract, day).bronze
            if not bronze.exists() or path.stat().st_mtime > bronze.stat().st_mtime:
                days.add(day)
        days |= {day for day in window_days if window_day_pending(data, contract, day)}
    return sorted(days)


def day_range(days: list[date]) -> tuple[str, str] | None:
    """The partition range a run ingests: from the first to the last of `days`, or None."""
    return (days[0].isoformat(), days[-1].isoformat()) if days else None
