"""The delivery window: a file named for a day before the first delivery day or after tomorrow is
reported by the landing inventory as an error, and never handed to Dagster as a partition."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.partitions import (
    DELIVERY_DAYS,
    FIRST_DELIVERY_DAY,
    current_delivery_window,
    register_delivery_days,
)
from pipelines.defs.landing.assets import landing_inventory
from pipelines.defs.landing.checks import deliveries_in_window
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.lake import partition
from pipelines.lib.landing.inventory import scan_landing
from pipelines.lib.landing.pending import days_to_ingest, landed_days
from pipelines.lib.landing.window import DeliveryWindow, delivery_window
from pipelines.lib.resources import DATA_DIR_RESOURCE_KEY, DataDirResource

if TYPE_CHECKING:
    from conftest import LandingTree

WINDOW = DeliveryWindow(
    date(2026, 1, 1), date(2026, 12, 4), "first_delivery_day in contracts/city.yaml"
)
INSPECTIONS = "market_regulation/food_inspections"


def test_the_window_ends_tomorrow_in_the_city() -> None:
    # 20:00 UTC on 3 December is 04:00 on 4 December in China Standard Time.
    window = delivery_window(
        date(2026, 1, 1),
        "Asia/Shanghai",
        first_day_setting="X",
        now=datetime(2026, 12, 3, 20, 0, tzinfo=UTC),
    )
    assert (window.first, window.last) == (date(2026, 1, 1), date(2026, 12, 5))
    assert date(2026, 1, 1) in window and date(2026, 12, 5) in window
    assert date(2025, 12, 31) not in window and date(2026, 12, 6) not in window
    assert window.why_outside(date(2026, 6, 1)) is None
    assert window.why_outside(date(2025, 12, 31)) == (
        "2025-12-31 is before the first delivery day 2026-01-01"
    )
    assert window.why_outside(date(2099, 1, 1)).startswith(
        "2099-01-01 is after tomorrow (2026-12-05)"
    )


def test_the_window_bounds_the_partitions() -> None:
    window = current_delivery_window()
    assert window.first == date.fromisoformat(FIRST_DELIVERY_DAY)
    before = date.fromordinal(window.first.toordinal() - 1)
    after = date.fromordinal(window.last.toordinal() + 1)
    with dg.DagsterInstance.ephemeral() as instance:
        register_delivery_days(instance, [before, window.first, window.last, after], window)
        keys = DELIVERY_DAYS.get_partition_keys(dynamic_partitions_store=instance)
    # The days delivered inside the window and every day between them; none outside it.
    assert keys[0] == window.first.isoformat() and keys[-1] == window.last.isoformat()
    assert len(keys) == (window.last - window.first).days + 1
    assert before.isoformat() not in keys and after.isoformat() not in keys


def _deliver(root: Path, relative: str) -> Path:
    path = root / "landing" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("not read\n", encoding="utf-8")
    return path


def test_pending_days_leave_out_days_outside_the_window(tmp_path: Path) -> None:
    data = DataDir(tmp_path)
    for day in ("20251231", "20261001", "20990101"):
        _deliver(tmp_path, f"{INSPECTIONS}/food_inspections_{day}.csv")
    contracts = FEED_CONTRACTS.values()
    assert days_to_ingest(data, contracts, WINDOW) == [date(2026, 10, 1)]
    assert landed_days(data, contracts, WINDOW) == [date(2026, 10, 1)]
    # Without a window every day a name stands for counts (what the inventory reports from).
    assert landed_days(data, contracts) == [date(2025, 12, 31), date(2026, 10, 1), date(2099, 1, 1)]

    # Once ingested, the day is no longer pending; the files outside never are.
    bronze = partition(
        data, FEED_CONTRACTS[("market_regulation", "food_inspections")], date(2026, 10, 1)
    ).bronze
    bronze.parent.mkdir(parents=True)
    bronze.write_bytes(b"")
    future = os.stat(bronze).st_mtime + 10
    os.utime(bronze, (future, future))
    assert days_to_ingest(data, contracts, WINDOW) == []


def test_the_inventory_reports_each_file_outside_the_window_as_an_error(
    landing_tree: LandingTree,
) -> None:
    root = landing_tree.root
    early = f"{INSPECTIONS}/food_inspections_20251231.csv"
    late = f"{INSPECTIONS}/food_inspections_20990101.csv"
    for relative in (early, late):
        _deliver(root, relative)
    # Left out of the feed's deliveries: no gap of decades, the same files and days as before.
    inventory = scan_landing(root / "landing", FEED_CONTRACTS, WINDOW)
    inspections = next(f for f in inventory.feeds if f.feed == "food_inspections")
    assert (inspections.files, inspections.first_day, inspections.last_day) == (
        3,
        date(2026, 3, 1),
        date(2026, 3, 4),
    )
    assert inspections.missing_days == (date(2026, 3, 3),)
    assert inspections.files_outside_window == 2
    assert [(o.path, o.day) for o in inventory.outside_window] == [
        (early, date(2025, 12, 31)),
        (late, date(2099, 1, 1)),
    ]

    result = dg.materialize(
        [landing_inventory, deliveries_in_window],
        resources={DATA_DIR_RESOURCE_KEY: DataDirResource(root=str(root))},
        raise_on_error=False,
    )
    assert result.success
    metadata = result.asset_materializations_for_node("landing_inventory")[0].metadata
    assert metadata["files_outside_window"].value == 2
    assert metadata["total_files"].value == 6
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    window = current_delivery_window()
    lines = check.description.splitlines()
    assert lines[0] == (
        f"2 delivery file(s) named for a day outside {window.first} .. {window.last}, left alone:"
    )
    assert lines[1] == (
        f"landing/{early}: 2025-12-31 is before the first delivery day {FIRST_DELIVERY_DAY}"
    )
    assert lines[2].startswith(f"landing/{late}: 2099-01-01 is after tomorrow ({window.last})")
    assert lines[3].startswith("rename each file to the day it was delivered for")
    assert "first_delivery_day in " in lines[3]
    assert check.metadata["files"].value == [
        {"path": early, "day": "2025-12-31"},
        {"path": late, "day": "2099-01-01"},
    ]
    report = json.loads((root / "reports" / "landing_inventory.json").read_text())
    assert [item["path"] for item in report["outside_window"]] == [early, late]


def test_the_check_passes_when_every_delivery_is_in_the_window(
    landing_tree: LandingTree,
) -> None:
    result = dg.materialize(
        [landing_inventory, deliveries_in_window],
        resources={DATA_DIR_RESOURCE_KEY: DataDirResource(root=str(landing_tree.root))},
    )
    (check,) = result.get_asset_check_evaluations()
    assert check.passed and check.metadata["files_outside_window"].value == 0
