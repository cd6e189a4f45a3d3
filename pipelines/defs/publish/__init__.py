"""Publish stage: each department's granted extract in `extracts/<department>/`, with its manifest and audit row;
the one map in `reports/map/index.html`."""

import dagster as dg

from pipelines.defs.publish.assets import extract_assets, manifest_checks
from pipelines.defs.publish.map import one_map

defs = dg.Definitions(assets=[*extract_assets, one_map], asset_checks=manifest_checks)
