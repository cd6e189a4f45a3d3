"""Which delivery days the landing zone holds, and which of them the lake does not yet reflect.

Given the delivery window, days outside it are left out: they are no partitions, and the
landing inventory reports their files (`deliveries_in_window`) instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pipelines.lib.contracts import FeedContract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.lake import partition
from pipelines.lib.landing.window import DeliveryWindow


def landed_days(
    data: DataDir, contracts: Iterable[FeedContract], window: DeliveryWindow | None = None
) -> list[date]:
    """Every day some feed has a delivery for (inside `window`, when one is given)."""
    days = set()
    for contract in contracts:
        folder = data.landing_feed(contract.department, contract.feed)
        if folder.is_dir():
            days |= {
                day
                for p in folder.iterdir()
                if (day := contract.landing.day_of(p.name)) is not None
                and (window is None or day in window)
            }
    return sorted(days)


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
        folder = data.landing_feed(contract.department, contract.feed)
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            day = contract.landing.day_of(path.name)
            if day is None or (window is not None and day not in window):
                continue
            bronze = partition(data, contract, day).bronze
            if not bronze.exists() or path.stat().st_mtime > bronze.stat().st_mtime:
                days.add(day)
    return sorted(days)


def day_range(days: list[date]) -> tuple[str, str] | None:
    """The partition range a run ingests: from the first to the last of `days`, or None."""
    return (days[0].isoformat(), days[-1].isoformat()) if days else None
