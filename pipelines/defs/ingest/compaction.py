"""Compaction: each closed day of a sub-daily feed, its window parts rewritten as the day's one file.

The sub-daily feeds (a contract whose SLA frequency is under a day) are ingested window by
window as their files land (pipelines/lib/ingest/windows.py). Once a day is closed (its end
plus the contract's latency SLA has passed, in the city's time), `lake_compaction` rewrites
its window parts as `part-0.parquet`, keeping every row's `_source_file` and `_source_row`.
It runs in the `warehouse` pool: dbt reads the bronze files only from steps of that pool, so
no build sees a day half compacted. `safecity run` runs it with the warehouse job; with the
daemon (`make dev`) the `refresh_after_ingestion` sensor requests it every hour
(`COMPACT_HOURLY`), whatever was ingested.
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.
from datetime import UTC, datetime

import dagster as dg

from pipelines.defs import groups
from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.assets import bronze_key
from pipelines.defs.warehouse.assets import WAREHOUSE_POOL
from pipelines.lib.city_profile import city_profile
from pipelines.lib.ingest.windows import compact_day, day_closed, day_lock, days_with_windows
from pipelines.lib.resources import DataDirResource

COMPACTION_KEY = dg.AssetKey("lake_compaction")
# Declarative, as every asset after ingestion is: once after each hourly tick (not on the
# daemon's first evaluation), never while a run of it is queued or running.
_HOURLY_TICK: dg.AutomationCondition = dg.AutomationCondition.cron_tick_passed(
    "20 * * * *", cron_timezone="UTC"
)
COMPACT_HOURLY = (
    _HOURLY_TICK.since_last_handled() & ~dg.AutomationCondition.in_progress()
).with_label("hourly, at 20 past")
WINDOWED = [c for c in FEED_CONTRACTS.values() if c.landing.windowed]


@dg.asset(
    key=COMPACTION_KEY,
    deps=[bronze_key(c) for c in WINDOWED],
    # Beside the staging views: the first stage that reads bronze, as compaction does.
    group_name=groups.WAREHOUSE_STAGING,
    pool=WAREHOUSE_POOL,
    automation_condition=COMPACT_HOURLY,
    kinds={"parquet", "polars"},
    description=(
        "Each closed day of a sub-daily feed: its window parts in the lake rewritten as the day's "
        "one Parquet file (bronze and quarantine), rows keeping the window file and row they "
        "came from. Idempotent: a day already compacted is left alone."
    ),
)
def lake_compaction(
    context: dg.AssetExecutionContext, data_dir: DataDirResource
) -> dg.MaterializeResult:
    data = data_dir.paths
    time_zone = city_profile(data.root).timezone
    now = datetime.now(UTC)
    done, waiting = [], 0
    for contract in WINDOWED:
        for day in days_with_windows(data, contract):
            if not day_closed(contract, day, time_zone, now):
                waiting += 1  # a window of it may still come, on time
                continue
            with day_lock(data, contract, day):
                compaction = compact_day(data, contract, day)
            if compaction is None:
                continue
            done.append((contract, compaction))
            context.log.info(
                f"{contract.department}/{contract.feed} {day}: {compaction.windows} windows -> "
                f"{compaction.bronze_rows:,} rows in bronze, {compaction.quarantined_rows:,} "
                f"quarantined, in {compaction.seconds:.1f} s"
            )
    return dg.MaterializeResult(
        metadata={
            "days_compacted": len(done),
            "windows_compacted": sum(c.windows for _, c in done),
            "rows_compacted": sum(c.bronze_rows + c.quarantined_rows for _, c in done),
            "open_days": waiting,
            "seconds": round(sum(c.seconds for _, c in done), 2),
        }
    )
