"""The safecity code location: every stage's definitions plus the shared resources.

Loaded by `dagster dev` (workspace.yaml / pyproject [tool.dagster]) and by
`safecity run`. Importing it must stay cheap: no dbt parsing, no file scanning;
stages do their work when an asset runs.

To add a stage: create `pipelines/defs/<stage>/` exposing `defs = dg.Definitions(...)`
with its assets and checks, and list it in `_STAGES`. Resources shared by
several stages are declared here, once.
"""

from __future__ import annotations

import dagster as dg

from pipelines.defs import (
    alerts,
    automation,
    ingest,
    landing,
    linkage,
    publish,
    quality,
    scorecard,
    warehouse,
)
from pipelines.defs.jobs import phase_jobs
from pipelines.lib.data_dir import default_data_dir
from pipelines.lib.resources import DATA_DIR_RESOURCE_KEY, DataDirResource

_STAGES: tuple[dg.Definitions, ...] = (
    landing.defs,
    ingest.defs,
    scorecard.defs,
    warehouse.defs,
    linkage.defs,
    alerts.defs,
    publish.defs,
    quality.defs,
    automation.defs,
)


def build_definitions() -> dg.Definitions:
    # The data directory is resolved when the code location loads: `$SAFECITY_DATA_DIR`
    # or ./data (the repository's, since `dagster dev` runs from the root). A run may
    # still point elsewhere through run config, as `safecity run --data-dir` does.
    shared = dg.Definitions(
        resources={DATA_DIR_RESOURCE_KEY: DataDirResource(root=str(default_data_dir()))},
        # The runs of `safecity run` and of the landing sensor (pipelines/defs/jobs.py).
        jobs=phase_jobs(landing=[landing.landing_inventory], ingestion=ingest.ingestion_assets),
    )
    return dg.Definitions.merge(*_STAGES, shared)


defs = build_definitions()
