"""Ingestion stage: every feed contract becomes a landing source, a bronze asset and its checks."""

import dagster as dg

from pipelines.defs.feeds import FEED_CONTRACTS as CONTRACTS
from pipelines.defs.ingest.assets import build_ingestion_asset, landing_spec
from pipelines.defs.ingest.compaction import lake_compaction
from pipelines.defs.ingest.sensor import build_landing_sensor

ingestion_assets = [build_ingestion_asset(contract) for contract in CONTRACTS.values()]

defs = dg.Definitions(
    assets=[
        *[landing_spec(contract) for contract in CONTRACTS.values()],
        *ingestion_assets,
        lake_compaction,
    ],
    sensors=[build_landing_sensor(CONTRACTS)],
)
