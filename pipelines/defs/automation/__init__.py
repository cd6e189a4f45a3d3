"""Automation stage: the sensor that refreshes everything downstream of a newly ingested day.

The conditions live on the assets (pipelines/defs/automation/conditions.py); this sensor evaluates them. It
runs in the daemon (`make dev`) from the start, like the landing sensor, so a delivery goes from
landing/ to the extracts with no one pressing a button.
"""

import dagster as dg

from pipelines.defs.automation.conditions import AUTOMATION_INTERVAL_SECONDS

defs = dg.Definitions(
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
    ]
)
