"""Publish stage: each department's granted extract in `extracts/<department>/`, with its manifest and audit row."""

import dagster as dg

from pipelines.defs.publish.assets import extract_assets, manifest_checks

defs = dg.Definitions(assets=extract_assets, asset_checks=manifest_checks)
