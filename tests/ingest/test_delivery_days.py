"""Delivery day partitions: the span of days the city delivered for, in date order, extended as days
land (by the landing sensor, with no reload), so a day a feed did not deliver is a gap."""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.

import shutil
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import dagster as dg

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.assets import bronze_key, build_ingestion_asset
from pipelines.defs.ingest.partitions import (
    DELIVERY_DAYS,
    current_delivery_window,
    register_delivered_days,
    register_delivery_days,
    span_change,
)
from pipelines.lib.data_dir import DataDir
from pipelines.lib.landing.window import DeliveryWindow
from pipelines.lib.resources import DataDirResource

WINDOW = DeliveryWindow(date(2026, 1, 1), date(2026, 12, 4))
INSPECTIONS = FEED_CONTRACTS[("fire_rescue", "fire_inspections")]


@cache
def code_location() -> dg.Definitions:
    """The code location as the daemon loads it: a tick's run requests are checked against its
    jobs and partitions."""
    from pipelines.definitions import defs

    return defs


def days(first: int, last: int) -> list[str]:
    return [f"2026-10-{d:02d}" for d in range(first, last + 1)]


def keys(instance: dg.DagsterInstance) -> list[str]:
    return list(DELIVERY_DAYS.get_partition_keys(dynamic_partitions_store=instance))


def test_the_span_runs_from_the_first_delivered_day_to_the_last_with_every_day_between() -> None:
    # Nothing delivered: no partition at all (no calendar from a constant).
    assert span_change([], [], WINDOW).added == []
    delivered = [date(2026, 10, 5), date(2026, 10, 2)]
    assert span_change([], delivered, WINDOW).append == days(2, 5)
    # A later day extends the span at its end; a late delivery inside it changes nothing.
    assert span_change(days(2, 5), [date(2026, 10, 7)], WINDOW).append == days(6, 7)
    assert span_change(days(2, 5), [date(2026, 10, 3)], WINDOW).added == []
    # A day older than every partition: the span is rebuilt in date order.
    older = span_change(days(2, 5), [date(2026, 9, 30)], WINDOW)
    assert older.append == [] and older.rebuild == ["2026-09-30", "2026-10-01", *days(2, 5)]
    # Days outside the delivery window never become partitions; a key that is no day goes.
    assert span_change([], [date(2025, 12, 31), date(2099, 1, 1)], WINDOW).added == []
    by_hand = span_change(["2026-10-02", "typo"], [], WINDOW)
    assert by_hand.rebuild == ["2026-10-02"] and by_hand.dropped == ["typo"]


def test_a_rebuild_keeps_every_materialisation_and_ranges_follow_the_dates() -> None:
    key = bronze_key(INSPECTIONS)
    with dg.DagsterInstance.ephemeral() as instance:
        register_delivery_days(instance, [date(2026, 10, 2), date(2026, 10, 4)], WINDOW)
        for day in ("2026-10-02", "2026-10-04"):
            instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=day))
        # A late delivery for a day before the first: inserted in its place, not at the end.
        register_delivery_days(instance, [date(2026, 10, 1)], WINDOW)
        assert keys(instance) == days(1, 4)
        assert instance.get_materialized_partitions(key) == {"2026-10-02", "2026-10-04"}
        # A single-run backfill over a range (the UI's, or `safecity run`'s tags) takes its days
        # in date order, the late one first.
        result = RANGE_JOB.execute_in_process(
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": "2026-10-01",
                "dagster/asset_partition_range_end": "2026-10-03",
            },
        )
        (first, *_) = result.asset_materializations_for_node("seen")
        assert first.metadata["partition_keys"].value == ",".join(days(1, 3))


@dg.asset(partitions_def=DELIVERY_DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def seen(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"partition_keys": ",".join(context.partition_keys)})


RANGE_JOB = dg.Definitions(assets=[seen]).resolve_implicit_global_asset_job_def()


def _one_feed(tiny_city: Path, root: Path, *, leave_out: str | None = None) -> Path:
    feed = root / "landing" / INSPECTIONS.department / INSPECTIONS.feed
    shutil.copytree(tiny_city / "landing" / INSPECTIONS.department / INSPECTIONS.feed, feed)
    if leave_out is not None:
        (feed / INSPECTIONS.landing.filename(date.fromisoformat(leave_out))).unlink()
    return feed


def test_a_range_run_materialises_the_days_delivered_and_leaves_a_gap(tiny_city, tmp_path):
    root = tmp_path / "data"
    _one_feed(tiny_city, root, leave_out="2026-10-03")
    data = DataDir(root, lake_root=None, extracts_root=None)
    job = dg.Definitions(
        assets=[build_ingestion_asset(INSPECTIONS)],
        resources={"data_dir": DataDirResource(root=str(root))},
    ).resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        register_delivered_days(instance, data, FEED_CONTRACTS.values(), current_delivery_window())
        # The feed's days, its missing 3 October included: a gap, not the end of the span.
        assert keys(instance) == days(1, 7)
        result = job.execute_in_process(
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": "2026-10-01",
                "dagster/asset_partition_range_end": "2026-10-07",
            },
        )
        assert result.success
        materialized = instance.get_materialized_partitions(bronze_key(INSPECTIONS))
    assert sorted(materialized) == [d for d in days(1, 7) if d != "2026-10-03"]


def _tick(instance: dg.DagsterInstance, root: Path, cursor: str | None):  # SensorExecutionData
    """One tick as the daemon runs it: evaluated (its run requests checked against the
    partitions, the tick's own additions included), then its partitions added."""
    defs = code_location()
    context = dg.build_sensor_context(
        instance=instance,
        instance_ref=instance.get_ref(),  # as the daemon's: run requests resolve through it
        cursor=cursor,
        resources={"data_dir": DataDirResource(root=str(root))},
        definitions=defs,
    )
    tick = defs.resolve_sensor_def("landing_sensor").evaluate_tick(context)
    for request in tick.dynamic_partitions_requests or []:
        assert isinstance(request, dg.AddDynamicPartitionsRequest)
        instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
    return tick


def test_the_sensor_makes_each_landed_day_a_partition(tiny_city, tmp_path):
    root = tmp_path / "data"
    feed = _one_feed(tiny_city, root)
    held = tmp_path / "held"
    held.mkdir()
    for day in ("2026-10-01", "2026-10-07"):
        name = INSPECTIONS.landing.filename(date.fromisoformat(day))
        shutil.move(feed / name, held / name)

    with dg.instance_for_test() as instance:
        first = _tick(instance, root, None)
        assert keys(instance) == days(2, 6)
        assert sorted(r.partition_key for r in first.run_requests) == days(2, 6)

        # The next day lands: the span grows by it, its run is requested in the same tick.
        name = INSPECTIONS.landing.filename(date(2026, 10, 7))
        shutil.move(held / name, feed / name)
        later = _tick(instance, root, first.cursor)
        assert [r.partition_key for r in later.run_requests] == ["2026-10-07"]
        assert keys(instance) == days(2, 7)

        # A late delivery for a day before the first: in its place, the bar stays a calendar.
        name = INSPECTIONS.landing.filename(date(2026, 10, 1))
        shutil.move(held / name, feed / name)
        late = _tick(instance, root, later.cursor)
        assert [r.partition_key for r in late.run_requests] == ["2026-10-01"]
        assert keys(instance) == days(1, 7)

        # Nothing new: the partitions stay as they are.
        assert _tick(instance, root, late.cursor).dynamic_partitions_requests == []
        assert keys(instance) == days(1, 7)


def test_no_day_in_the_future_or_before_the_first_delivery_day_is_a_partition(tiny_city, tmp_path):
    root = tmp_path / "data"
    feed = _one_feed(tiny_city, root)
    delivered = sorted(feed.iterdir())[0]
    window = current_delivery_window()
    for day in (window.first - timedelta(days=1), window.last + timedelta(days=1)):
        shutil.copy(delivered, feed / INSPECTIONS.landing.filename(day))
    with dg.instance_for_test() as instance:
        _tick(instance, root, None)
        assert keys(instance) == days(1, 7)
