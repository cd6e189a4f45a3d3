"""Which delivery days the landing zone holds, per the contracts' file names."""

from __future__ import annotations

from datetime import date

from pipelines.defs.feeds import FEED_CONTRACTS as CONTRACTS
from pipelines.lib.data_dir import DataDir


def delivery_days(data: DataDir) -> list[date]:
    days = set()
    for contract in CONTRACTS.values():
        folder = data.landing_feed(contract.department, contract.feed)
        if folder.is_dir():
            days |= {day for p in folder.iterdir() if (day := contract.landing.day_of(p.name)) is not None}
    return sorted(days)


def delivery_day_range(data: DataDir) -> tuple[str, str] | None:
    """First and last delivery day in landing/ (the partitions `safecity run` ingests), or None."""
    days = delivery_days(data)
    return (days[0].isoformat(), days[-1].isoformat()) if days else None
