"""The department quality scorecard as an asset: written to reports/scorecard/ for every
department (and into each department's extracts by the publishing stage), shown in the UI.

It reads only the lake, after every feed is ingested, so it needs no warehouse lock.
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.
import dagster as dg

from pipelines.defs.automation.conditions import REFRESH_AFTER_INGESTION
from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.assets import bronze_key
from pipelines.defs.ingest.checks import markdown
from pipelines.lib.atomic import atomic_output
from pipelines.lib.city_profile import city_profile
from pipelines.lib.resources import DataDirResource
from pipelines.lib.scorecard import department_scorecard as compute_scorecard
from pipelines.lib.scorecard import summary_by_department


@dg.asset(
    key=["reports", "department_scorecard"],
    deps=[bronze_key(contract) for contract in FEED_CONTRACTS.values()],
    group_name="quality",
    kinds={"duckdb", "parquet"},
    automation_condition=REFRESH_AFTER_INGESTION,
    description="Completeness, validity (quarantine rate), timeliness against the SLA and duplication of every "
    "department's feeds per delivery day, each feed from its own first delivery: "
    "reports/scorecard/department_scorecard.parquet, and a summary per department.",
)
def department_scorecard(
    context: dg.AssetExecutionContext, data_dir: DataDirResource
) -> dg.MaterializeResult:
    paths = data_dir.paths
    scorecard = compute_scorecard(
        paths.lake,
        list(FEED_CONTRACTS.values()),
        city_profile(paths.root).timezone,
        paths.scorecard_counts,
    )
    summary = summary_by_department(scorecard)
    folder = paths.reports / "scorecard"
    for name, frame in (("department_scorecard", scorecard), ("summary_by_department", summary)):
        with atomic_output(folder / f"{name}.parquet") as tmp:
            frame.write_parquet(tmp)
    for row in summary.iter_rows(named=True):
        context.log.info(
            f"{row['department']}: {row['feeds']} feeds, {row['delivered_rows']:,} rows, "
            f"completeness {row['completeness']}, validity {row['validity']}, "
            f"timeliness {row['timeliness']}, duplication {row['duplication']}, "
            f"{row['feed_days_without_delivery']} feed-days without delivery"
        )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(folder)),
            "feed_days": scorecard.height,
            "by_department": dg.MetadataValue.md(markdown(summary)),
            **{
                f"{row['department']}/{measure}": row[measure]
                for row in summary.iter_rows(named=True)
                for measure in ("completeness", "validity", "timeliness", "duplication")
            },
        }
    )
