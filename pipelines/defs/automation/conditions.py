"""What keeps the stages after ingestion fresh: Dagster's declarative automation.

Every asset downstream of bronze (the dbt models, linkage, the analytics copy, alerts, the
scorecard, extracts, quality reports, the dbt docs) carries `REFRESH_AFTER_INGESTION`; the
`refresh_after_ingestion` sensor (pipelines/defs/automation) evaluates it in the daemon that
`make dev` starts. When the landing sensor's run ingests a day, the next tick requests everything
downstream once, in one run: a condition is also true when a dependency "will be requested" on the
same tick, so the whole chain is picked up together, and Dagster orders the steps by their
dependencies (the `warehouse` pool still lets one writer at a time). Checks without a condition of
their own ride along with their asset, so dbt tests and contract checks run as they do in
`safecity run`.

`FRESHNESS` on the analytics copy and the extracts shows in the UI when they have not been
refreshed within a delivery day, whatever the reason (no delivery, a failed run, the daemon off).
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg


def refresh_after_ingestion() -> dg.AutomationCondition:
    """Dagster's `eager`, minus two parts that do not fit a lake partitioned by delivery day.

    - No `any_deps_missing`: bronze has a partition per day and no feed delivers every day, so
      some partition of a bronze parent is always missing and `eager` would wait for ever.
    - No `newly_missing` / `in_latest_time_window`: an asset never built is built by
      `safecity run` (or "Materialize all"), not by the daemon on its first tick, which would
      build the warehouse before anything was ingested.

    What stays keeps it to one update per ingestion: `since_last_handled` fires once per change
    upstream (a run that requests or materialises the asset resets it); `~any_deps_in_progress`
    waits while any day is still being ingested (a backfill of many days, or many files landed at
    once, gives one update at the end); `~in_progress` never requests an asset a queued or running
    run will already build. A run that fails is not retried by the daemon: the failure shows on
    the run, and the next ingestion tries again.
    """
    return (
        dg.AutomationCondition.any_deps_updated().since_last_handled()
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    ).with_label("refresh after ingestion")


REFRESH_AFTER_INGESTION = refresh_after_ingestion()

# A delivery a day: a day and some slack before a warning, two days before it fails.
FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=48), warn_window=timedelta(hours=26)
)

# The automation sensor's interval: how long a finished ingestion waits at most before the
# warehouse update is requested. Evaluated in the daemon, without loading the code location.
AUTOMATION_INTERVAL_SECONDS = 15
