"""Delivery days: every ingestion asset is partitioned by the day a file was delivered for.

The partitions are the span of days the city really delivered for: from the first day any
feed delivered to the last, every day between included, so a day on which a feed delivered
nothing shows as a gap in that feed's partition bar. They are dynamic partitions kept in the
Dagster instance, added as days land (by the landing sensor and by `safecity run`, before it
launches a run), so a new day needs no reload of the code location. Dagster orders dynamic
partitions as they were added; the span is kept in date order, so the partition bar reads
as a calendar and any range of days is a valid partition range (single-run backfills).

The delivery window (pipelines/lib/landing/window.py) bounds the span: a day before the
city's first delivery day or after tomorrow never becomes a partition.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import dagster as dg

from pipelines.lib.city_profile import city_profile
from pipelines.lib.contracts import FeedContract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.landing.pending import ingested_days, landed_days
from pipelines.lib.landing.window import DeliveryWindow, delivery_window

# The city whose delivery days these are: its profile is read when the code location loads,
# for the configured data directory (`safecity run` configures its own).
CITY = city_profile()
# The first day the platform accepts deliveries for, in the city's time zone.
FIRST_DELIVERY_DAY = CITY.first_delivery_day.isoformat()
# Where a person changes it, for the messages that tell them to.
FIRST_DELIVERY_DAY_SETTING = f"first_delivery_day in {CITY.source or 'the city profile'}"

# One set of delivery days per Dagster instance: `safecity run` keeps an instance per data
# directory (pipelines/lib/dagster_home.py), so per city.
DELIVERY_DAYS_NAME = "delivery_days"
DELIVERY_DAYS = dg.DynamicPartitionsDefinition(name=DELIVERY_DAYS_NAME)


def current_delivery_window(now: datetime | None = None) -> DeliveryWindow:
    """The days a delivery may be named for now: the bounds of the partitions' span."""
    return delivery_window(
        date.fromisoformat(FIRST_DELIVERY_DAY),
        CITY.timezone,
        first_day_setting=FIRST_DELIVERY_DAY_SETTING,
        now=now,
    )


@dataclass(frozen=True)
class SpanChange:
    """How the partitions must change so that they are the span of delivered days, in order."""

    append: list[str]  # days after the last partition, appended in date order
    rebuild: list[str]  # when not empty: the whole span, replacing the partitions (see below)
    dropped: list[str]  # keys that are no day (added by hand in the UI): not kept by a rebuild

    @property
    def added(self) -> list[str]:
        return self.append or self.rebuild


def span_change(
    partitions: Sequence[str], delivered: Iterable[date], window: DeliveryWindow
) -> SpanChange:
    """The change that makes `partitions` the span from the first to the last of them and of
    `delivered` (days outside `window` left out), every day between included.

    A day once a partition stays one (its materialisations are history). Days after the last
    partition are appended. A day before the first one (a late delivery older than every
    partition) cannot be inserted in its place: Dagster orders dynamic partitions as they were
    added. Then the span is rebuilt: every partition deleted and the span added in date order,
    which keeps each day's materialisations (they are recorded by key, not by position).
    """
    known = {key: _day(key) for key in partitions}
    dropped = [key for key, day in known.items() if day is None]
    days = {day for day in known.values() if day is not None}
    days |= {day for day in delivered if day in window}
    if not days:
        return SpanChange([], [], dropped)
    first, last = min(days), max(days)
    span = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    if not dropped and span[: len(partitions)] == list(partitions):
        return SpanChange(span[len(partitions) :], [], [])
    return SpanChange([], span, dropped)


def register_delivery_days(
    instance: dg.DagsterInstance, delivered: Iterable[date], window: DeliveryWindow
) -> SpanChange:
    """Make the instance's delivery days the span of `delivered` and of the days already
    partitions, in date order, before a run for any of them is launched."""
    partitions = instance.get_dynamic_partitions(DELIVERY_DAYS_NAME)
    change = span_change(partitions, delivered, window)
    apply_span_change(instance, partitions, change)
    return change


def register_delivered_days(
    instance: dg.DagsterInstance,
    data: DataDir,
    contracts: Iterable[FeedContract],
    window: DeliveryWindow,
) -> SpanChange:
    """Before `safecity run` launches its runs: every day landing holds a delivery for, or
    bronze holds a partition of (ingested earlier), inside `window`, is a partition."""
    feeds = list(contracts)
    delivered = {*landed_days(data, feeds, window), *ingested_days(data, feeds, window)}
    return register_delivery_days(instance, delivered, window)


def apply_span_change(
    instance: dg.DagsterInstance, partitions: Sequence[str], change: SpanChange
) -> None:
    for key in partitions if change.rebuild else change.dropped:
        instance.delete_dynamic_partition(DELIVERY_DAYS_NAME, key)
    if change.added:
        instance.add_dynamic_partitions(DELIVERY_DAYS_NAME, change.added)


def describe_span_change(change: SpanChange) -> str | None:
    """One line for a person: which days became partitions, or None when none did."""
    if not change.added and not change.dropped:
        return None
    parts = []
    if change.append:
        parts.append(f"delivery days {_days(change.append)} added as partitions")
    if change.rebuild:
        parts.append(f"delivery day partitions rebuilt in date order: {_days(change.rebuild)}")
    if change.dropped:
        parts.append(f"partitions that are no day removed: {', '.join(change.dropped)}")
    return "; ".join(parts)


def _days(keys: Sequence[str]) -> str:
    return keys[0] if len(keys) == 1 else f"{keys[0]} .. {keys[-1]} ({len(keys)})"


def _day(key: str) -> date | None:
    try:
        return date.fromisoformat(key) if len(key) == len("YYYY-MM-DD") else None
    except ValueError:
        return None
