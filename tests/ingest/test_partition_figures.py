"""Issue 18: a step over several delivery days records each day with its own figures, and the
checks judge every day the lake holds, so re-running one good day cannot hide another day's
quarantined rows. Local lake and moto's S3."""

from __future__ import annotations

import shutil
from datetime import date

import dagster as dg
import polars as pl

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.assets import build_ingestion_asset
from pipelines.defs.ingest.partitions import current_delivery_window, register_delivery_days
from pipelines.lib.ingest.lake import partition, read_partition
from pipelines.lib.resources import DataDirResource

CONTRACT = FEED_CONTRACTS[("traffic_police", "traffic_accidents")]
RATE_CHECK = "quarantine_rate_under_threshold"


def _days(city) -> list[str]:
    files = city.files(CONTRACT.department, CONTRACT.feed)
    return [date.fromisoformat(f.stem.rsplit("_", 1)[1]).isoformat() for f in files]


def _materialize(asset, instance, root, first: str, last: str) -> dg.ExecuteInJobResult:
    result = dg.materialize(
        [asset],
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        },
        resources={"data_dir": DataDirResource(root=str(root))},
    )
    assert result.success
    return result


def test_each_day_its_own_figures_and_a_rerun_keeps_a_failing_check_failing(
    city, tmp_path, storage
) -> None:
    root = tmp_path / "data"
    landing = root / "landing" / CONTRACT.department / CONTRACT.feed
    shutil.copytree(city.root / "landing" / CONTRACT.department / CONTRACT.feed, landing)
    truth = city.records(CONTRACT.department, CONTRACT.feed)
    per_day = {
        day.isoformat(): (rows.height, rows.filter(pl.col("invalid_rule").is_not_null()).height)
        for (day,), rows in truth.group_by("delivery_date")
    }
    days = _days(city)
    clean = [d for d in days if per_day[d][1] == 0]
    assert clean and len(clean) < len(days), per_day  # good days and days with bad rows
    landed, quarantined = sum(n for n, _ in per_day.values()), sum(q for _, q in per_day.values())
    assert quarantined / landed > CONTRACT.quarantine_threshold  # the feed fails the check

    asset = build_ingestion_asset(CONTRACT)
    instance = dg.DagsterInstance.ephemeral()
    # The delivery days are partitions once registered, as `safecity run` does before a run.
    register_delivery_days(
        instance, [date.fromisoformat(d) for d in days], current_delivery_window()
    )
    whole = _materialize(asset, instance, root, days[0], days[-1])
    data = storage.data_dir(root)
    materializations = whole.asset_materializations_for_node(asset.node_def.name)
    assert sorted(m.partition for m in materializations) == days
    for m in materializations:
        bronze, quarantine = read_partition(
            partition(data, CONTRACT, date.fromisoformat(m.partition))
        )
        assert m.metadata["landed_rows"].value == per_day[m.partition][0], m.partition
        assert m.metadata["quarantined_rows"].value == quarantine.height == per_day[m.partition][1]
        assert m.metadata["dagster/row_count"].value == bronze.height
        assert m.metadata["delivery_days"].value == 1
    rate = {c.check_name: c for c in whole.get_asset_check_evaluations()}[RATE_CHECK]
    assert not rate.passed
    assert rate.metadata["landed"].value == landed
    assert rate.metadata["quarantined"].value == quarantined

    # One clean day again: its own figures, and the check still sees the other days' rows.
    again = _materialize(asset, instance, root, clean[0], clean[0])
    (m,) = again.asset_materializations_for_node(asset.node_def.name)
    assert (m.partition, m.metadata["quarantined_rows"].value) == (clean[0], 0)
    rate = {c.check_name: c for c in again.get_asset_check_evaluations()}[RATE_CHECK]
    assert not rate.passed, rate.metadata
    assert rate.metadata["quarantined"].value == quarantined
    assert rate.metadata["delivery_days"].value == len(days)
    latest = instance.get_latest_materialization_event(asset.key)
    assert latest is not None and latest.asset_materialization.partition == clean[0]

    # A day whose file is gone is not materialised again (a gap is never filled with a guess):
    # its latest materialisation is still the one that carried its own figures.
    bad_day = next(d for d in days if per_day[d][1])
    (landing / CONTRACT.landing.filename(date.fromisoformat(bad_day))).unlink()
    gone = _materialize(asset, instance, root, bad_day, bad_day)
    assert gone.asset_materializations_for_node(asset.node_def.name) == []
    (record,) = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset.key, asset_partitions=[bad_day]), limit=1
    ).records
    kept = record.asset_materialization
    assert kept is not None
    assert kept.metadata["quarantined_rows"].value == per_day[bad_day][1]
