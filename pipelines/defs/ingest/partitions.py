"""Delivery days: every ingestion asset is partitioned by the day a file was delivered."""

import os

import dagster as dg

# The first day the platform accepts deliveries for; the sample city starts in October 2026.
FIRST_DELIVERY_DAY = os.environ.get("SAFECITY_FIRST_DELIVERY_DAY", "2026-01-01")

# end_offset=1: today's delivery is a partition as soon as the day starts.
DELIVERY_DAYS = dg.DailyPartitionsDefinition(start_date=FIRST_DELIVERY_DAY, end_offset=1)
