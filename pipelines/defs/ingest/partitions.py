"""Delivery days: every ingestion asset is partitioned by the day a file was delivered."""

import os
from datetime import date, datetime

import dagster as dg

from pipelines.lib.landing.window import DeliveryWindow, delivery_window
from pipelines.lib.standards.city import TIMEZONE

# The first day the platform accepts deliveries for; the sample city starts in October 2026.
FIRST_DELIVERY_DAY = os.environ.get("SAFECITY_FIRST_DELIVERY_DAY", "2026-01-01")
# Where a person changes it, for the messages that tell them to.
FIRST_DELIVERY_DAY_SETTING = "$SAFECITY_FIRST_DELIVERY_DAY"

# Days in the city's time zone, up to tomorrow (end_offset=2: today and the day after are
# partitions as soon as today starts): exactly the delivery window below.
DELIVERY_DAYS = dg.DailyPartitionsDefinition(
    start_date=FIRST_DELIVERY_DAY, end_offset=2, timezone=TIMEZONE
)


def current_delivery_window(now: datetime | None = None) -> DeliveryWindow:
    """The days a delivery may be named for now: the partitions of DELIVERY_DAYS."""
    return delivery_window(
        date.fromisoformat(FIRST_DELIVERY_DAY),
        TIMEZONE,
        first_day_setting=FIRST_DELIVERY_DAY_SETTING,
        now=now,
    )
