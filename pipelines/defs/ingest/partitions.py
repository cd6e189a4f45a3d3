"""Delivery days: every ingestion asset is partitioned by the day a file was delivered."""

from datetime import date, datetime

import dagster as dg

from pipelines.lib.city_profile import city_profile
from pipelines.lib.landing.window import DeliveryWindow, delivery_window

# The city whose delivery days these are: its profile is read when the code location loads,
# for the configured data directory (`safecity run` configures its own).
CITY = city_profile()
# The first day the platform accepts deliveries for, in the city's time zone.
FIRST_DELIVERY_DAY = CITY.first_delivery_day.isoformat()
# Where a person changes it, for the messages that tell them to.
FIRST_DELIVERY_DAY_SETTING = f"first_delivery_day in {CITY.source or 'the city profile'}"

# Days in the city's time zone, up to tomorrow (end_offset=2: today and the day after are
# partitions as soon as today starts): exactly the delivery window below.
DELIVERY_DAYS = dg.DailyPartitionsDefinition(
    start_date=FIRST_DELIVERY_DAY, end_offset=2, timezone=CITY.timezone
)


def current_delivery_window(now: datetime | None = None) -> DeliveryWindow:
    """The days a delivery may be named for now: the partitions of DELIVERY_DAYS."""
    return delivery_window(
        date.fromisoformat(FIRST_DELIVERY_DAY),
        CITY.timezone,
        first_day_setting=FIRST_DELIVERY_DAY_SETTING,
        now=now,
    )
