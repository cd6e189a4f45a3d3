"""Delivery days: every ingestion asset is partitioned by the day a file was delivered."""

import dagster as dg

from pipelines.lib.city_profile import city_profile

# The first day the platform accepts deliveries for: the city profile's (read when the code
# location loads, for the configured data directory; `safecity run` configures its own).
FIRST_DELIVERY_DAY = city_profile().first_delivery_day.isoformat()

# end_offset=1: today's delivery is a partition as soon as the day starts.
DELIVERY_DAYS = dg.DailyPartitionsDefinition(start_date=FIRST_DELIVERY_DAY, end_offset=1)
