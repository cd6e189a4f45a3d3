"""The landing stage: one look at everything departments delivered, before any ingestion."""

# No `from __future__ import annotations`: Dagster reads the parameter annotations
# (context, resources) at definition time and needs them as real types.
import dagster as dg

from pipelines.defs import groups
from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.partitions import current_delivery_window
from pipelines.lib.landing.inventory import (
    NoLandingDataError,
    markdown_table,
    scan_landing,
    write_inventory,
)
from pipelines.lib.resources import DataDirResource


@dg.asset(
    group_name=groups.LANDING,
    kinds={"parquet", "json"},
    description=(
        "Per landing feed: delivery files, bytes, first and last delivery day and the days "
        "missing between them; files named for a day outside the delivery window apart, and "
        "what landing refuses to read (links, pipes, folders, names not UTF-8). "
        "Written to reports/landing_inventory.{parquet,json}."
    ),
)
def landing_inventory(
    context: dg.AssetExecutionContext, data_dir: DataDirResource
) -> dg.MaterializeResult:
    paths = data_dir.paths
    # Said where a run's output shows it: each problem of an invalid contract (its feed
    # is not ingested; the contracts_valid check fails).
    for problem in FEED_CONTRACTS.problems:
        context.log.error(f"invalid contract: {problem}")
    try:
        inventory = scan_landing(paths.landing, FEED_CONTRACTS, current_delivery_window())
    except NoLandingDataError as error:
        # A Failure's description is what the UI and `safecity run` show: one sentence,
        # no stack trace, because nothing is wrong with the code.
        raise dg.Failure(description=str(error), allow_retries=False) from None

    for unknown in inventory.unknown_files:
        context.log.warning(f"unknown file in landing: {unknown.path} ({unknown.reason})")
    for refused in inventory.refused_files:
        context.log.error(f"refused, never read: landing/{refused.path} ({refused.reason})")
    for outside in inventory.outside_window:
        context.log.warning(
            f"delivery outside the window, left alone: {outside.path} ({outside.reason})"
        )
    parquet_path, json_path = write_inventory(inventory, paths.reports)

    metadata: dict[str, dg.RawMetadataValue] = {
        "feeds": len(inventory.feeds),
        "total_files": inventory.total_files,
        "total_bytes": inventory.total_bytes,
        "missing_days": inventory.total_missing_days,
        "unknown_files": len(inventory.unknown_files),
        "files_outside_window": len(inventory.outside_window),
        "refused_files": len(inventory.refused_files),
        "inventory": dg.MetadataValue.md(markdown_table(inventory.feeds)),
        "report": dg.MetadataValue.path(str(parquet_path)),
        "report_json": dg.MetadataValue.path(str(json_path)),
    }
    if inventory.unknown_files:
        metadata["unknown_file_list"] = dg.MetadataValue.md(
            "\n".join(f"- `{item.path}`: {item.reason}" for item in inventory.unknown_files)
        )
    if inventory.refused_files:
        metadata["refused_file_list"] = dg.MetadataValue.md(
            "\n".join(f"- `{item.path}`: {item.reason}" for item in inventory.refused_files)
        )
    return dg.MaterializeResult(metadata=metadata)
