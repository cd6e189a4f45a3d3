"""The department quality scorecard as an asset: written to reports/scorecard/ for every
department (and into each department's extracts by the publishing stage), shown in the UI.

It reads only the lake, after every feed is ingested, so it needs no warehouse lock.
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.
from datetime import date, timedelta

import dagster as dg

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.assets import bronze_key
from pipelines.defs.ingest.checks import markdown
from pipelines.lib.atomic import atomic_output
from pipelines.lib.city_profile import city_profile
from pipelines.lib.resources import DataDirResource
from pipelines.lib.scorecard import department_scorecard as compute_scorecard
from pipelines.lib.scorecard import summary_by_department


def days_spanned(bronze_and_quarantine: list) -> list[date]:
    """Every day from the first delivery partition in the lake to the last."""
    days = sorted({date.fromisoformat(p.name.removeprefix("date=")) for p in bronze_and_quarantine})
    if not days:
        return []
    return [days[0] + timedelta(n) for n in range((days[-1] - days[0]).days + 1)]


@dg.asset(
    key=["reports", "department_scorecard"],
    deps=[bronze_key(contract) for contract in FEED_CONTRACTS.values()],
    group_name="quality",
    kinds={"duckdb", "parquet"},
    description="Completeness, validity (quarantine rate), timeliness against the SLA and duplication of every "
    "department's feeds per delivery day: reports/scorecard/department_scorecard.parquet, and a summary per department.",
)
def department_scorecard(
    context: dg.AssetExecutionContext, data_dir: DataDirResource
) -> dg.MaterializeResult:
    paths = data_dir.paths
    partitions = [*paths.bronze.glob("*/*/date=*"), *paths.quarantine.glob("*/*/date=*")]
    scorecard = compute_scorecard(
        paths.lake,
        list(FEED_CONTRACTS.values()),
        days_spanned(partitions),
        city_profile(paths.root).timezone,
    )
    summary = summary_by_department(scorecard)
    folder = paths.reports / "scorecard"
    for name, frame in (("department_scorecard", scorecard), ("summary_by_department", summary)):
        with atomic_output(folder / f"{name}.parquet") as tmp:
            frame.write_parquet(tmp)
    context.log.info("\n" + str(summary))
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
