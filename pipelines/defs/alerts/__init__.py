"""Alerts stage: the warnings model published as OASIS CAP 1.2 alerts in `alerts/`."""

import dagster as dg

from pipelines.defs.alerts.assets import cap_alerts

defs = dg.Definitions(assets=[cap_alerts])
