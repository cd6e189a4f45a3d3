"""An ingestion asset in Dagster: its checks, counts, schema and preview, as the UI shows them."""

from __future__ import annotations

import shutil

import dagster as dg
import polars as pl

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.assets import build_ingestion_asset
from pipelines.defs.ingest.checks import CHECKS
from pipelines.lib.resources import DataDirResource

CONTRACT = FEED_CONTRACTS[("emergency_management", "enterprises")]


def test_checks_counts_and_masked_preview(city, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(city.root / "landing" / "emergency_management", root / "landing" / "emergency_management")
    asset = build_ingestion_asset(CONTRACT)
    result = dg.materialize(
        [asset], partition_key="2026-10-01", resources={"data_dir": DataDirResource(root=str(root))}
    )
    assert result.success

    truth = city.records("emergency_management", "enterprises").filter(pl.col("delivery_date") == pl.date(2026, 10, 1))
    planted = truth.filter(pl.col("invalid_rule").is_not_null())
    materialization = result.asset_materializations_for_node(asset.node_def.name)[0]
    metadata = materialization.metadata
    assert metadata["landed_rows"].value == truth.height
    assert metadata["quarantined_rows"].value == planted.height
    assert metadata["dagster/row_count"].value == truth.height - planted.height
    preview = metadata["preview"].value
    assert "legal_rep_id_number" in preview and "***" in preview
    assert not any(value in preview for value in city.feed("emergency_management", "enterprises")["legal_rep_id_no"].drop_nulls())

    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert set(checks) == set(CHECKS)
    standards = checks["standards_valid"]
    planted_standards = planted.filter(
        pl.col("invalid_rule").is_in(["identity_number_check", "uscc_check", "admin_code_unknown", "coordinates_outside_city", "date_in_future"])
    )
    assert standards.passed == (planted_standards.height == 0)
    assert standards.metadata["rows_failing_standards"].value == planted_standards.height
    if planted_standards.height:
        assert "sample_failures" in standards.metadata
    rate = checks["quarantine_rate_under_threshold"]
    assert rate.severity == dg.AssetCheckSeverity.ERROR
    assert rate.metadata["quarantined"].value == planted.height
    assert rate.passed == (planted.height / truth.height <= CONTRACT.quarantine_threshold)
