"""With the daemon running, a delivery that lands goes through to the analytics copy and the
extracts with no one pressing a button (pipelines/defs/automation/conditions.py).

The tiny city is built without the last delivery of one feed; `dagster dev` is started on it as
`make dev` starts it (its own instance and data directory, bound to 127.0.0.1); then the held-back
file lands. The landing sensor ingests it, the automation sensor requests everything downstream in
one run, and the test only watches: every run after the drop is a sensor's, and once all is
refreshed the daemon requests nothing more.

Each round prints the time from the file's drop to the refreshed extracts. One round by default;
SAFECITY_AUTOMATION_ROUNDS=3 holds back three deliveries and lands them one after another (the
closing note's median).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.defs.automation.conditions import AUTOMATION_INTERVAL_SECONDS
from pipelines.defs.feeds import DEPARTMENTS, FEED_CONTRACTS
from pipelines.defs.ingest.compaction import COMPACTION_KEY
from pipelines.defs.publish.assets import extract_key
from pipelines.lib.data_dir import DataDir
from pipelines.lib.storage import Location
from tests.conftest import safecity_run
from tests.local_server import (
    AUTOMATION_SENSOR,
    LANDING_SENSOR,
    SENSOR_NAME_TAG,
    dagster_dev,
    runs_since,
    tail,
    utc,
    wait_for_first_ticks,
)

# The feed whose deliveries are held back: its records are events with persons, places and
# organisations, so a new day reaches the warehouse's every layer and each department's extract.
FEED = ("traffic_police", "traffic_accidents")
ROUNDS = int(os.environ.get("SAFECITY_AUTOMATION_ROUNDS", "1"))
# Generous: a quiet machine takes a few minutes from drop to extracts (two sensor ticks, an
# ingestion run, the warehouse run); this is several times that, for a busy one.
ROUND_TIMEOUT_SECONDS = 1500
# After the refresh, the daemon must stay quiet for this long: no second update, no loop.
QUIET_SECONDS = 2 * AUTOMATION_INTERVAL_SECONDS + 30


def test_a_landed_delivery_refreshes_the_analytics_copy_and_extracts_with_no_manual_step(
    tiny_city: Path, tmp_path: Path
) -> None:
    root = tmp_path / "city"
    shutil.copytree(tiny_city, root)
    data = DataDir(root)
    held = _hold_back_last_deliveries(data, tmp_path / "not_yet_delivered", ROUNDS)
    built = safecity_run(root, tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    home = root / "dagster_home"

    seconds = []
    with (
        dagster_dev(root, home, tmp_path / "dagster_dev.log") as log,
        dg.DagsterInstance.from_config(str(home)) as instance,
    ):
        wait_for_first_ticks(instance, log)
        for delivery in reversed(held):  # the earliest first, as days arrive
            seconds.append(_land_and_wait(instance, data, delivery, log))
        # The freshness policies are evaluated by the daemon: what the UI shows on the asset pages.
        fresh = [dg.AssetKey("analytics_copy"), *(extract_key(d) for d in DEPARTMENTS)]
        states = instance.get_freshness_state_records(fresh)
        assert {key: states[key].freshness_state.value for key in states} == dict.fromkeys(
            fresh, "PASS"
        )
    print(
        f"\ndrop to refreshed extracts: {', '.join(f'{s:.0f} s' for s in seconds)}; "
        f"median {statistics.median(seconds):.0f} s"
    )


def test_an_ingested_day_requests_everything_downstream_once_and_nothing_on_start() -> None:
    """The conditions themselves, evaluated the way the daemon does (without it): what one
    ingestion requests, that a backfill of many days requests each asset once, and that nothing
    is requested when the daemon starts on a built city or again after the request."""
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    bronze = sorted(
        (k for k in graph.get_all_asset_keys() if graph.get(k).partitions_def is not None),
        key=lambda k: k.to_user_string(),
    )
    downstream = dg.AssetSelection.assets(*bronze).downstream().resolve(graph) - set(bronze)
    automated = {k for k in graph.get_all_asset_keys() if graph.get(k).automation_condition}
    assert downstream <= automated, "every asset after ingestion is automated"
    # Besides them only dbt models that depend on nothing ingested (seeds, reference and contract
    # tables, a union of configuration seeds), whose condition never fires on an ingestion.
    ingested = downstream | set(bronze)
    assert all(not graph.get(k).parent_keys & ingested for k in automated - downstream)
    sensor = defs.get_sensor_def(AUTOMATION_SENSOR)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    fresh = {k for k in graph.get_all_asset_keys() if graph.get(k).freshness_policy}
    assert fresh == {dg.AssetKey("analytics_copy"), *(extract_key(d) for d in DEPARTMENTS)}

    # Every evaluation at one instant: the hourly compaction tick (20 past) passing between two of
    # them would request `lake_compaction` whatever was ingested.
    at = datetime.now(UTC)
    with dg.instance_for_test() as instance:
        started = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, evaluation_time=at
        )
        assert started.total_requested == 0, "starting the daemon requests nothing"

        one, other = bronze[0], bronze[-1]
        days = _partition_keys(instance, graph.get(one).partitions_def, 3)
        instance.report_runless_asset_event(dg.AssetMaterialization(one, partition=days[0]))
        ingested = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=started.cursor, evaluation_time=at
        )
        direct = dg.AssetSelection.assets(one).downstream().resolve(graph) - {one}
        requested = {k for k in automated if ingested.get_requested_partitions(k)}
        assert requested == _with_execution_sets(graph, direct)
        # One request per asset downstream; the rest of an execution set rides along uncounted.
        assert ingested.total_requested == len(direct), "one request per asset"

        again = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=ingested.cursor, evaluation_time=at
        )
        assert again.total_requested == 0, "requested once, not on every tick"

        # Many days of two feeds at once (a backfill): still one request per asset.
        for day in days:
            for key in (one, other):
                instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=day))
        backfilled = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=again.cursor, evaluation_time=at
        )
        direct = dg.AssetSelection.assets(one, other).downstream().resolve(graph) - {one, other}
        assert backfilled.total_requested == len(direct)


def _with_execution_sets(graph, keys: set[dg.AssetKey]) -> set[dg.AssetKey]:
    """`keys` and the assets that must run with them: linkage is one step (link_entities) whose
    every output is requested when one is, an output whose own parents were not ingested too."""
    return {member for key in keys for member in graph.get(key).execution_set_asset_keys}


def _partition_keys(
    instance: dg.DagsterInstance, partitions: dg.PartitionsDefinition | None, count: int
) -> list[str]:
    assert partitions is not None
    if isinstance(partitions, dg.DynamicPartitionsDefinition) and partitions.name:
        instance.add_dynamic_partitions(partitions.name, ["2026-01-01", "2026-01-02", "2026-01-03"])
    keys = partitions.get_partition_keys(dynamic_partitions_store=instance)
    assert len(keys) >= count
    return list(keys[:count])


def _hold_back_last_deliveries(data: DataDir, holding: Path, count: int) -> list[Path]:
    """Move the feed's last `count` deliveries out of landing/, the latest first."""
    contract = FEED_CONTRACTS[FEED]
    folder = data.landing_feed(contract.department, contract.feed)
    dated = sorted(
        (day, path) for path in folder.iterdir() if (day := contract.landing.day_of(path.name))
    )
    assert len(dated) > count, f"the tiny city delivers {FEED} on more than {count} days"
    held = []
    for _, path in reversed(dated[-count:]):
        target = holding / path.relative_to(data.landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
        held.append(target)
    return held


def _land_and_wait(instance: dg.DagsterInstance, data: DataDir, delivery: Path, log: Path) -> float:
    target = data.landing / "/".join(delivery.parts[-3:])
    assert _rows_from(data.analytics, target.name) == 0
    rows_before = _extract_rows(data)
    dropped = time.time()
    shutil.move(delivery, target)
    os.utime(target, (dropped, dropped))  # arriving now

    deadline = dropped + ROUND_TIMEOUT_SECONDS
    while not _refreshed_since(data, dropped) or _unfinished(instance, dropped):
        assert time.time() < deadline, (
            f"{target.name} did not reach the extracts within {ROUND_TIMEOUT_SECONDS} s:\n"
            + runs_since(instance, dropped)
            + tail(log)
        )
        time.sleep(2)
    refreshed = max(_manifest(data, d).stat().st_mtime for d in DEPARTMENTS)
    seconds = refreshed - dropped

    assert _rows_from(data.analytics, target.name) > 0, "the new day is in the analytics copy"
    assert sum(_extract_rows(data).values()) > sum(rows_before.values()), (
        "the new day's rows are in the extracts"
    )
    # Quiet afterwards: the update was asked for once, and nothing asks for it again.
    time.sleep(QUIET_SECONDS)
    described = runs_since(instance, dropped)
    # Compaction runs on its hourly tick (20 past), not on a delivery: a round that spans the
    # tick sees that run too (it failed CI once), and it is no second request for the update.
    runs = [
        run
        for run in instance.get_runs(filters=dg.RunsFilter(created_after=utc(dropped)))
        if set(run.asset_selection or ()) != {COMPACTION_KEY}
    ]
    by_sensor = [run.tags.get(SENSOR_NAME_TAG, "none: a manual run") for run in runs]
    assert sorted(by_sensor) == sorted([AUTOMATION_SENSOR, LANDING_SENSOR]), described
    assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs), described
    return seconds


def _refreshed_since(data: DataDir, dropped: float) -> bool:
    outputs = [data.analytics, *(_manifest(data, d) for d in DEPARTMENTS)]
    return all(path.exists() and path.stat().st_mtime > dropped for path in outputs)


def _unfinished(instance: dg.DagsterInstance, dropped: float) -> bool:
    return any(
        not run.is_finished
        for run in instance.get_runs(filters=dg.RunsFilter(created_after=utc(dropped)))
    )


def _rows_from(analytics: Path, file_name: str) -> int:
    """Source records of the warehouse that come from the delivered file."""
    with duckdb.connect(str(analytics), read_only=True) as connection:
        row = connection.execute(
            "select count(*) from xref_source_record where source_file like ?", [f"%{file_name}"]
        ).fetchone()
    assert row is not None
    return int(row[0])


def _manifest(data: DataDir, department: str) -> Location:
    return data.extract(department) / "manifest.json"


def _extract_rows(data: DataDir) -> dict[str, int]:
    rows = {}
    for department in DEPARTMENTS:
        document = json.loads(_manifest(data, department).read_text(encoding="utf-8"))
        rows[department] = sum(table["rows"] for table in document["tables"].values())
    return rows
