"""Linkage stage: entity resolution per kind (exact keys and Splink) and its measured accuracy."""

import dagster as dg

from pipelines.defs.linkage.assets import linkage_assets, linkage_evaluation

defs = dg.Definitions(assets=[*linkage_assets, linkage_evaluation])
