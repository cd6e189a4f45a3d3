"""The pipeline's named jobs: the three runs of `safecity run`, as the UI lists them.

`safecity run` executes these jobs, in this order, and the landing sensor launches the
ingestion job, so every run has a job the UI can show on its job pages and timeline and
re-execute from failure. Each job is what one phase needs, told apart by the asset graph's
structure rather than by group names:
- the landing inventory needs no delivery day;
- the ingestion assets are partitioned by delivery day;
- everything else is built on what the lake holds (the warehouse and what follows), and the
  dbt models, one step, stay in one job.
Steps run in the run's own process, one at a time: one writer of the warehouse file, and no
process (and no import of the code location) per step. A step that SIGINT or SIGTERM
interrupted ends its run (pipelines/defs/interrupts.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from pipelines.defs.interrupts import stop_on_interrupt

LANDING_JOB = "inventory_landing_zone"
INGESTION_JOB = "ingest_deliveries"
WAREHOUSE_JOB = "build_warehouse"
PHASE_JOBS = (LANDING_JOB, INGESTION_JOB, WAREHOUSE_JOB)  # in the order `safecity run` runs them


def phase_jobs(
    landing: Sequence[dg.AssetsDefinition], ingestion: Sequence[dg.AssetsDefinition]
) -> list[dg.UnresolvedAssetJobDefinition]:
    """The three jobs, from the landing stage's assets and the partitioned ingestion assets;
    the warehouse job is every other asset."""
    landing_assets = dg.AssetSelection.assets(*landing)
    ingestion_assets = dg.AssetSelection.assets(*ingestion)
    return [
        dg.define_asset_job(
            LANDING_JOB,
            selection=landing_assets,
            description="Inventory the landing zone: what each department delivered, for which "
            "days, and what no contract matches. Needs no delivery day; `safecity run` runs it first.",
            executor_def=dg.in_process_executor,
            hooks={stop_on_interrupt},
        ),
        dg.define_asset_job(
            INGESTION_JOB,
            selection=ingestion_assets,
            description="Ingest delivery days into the bronze lake: one step per feed for a range "
            "of days, quarantining what breaks its contract. The landing sensor launches it for a "
            "new or changed file; `safecity run` for every day not yet ingested.",
            executor_def=dg.in_process_executor,
            hooks={stop_on_interrupt},
        ),
        dg.define_asset_job(
            WAREHOUSE_JOB,
            selection=dg.AssetSelection.all() - landing_assets - ingestion_assets,
            description="Build everything on what the lake holds: the dbt warehouse and marts, "
            "linkage, CAP alerts, the analytics copy, department extracts, quality reports and "
            "the scorecard. `safecity run` runs it after the ingestion.",
            executor_def=dg.in_process_executor,
            hooks={stop_on_interrupt},
        ),
    ]
