"""An ingestion asset in Dagster: its checks, counts, schema and preview, as the UI shows them;
with the lake local and in moto's S3."""

from __future__ import annotations

import shutil
from datetime import date

import dagster as dg
import polars as pl

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.assets import (
    as_text,
    build_ingestion_asset,
    masked_preview,
    preview_tables,
)
from pipelines.defs.ingest.checks import CHECKS, markdown
from pipelines.lib.ingest.lake import PART, SCHEMA_PART, read_partition
from pipelines.lib.ingest.lake import partition as lake_partition
from pipelines.lib.ingest.summary import (
    UNUSABLE_CONFIDENCE_Z,
    IngestionSummary,
    wilson_lower_bound,
)
from pipelines.lib.resources import DataDirResource

CONTRACT = FEED_CONTRACTS[("emergency_management", "enterprises")]


def test_checks_counts_and_masked_preview(city, tmp_path, storage, day_instance):
    root = tmp_path / "data"
    shutil.copytree(
        city.root / "landing" / "emergency_management", root / "landing" / "emergency_management"
    )
    asset = build_ingestion_asset(CONTRACT)
    result = dg.materialize(
        [asset],
        partition_key="2026-10-01",
        instance=day_instance,
        resources={"data_dir": DataDirResource(root=str(root))},
    )
    assert result.success
    # Written where the storage is (the resource opens the data directory from the environment).
    data = storage.data_dir(root)
    bronze, quarantine = read_partition(lake_partition(data, CONTRACT, date(2026, 10, 1)))
    assert (data.bronze / CONTRACT.department / CONTRACT.feed / SCHEMA_PART / PART).exists()
    assert not (root / "lake").exists() if storage.remote else (root / "lake").is_dir()

    truth = city.records("emergency_management", "enterprises").filter(
        pl.col("delivery_date") == pl.date(2026, 10, 1)
    )
    planted = truth.filter(pl.col("invalid_rule").is_not_null())
    materialization = result.asset_materializations_for_node(asset.node_def.name)[0]
    metadata = materialization.metadata
    assert metadata["landed_rows"].value == truth.height
    assert metadata["quarantined_rows"].value == planted.height == quarantine.height
    assert metadata["dagster/row_count"].value == truth.height - planted.height == bronze.height
    preview = metadata["preview"].value
    assert "legal_rep_id_number" in preview and "***" in preview
    assert not any(
        value in preview
        for value in city.feed("emergency_management", "enterprises")[
            "legal_rep_id_no"
        ].drop_nulls()
    )

    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert set(checks) == set(CHECKS)
    standards = checks["standards_valid"]
    planted_standards = planted.filter(
        pl.col("invalid_rule").is_in(
            [
                "identity_number_check",
                "uscc_check",
                "admin_code_unknown",
                "coordinates_outside_city",
                "date_in_future",
            ]
        )
    )
    assert standards.passed == (planted_standards.height == 0)
    assert standards.metadata["rows_failing_standards"].value == planted_standards.height
    if planted_standards.height:
        assert "sample_failures" in standards.metadata
    rate = checks["quarantine_rate_under_threshold"]
    assert rate.metadata["quarantined"].value == planted.height
    over = planted.height / truth.height > CONTRACT.quarantine_threshold
    assert rate.passed == (not over)
    # Over the threshold by a few rows of a small delivery: a warning; surely over: an error.
    surely = (
        wilson_lower_bound(planted.height, truth.height, UNUSABLE_CONFIDENCE_Z)
        > CONTRACT.quarantine_threshold
    )
    assert rate.metadata["surely_over_threshold"].value == surely
    assert rate.severity == (
        dg.AssetCheckSeverity.WARN if over and not surely else dg.AssetCheckSeverity.ERROR
    )


def test_each_days_preview_shows_its_own_rows_masked(city, tmp_path, storage, day_instance):
    root = tmp_path / "data"
    shutil.copytree(
        city.root / "landing" / "emergency_management", root / "landing" / "emergency_management"
    )
    resources = {"data_dir": DataDirResource(root=str(root))}
    asset = build_ingestion_asset(CONTRACT)
    assert dg.materialize(
        [asset], partition_key="2026-10-01", instance=day_instance, resources=resources
    ).success
    bronze, _ = read_partition(lake_partition(storage.data_dir(root), CONTRACT, date(2026, 10, 1)))
    # Two days' previews of different heights, and a day without one.
    days = {
        date(2026, 10, 1): IngestionSummary(CONTRACT, preview=bronze.head(3)),
        date(2026, 10, 2): IngestionSummary(CONTRACT, preview=bronze.slice(3, 5)),
        date(2026, 10, 3): IngestionSummary(CONTRACT),
    }

    tables = preview_tables(CONTRACT, days)

    assert set(tables) == {date(2026, 10, 1), date(2026, 10, 2)}
    for day, table in tables.items():
        preview = days[day].preview
        assert preview is not None
        # the same table as the day's rows alone give
        assert table == markdown(as_text(masked_preview(CONTRACT, preview)))
        assert len(table.splitlines()) == 2 + preview.height
        others = bronze.filter(
            ~pl.col("enterprise_name").is_in(preview["enterprise_name"].implode())
        )
        assert all(name in table for name in preview["enterprise_name"])
        assert not any(name in table for name in others["enterprise_name"].head(8))
        assert not any(n in table for n in bronze["legal_rep_id_number"].drop_nulls())
