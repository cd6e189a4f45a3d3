"""Landing stage: the raw deliveries as departments sent them."""

import dagster as dg

from pipelines.defs.landing.assets import landing_inventory
from pipelines.defs.landing.checks import (
    contracts_valid,
    deliveries_in_window,
    every_feed_delivered_daily,
    no_refused_landing_files,
    no_unknown_landing_files,
)

defs = dg.Definitions(
    assets=[landing_inventory],
    asset_checks=[
        every_feed_delivered_daily,
        no_unknown_landing_files,
        deliveries_in_window,
        no_refused_landing_files,
        contracts_valid,
    ],
)
