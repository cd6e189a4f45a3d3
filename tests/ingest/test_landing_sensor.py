"""The landing sensor: a new file starts its partition's run; a file no contract matches is reported."""

from __future__ import annotations

import json
import shutil

import dagster as dg

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.sensor import build_landing_sensor
from pipelines.lib.resources import DataDirResource

SENSOR = build_landing_sensor(FEED_CONTRACTS)


def evaluate(instance: dg.DagsterInstance, root, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"data_dir": DataDirResource(root=str(root))}
    )
    return SENSOR(context)


def test_new_files_start_their_partitions_and_strays_are_reported(tiny_city, tmp_path):
    root = tmp_path / "data"
    feed = root / "landing" / "fire_rescue" / "fire_inspections"
    shutil.copytree(tiny_city / "landing" / "fire_rescue" / "fire_inspections", feed)
    stray = root / "landing" / "fire_rescue" / "fire_inspections" / "inspections_final_v2.csv"
    stray.write_text("x\n", encoding="utf-8")
    unknown_feed = root / "landing" / "urban_management" / "manhole_covers" / "jg_20261001.csv"
    unknown_feed.parent.mkdir(parents=True)
    unknown_feed.write_text("x\n", encoding="utf-8")

    with dg.DagsterInstance.ephemeral() as instance:
        first = evaluate(instance, root, None)
        requested = sorted(r.partition_key for r in first.run_requests)
        assert requested == [f"2026-10-0{d}" for d in range(1, 8)]
        assert {tuple(r.asset_selection) for r in first.run_requests} == {
            (dg.AssetKey(["bronze", "fire_rescue", "fire_inspections"]),)
        }
        observation = first.asset_events[0]
        reported = observation.metadata["unmatched_files"].value
        assert "inspections_final_v2.csv: name does not match" in reported
        assert "urban_management/manhole_covers/jg_20261001.csv: no contract" in reported

        # Nothing new: nothing requested, nothing reported again.
        second = evaluate(instance, root, first.cursor)
        assert second.run_requests == [] and second.asset_events == []

        # The department re-sends one day: only that partition runs again.
        resent = feed / "fire_inspections_20261003.csv"
        resent.write_bytes(resent.read_bytes() + b"\n")
        third = evaluate(instance, root, second.cursor)
        assert [r.partition_key for r in third.run_requests] == ["2026-10-03"]
        assert json.loads(third.cursor)[
            "fire_rescue/fire_inspections/fire_inspections_20261003.csv"
        ]


def test_first_tick_skips_partitions_already_in_bronze(tiny_city, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(tiny_city / "landing" / "fire_rescue", root / "landing" / "fire_rescue")
    key = dg.AssetKey(["bronze", "fire_rescue", "fire_inspections"])
    with dg.DagsterInstance.ephemeral() as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization(key, partition="2026-10-01"))
        result = evaluate(instance, root, None)
        inspections = sorted(
            r.partition_key for r in result.run_requests if key in r.asset_selection
        )
        assert inspections == [f"2026-10-0{d}" for d in range(2, 8)]


def test_days_outside_the_delivery_window_are_reported_never_requested(tiny_city, tmp_path):
    root = tmp_path / "data"
    feed = root / "landing" / "fire_rescue" / "fire_inspections"
    shutil.copytree(tiny_city / "landing" / "fire_rescue" / "fire_inspections", feed)
    delivered = sorted(feed.iterdir())[0]
    early = feed / "fire_inspections_20251231.csv"
    future = feed / "fire_inspections_20991231.csv"  # decades ahead: no partition to run
    shutil.copy(delivered, early)
    shutil.copy(delivered, future)

    with dg.DagsterInstance.ephemeral() as instance:
        result = evaluate(instance, root, None)
    requested = sorted(r.partition_key for r in result.run_requests)
    assert requested == [f"2026-10-0{d}" for d in range(1, 8)]
    reported = result.asset_events[0].metadata["unmatched_files"].value
    assert (
        "fire_inspections_20251231.csv: outside the delivery window: "
        "2025-12-31 is before the first delivery day 2026-01-01"
    ) in reported
    assert "fire_inspections_20991231.csv: outside the delivery window: 2099-12-31 is after" in (
        reported
    )
