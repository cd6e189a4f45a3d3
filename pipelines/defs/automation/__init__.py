"""Automation stage: the sensor that refreshes everything downstream of a newly ingested day.

The conditions live on the assets (pipelines/defs/automation/conditions.py); this sensor evaluates them. It
runs in the daemon (`make dev`) from the start, like the landing sensor, so a delivery goes from
landing/ to the extracts with no one pressing a button.
"""

import dagster as dg

from pipelines.defs.automation.conditions import AUTOMATION_INTERVAL_SECONDS

defs = dg.Definitions(
    # The sensor's runs are of the implicit asset job (as are the UI's "Materialize" runs): their
    # steps run in the run's own process, one after the other, as the named jobs' do
    # (pipelines/defs/jobs.py), so a run imports the code location once, not once per step (a
    # minute a step on a busy machine).
    executor=dg.in_process_executor,
    sensors=[
        dg.AutomationConditionSensorDefinition(
            "refresh_after_ingestion",
            target=dg.AssetSelection.all(),
            default_status=dg.DefaultSensorStatus.RUNNING,
            minimum_interval_seconds=AUTOMATION_INTERVAL_SECONDS,
            description=(
                "Requests the warehouse, linkage, alerts, scorecard, extracts and reports once, in one "
                "run, after a day is ingested (the assets' automation conditions)."
            ),
        )
    ],
)
