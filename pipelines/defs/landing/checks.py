"""Checks on the landing inventory, read back from the report the asset wrote.

Reading the report (not rescanning) checks exactly what was recorded, and lets
a check be re-run from the UI on its own. A missing delivery or a stray file is a
warning: it is for the department to fix, and must not stop ingestion of what did
arrive. A delivery named for a day outside the delivery window is an error: it is
left out of the lake until someone renames it or moves the window; so is anything landing
refuses to read (a link, a pipe, a folder where a file is expected, a name that is not UTF-8):
it may be a delivery, and a link may be an attempt to read other files. `contracts_valid`
is an error too: a feed whose contract is invalid is not ingested at all until the
contract is fixed (the other feeds are).
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations
# (context, resources) at definition time and needs them as real types.
import dagster as dg

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.landing.assets import landing_inventory
from pipelines.lib.contracts import FeedContracts
from pipelines.lib.landing.files import WHAT_TO_DO
from pipelines.lib.landing.inventory import (
    INVENTORY_JSON,
    LandingInventory,
    read_inventory,
    summarise_days,
)
from pipelines.lib.resources import DataDirResource


def _recorded_inventory(data_dir: DataDirResource) -> LandingInventory:
    json_path = data_dir.paths.reports / INVENTORY_JSON
    if not json_path.is_file():
        raise dg.Failure(
            description=f"{json_path} does not exist: materialise landing_inventory first."
        )
    return read_inventory(json_path)


@dg.asset_check(
    asset=landing_inventory,
    description="Every feed delivered a file for each day between its first and last delivery.",
)
def every_feed_delivered_daily(data_dir: DataDirResource) -> dg.AssetCheckResult:
    inventory = _recorded_inventory(data_dir)
    gaps = {
        f"{feed.department}/{feed.feed}": [day.isoformat() for day in feed.missing_days]
        for feed in inventory.feeds
        if feed.missing_days
    }
    never_delivered = [
        f"{feed.department}/{feed.feed}" for feed in inventory.feeds if feed.files == 0
    ]
    findings = [
        f"{feed.department}/{feed.feed} missing {summarise_days(feed.missing_days)}"
        for feed in inventory.feeds
        if feed.missing_days
    ] + [f"{name} never delivered" for name in never_delivered]
    return dg.AssetCheckResult(
        passed=not gaps and not never_delivered,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "feeds_with_gaps": len(gaps),
            "missing_days": inventory.total_missing_days,
            "feeds_never_delivered": len(never_delivered),
            "missing": dg.MetadataValue.json(gaps),
            "summary": dg.MetadataValue.md(
                "\n".join(f"- {finding}" for finding in findings) or "none"
            ),
        },
        description="; ".join(findings) if findings else "every feed delivered daily",
    )


@dg.asset_check(
    asset=landing_inventory,
    description="Every file in landing/ is a delivery named <feed>_<YYYYMMDD>.<format>.",
)
def no_unknown_landing_files(data_dir: DataDirResource) -> dg.AssetCheckResult:
    inventory = _recorded_inventory(data_dir)
    return dg.AssetCheckResult(
        passed=not inventory.unknown_files,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "unknown_files": len(inventory.unknown_files),
            "files": dg.MetadataValue.json(
                [{"path": item.path, "reason": item.reason} for item in inventory.unknown_files]
            ),
        },
        description=(
            f"{len(inventory.unknown_files)} unknown file(s): "
            + ", ".join(item.path for item in inventory.unknown_files)
            if inventory.unknown_files
            else "every file is a delivery"
        ),
    )


@dg.asset_check(
    asset=landing_inventory,
    description=(
        "Every delivery is named for a day in the delivery window, from the first delivery day "
        "to tomorrow. A file outside it is left alone (never ingested), so it fails no other feed."
    ),
)
def deliveries_in_window(data_dir: DataDirResource) -> dg.AssetCheckResult:
    inventory = _recorded_inventory(data_dir)
    outside = inventory.outside_window
    window = inventory.window
    span = f"{window.first} .. {window.last}" if window else "every day"
    metadata: dict[str, dg.RawMetadataValue] = {
        "files_outside_window": len(outside),
        "window": span,
        "files": dg.MetadataValue.json(
            [{"path": item.path, "day": item.day.isoformat()} for item in outside]
        ),
    }
    if not outside:
        return dg.AssetCheckResult(
            passed=True,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=metadata,
            description=f"every delivery is named for a day in {span}",
        )
    # One line per file: the summary of `safecity run` shows each, with what to do last.
    lines = [
        f"{len(outside)} delivery file(s) named for a day outside {span}, left alone:",
        *(f"landing/{item.path}: {item.reason}" for item in outside),
    ]
    if window is not None:
        lines.append(window.what_to_do())
    return dg.AssetCheckResult(
        # An error: those deliveries are not in the lake until someone acts.
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description="\n".join(lines),
    )


@dg.asset_check(
    asset=landing_inventory,
    description=(
        "Landing holds only regular files in real folders, with UTF-8 names. Anything else (a "
        "symbolic link, a named pipe, a folder where a file is expected, a name that is not "
        "UTF-8) is refused: never read, so it fails no other feed."
    ),
)
def no_refused_landing_files(data_dir: DataDirResource) -> dg.AssetCheckResult:
    inventory = _recorded_inventory(data_dir)
    refused = inventory.refused_files
    metadata: dict[str, dg.RawMetadataValue] = {
        "refused_files": len(refused),
        "files": dg.MetadataValue.json(
            [{"path": item.path, "reason": item.reason} for item in refused]
        ),
    }
    if not refused:
        return dg.AssetCheckResult(
            passed=True,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=metadata,
            description="every entry in landing is a regular file or a real folder",
        )
    # One line per file: the summary of `safecity run` shows each, with what to do last.
    lines = [
        f"{len(refused)} landing entr{'y' if len(refused) == 1 else 'ies'} refused, never read:",
        *(f"landing/{item.path}: {item.reason}" for item in refused),
        WHAT_TO_DO,
    ]
    return dg.AssetCheckResult(
        # An error: a refused file may be a delivery kept out of the lake, or an attempt to
        # make landing read another file; someone must look.
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description="\n".join(lines),
    )


# The run summary shows a failed check's first short text: the invalid feeds, when they fit.
_SHORT = 60


@dg.asset_check(
    asset=landing_inventory,
    description=(
        "Every feed contract under contracts/feeds/ is valid. A feed whose contract is not "
        "is left out of ingestion (the others are ingested) until `safecity contract check` passes."
    ),
)
def contracts_valid() -> dg.AssetCheckResult:
    return contracts_valid_result(FEED_CONTRACTS)


def contracts_valid_result(contracts: FeedContracts) -> dg.AssetCheckResult:
    invalid = contracts.invalid
    names = ", ".join(f"{contract.department}/{contract.feed}" for contract in invalid)
    problems = contracts.problems
    return dg.AssetCheckResult(
        passed=not invalid,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "invalid_feeds": names if len(names) <= _SHORT else f"{len(invalid)} feeds",
            "problems": len(problems),
            "valid_feeds": len(contracts),
            "problem_list": dg.MetadataValue.md(
                "\n".join(f"- `{problem}`" for problem in problems) or "none"
            ),
        },
        description=(
            f"{len(invalid)} invalid feed contract(s), not ingested until fixed:\n"
            + "\n".join(problems)
            if invalid
            else "every feed contract is valid"
        ),
    )
