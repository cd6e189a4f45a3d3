"""The code location loads, and the landing stage inventories what was delivered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import polars as pl
import pytest

from pipelines.definitions import defs
from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.jobs import INGESTION_JOB, LANDING_JOB, PHASE_JOBS
from pipelines.defs.landing.assets import landing_inventory
from pipelines.defs.landing.checks import every_feed_delivered_daily, no_unknown_landing_files
from pipelines.lib.landing.inventory import NoLandingDataError, scan_landing
from pipelines.lib.resources import DATA_DIR_RESOURCE_KEY, DataDirResource

if TYPE_CHECKING:
    from conftest import LandingTree

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_definitions_are_loadable() -> None:
    dg.Definitions.validate_loadable(defs)
    job = defs.resolve_implicit_global_asset_job_def()
    assert dg.AssetKey("landing_inventory") in job.asset_layer.asset_graph.get_all_asset_keys()
    check_names = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {"every_feed_delivered_daily", "no_unknown_landing_files"} <= check_names
    assert DATA_DIR_RESOURCE_KEY in (defs.resources or {})


def test_the_named_jobs_split_the_asset_graph_into_the_runs_of_safecity_run() -> None:
    repository = defs.get_repository_def()
    graph = repository.asset_graph
    jobs = {name: repository.get_job(name) for name in PHASE_JOBS}
    assets = {name: job.asset_layer.executable_asset_keys for name, job in jobs.items()}
    checks = {name: job.asset_layer.asset_graph.asset_check_keys for name, job in jobs.items()}
    # Every asset and every check in exactly one job, each job steps in its own process.
    assert sorted(k for keys in assets.values() for k in keys) == sorted(
        graph.materializable_asset_keys
    )
    assert sorted(k for keys in checks.values() for k in keys) == sorted(graph.asset_check_keys)
    for job in jobs.values():
        assert job.description and job.executor_def.name == dg.in_process_executor.name
    # Ingestion is exactly the partitioned assets; landing needs none of them.
    partitioned = {k for k in graph.materializable_asset_keys if graph.get(k).partitions_def}
    assert assets[INGESTION_JOB] == partitioned
    for key in assets[LANDING_JOB]:
        assert not graph.get_ancestor_asset_keys(key) & partitioned
    # A step that builds several assets (the dbt models) runs in one job.
    for assets_def in graph.assets_defs:
        assert len({name for name, keys in assets.items() if keys & assets_def.keys}) <= 1
    # The landing sensor launches the ingestion job.
    assert repository.get_sensor_def("landing_sensor").job_name == INGESTION_JOB


def test_workspace_yaml_loads_the_code_location(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "DAGSTER_DISABLE_TELEMETRY": "1"}
    env.pop("DAGSTER_HOME", None)
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Validation successful for code location safecity" in result.stdout + result.stderr


def _materialize(root: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [landing_inventory, every_feed_delivered_daily, no_unknown_landing_files],
        resources={DATA_DIR_RESOURCE_KEY: DataDirResource(root=str(root))},
        raise_on_error=False,
    )


def test_landing_inventory_counts_files_days_and_gaps(landing_tree: LandingTree) -> None:
    root = landing_tree.root
    result = _materialize(root)
    assert result.success

    metadata = result.asset_materializations_for_node("landing_inventory")[0].metadata
    assert metadata["feeds"].value == 3
    assert metadata["total_files"].value == 6
    delivered_bytes = sum(
        path.stat().st_size
        for path in (root / "landing").rglob("*")
        if path.is_file() and path.name != "notes.txt"
    )
    assert metadata["total_bytes"].value == delivered_bytes
    assert metadata["unknown_files"].value == 1
    assert "| market_regulation | food_inspections | 3 |" in metadata["inventory"].value

    report = json.loads((root / "reports" / "landing_inventory.json").read_text())
    feeds = {f"{feed['department']}/{feed['feed']}": feed for feed in report["feeds"]}
    assert set(feeds) == set(landing_tree.feeds)
    inspections = feeds["market_regulation/food_inspections"]
    assert (inspections["files"], inspections["first_day"], inspections["last_day"]) == (
        3,
        "2026-03-01",
        "2026-03-04",
    )
    assert inspections["missing_days"] == ["2026-03-03"]
    assert feeds["traffic_police/traffic_accidents"]["missing_days"] == []
    assert feeds["traffic_police/traffic_accidents"]["unknown_files"] == 1
    assert [item["path"] for item in report["unknown_files"]] == [landing_tree.unknown_file]

    frame = pl.read_parquet(root / "reports" / "landing_inventory.parquet")
    row = frame.filter(pl.col("feed") == "food_inspections").row(0, named=True)
    assert row["missing_days"] == [date(2026, 3, 3)]
    assert frame["files"].sum() == 6
    # Written through a temporary file: nothing but the two reports is left behind.
    assert sorted(path.name for path in (root / "reports").iterdir()) == [
        "landing_inventory.json",
        "landing_inventory.parquet",
    ]

    checks = {check.check_name: check for check in result.get_asset_check_evaluations()}
    daily = checks["every_feed_delivered_daily"]
    assert not daily.passed
    assert daily.severity == dg.AssetCheckSeverity.WARN
    assert daily.metadata["missing"].value == {"market_regulation/food_inspections": ["2026-03-03"]}
    assert not checks["no_unknown_landing_files"].passed
    assert checks["no_unknown_landing_files"].metadata["unknown_files"].value == 1


def test_checks_pass_on_complete_deliveries(landing_tree: LandingTree) -> None:
    landing = landing_tree.root / "landing"
    (landing / landing_tree.unknown_file).unlink()
    folder = landing / "market_regulation" / "food_inspections"
    (folder / "food_inspections_20260303.csv").write_text("late\n", encoding="utf-8")
    result = _materialize(landing_tree.root)
    assert result.success
    assert all(check.passed for check in result.get_asset_check_evaluations())


@pytest.mark.parametrize(
    ("relative_path", "reason"),
    [
        # 30 February is no calendar day: the name does not stand for a delivery.
        ("market_regulation/food_inspections/food_inspections_20260230.csv", "does not match"),
        ("market_regulation/food_inspections/food_sampling_20260301.csv", "does not match"),
        ("market_regulation/food_inspections/food_inspections_20260301.txt", "does not match"),
        (
            "urban_management/manhole_covers/jg_20260301.csv",
            "no contract for urban_management/manhole_covers",
        ),
        ("market_regulation/stray.csv", "not inside a <department>/<feed>/ folder"),
        ("market_regulation/food_inspections/old/food_inspections_20260301.csv", "nested below"),
    ],
)
def test_unknown_files_are_reported_with_a_reason(
    landing_tree: LandingTree, relative_path: str, reason: str
) -> None:
    path = landing_tree.root / "landing" / relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("?\n", encoding="utf-8")
    inventory = scan_landing(landing_tree.root / "landing", FEED_CONTRACTS)
    reasons = {item.path: item.reason for item in inventory.unknown_files}
    assert reason in reasons[relative_path]
    assert inventory.total_files == 6  # the stray is never counted as a delivery


def test_missing_or_empty_landing_fails_with_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(NoLandingDataError, match="folder does not exist"):
        scan_landing(tmp_path / "landing", FEED_CONTRACTS)
    (tmp_path / "landing" / "fire_rescue" / "fire_incidents").mkdir(parents=True)
    with pytest.raises(NoLandingDataError, match="no delivery files"):
        scan_landing(tmp_path / "landing", FEED_CONTRACTS)

    result = _materialize(tmp_path)
    assert not result.success
    failure = result.failure_data_for_node("landing_inventory")
    assert failure is not None and failure.user_failure_data is not None
    assert "run `safecity generate` first" in (failure.user_failure_data.description or "")
