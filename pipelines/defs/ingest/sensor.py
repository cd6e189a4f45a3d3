"""The landing-zone sensor: a new or changed delivery file starts its partition's ingestion.

The cursor remembers each file's size and modification time. On the first tick
files whose partition is already in bronze count as seen, so starting the
sensor on a city that `safecity run` already ingested launches nothing. A file
that matches no contract (wrong folder, wrong name) or is named for a day outside
the delivery window is reported as an observation on the landing inventory and in
the sensor's log, never silently skipped, and never handed to Dagster as a partition.
So is anything landing refuses to read (a link, a pipe, a folder where a file is expected,
a name that is not UTF-8: pipelines/lib/landing/files.py): the sensor looks at each
entry without following a link, and never looks into a linked folder.
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.
import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg

from pipelines.defs.ingest.assets import bronze_key
from pipelines.defs.ingest.partitions import (
    DELIVERY_DAYS,
    DELIVERY_DAYS_NAME,
    apply_span_change,
    current_delivery_window,
    describe_span_change,
    span_change,
)
from pipelines.defs.jobs import INGESTION_JOB
from pipelines.lib.contracts import FeedContract
from pipelines.lib.landing.deliveries import Contracts, match_delivery
from pipelines.lib.landing.files import refusal, shown_name
from pipelines.lib.landing.window import DeliveryWindow
from pipelines.lib.resources import DataDirResource


def match_file(
    contracts: Contracts, relative: str, window: DeliveryWindow
) -> tuple[FeedContract | None, date | None, str]:
    """The contract and delivery day a landing path stands for, or why it stands for none."""
    contract, day, reason = match_delivery(contracts, relative)
    if day is not None and (outside := window.why_outside(day)) is not None:
        return contract, None, f"outside the delivery window: {outside}"
    return contract, day, reason


def landing_entries(landing: Path) -> Iterator[Path]:
    """Every entry below `landing` that is not a real folder (files, links, pipes), in name
    order; a linked folder is an entry, never looked into."""
    if not landing.is_dir():
        return
    for folder, subfolders, names in os.walk(landing, followlinks=False):
        here = Path(folder)
        # os.walk lists a link to a folder among the folders, and does not enter it.
        links = [name for name in subfolders if (here / name).is_symlink()]
        subfolders[:] = sorted(name for name in subfolders if name not in links)
        yield from (here / name for name in sorted([*names, *links]))


def build_landing_sensor(contracts: Contracts) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_sensor",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        # The named job, so its runs show with their job and can be re-executed from the UI.
        job_name=INGESTION_JOB,
        description="Starts the ingestion of each new or changed file under landing/; reports files no contract matches.",
    )
    def landing_sensor(
        context: dg.SensorEvaluationContext, data_dir: DataDirResource
    ) -> dg.SensorResult:
        landing = data_dir.paths.landing
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        first_tick = not context.cursor
        done: dict[dg.AssetKey, set[str]] = {}
        requests, unmatched = [], []
        days: set[date] = set()  # of the files new or changed since the last tick
        window = current_delivery_window()
        for path in landing_entries(landing):
            # Shown as a report can hold it: a name that is not UTF-8 has escapes instead.
            relative = shown_name(path.relative_to(landing).as_posix())
            stat = path.lstat()
            signature = f"{stat.st_mtime_ns}:{stat.st_size}"
            if seen.get(relative) == signature:
                continue
            seen[relative] = signature
            refused = refusal(path)
            if refused is not None:
                unmatched.append(f"{relative}: refused, never read: {refused}")
                continue
            contract, day, reason = match_file(contracts, relative, window)
            if contract is None or day is None:  # a day is only ever matched with its contract
                unmatched.append(f"{relative}: {reason}")
                continue
            days.add(day)
            key = bronze_key(contract)
            if first_tick:
                if key not in done:
                    done[key] = set(context.instance.get_materialized_partitions(key))
                if day.isoformat() in done[key]:
                    continue
            requests.append(
                dg.RunRequest(
                    run_key=f"{relative}@{signature}",
                    partition_key=day.isoformat(),
                    asset_selection=[key],
                )
            )
        events = []
        if unmatched:
            for line in unmatched:
                context.log.warning(f"landing file left alone: {line}")
            events.append(
                dg.AssetObservation(
                    asset_key=dg.AssetKey("landing_inventory"),
                    metadata={
                        "unmatched_files": dg.MetadataValue.md(
                            "\n".join(f"- `{u}`" for u in unmatched)
                        )
                    },
                )
            )
        return dg.SensorResult(
            run_requests=requests,
            cursor=json.dumps(seen, sort_keys=True),
            asset_events=events,
            dynamic_partitions_requests=partition_requests(context, days, window),
        )

    return landing_sensor


def partition_requests(
    context: dg.SensorEvaluationContext, days: set[date], window: DeliveryWindow
) -> list[dg.AddDynamicPartitionsRequest]:
    """The new days as delivery day partitions: appended through the tick's result, which the
    daemon applies before it launches the tick's runs. A day older than every partition means
    rebuilding the partitions in date order, which a tick's result cannot express (it may not
    delete and add one key): that is done here, through the instance."""
    if not days:
        return []
    partitions = context.instance.get_dynamic_partitions(DELIVERY_DAYS_NAME)
    change = span_change(partitions, days, window)
    if (line := describe_span_change(change)) is not None:
        context.log.info(line)
    if change.rebuild or change.dropped:  # dropped: keys that are no day, deleted
        apply_span_change(context.instance, partitions, change)
        return []
    return [DELIVERY_DAYS.build_add_request(change.append)] if change.append else []
