"""Linkage stage: entity resolution per kind (exact keys and Splink) and its measured accuracy."""

import dagster as dg

from pipelines.defs.linkage.assets import link_entities, linkage_evaluation

defs = dg.Definitions(assets=[link_entities, linkage_evaluation])
