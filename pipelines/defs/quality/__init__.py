"""Quality stage: each department's published extract validated by GX suites from the contracts."""

import dagster as dg

from pipelines.defs.quality.assets import QUALITY_REPORTS

defs = dg.Definitions(assets=QUALITY_REPORTS)
