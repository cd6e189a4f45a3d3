"""The department quality scorecard: every department's feeds measured the same way, over time."""

import dagster as dg

from pipelines.defs.scorecard.assets import department_scorecard

defs = dg.Definitions(assets=[department_scorecard])
