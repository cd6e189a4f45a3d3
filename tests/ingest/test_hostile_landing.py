"""Hostile landing entries (issue 23): a file name that is not UTF-8, a day outside the delivery
window, a symbolic link, a named pipe, a folder where a file is expected, a path leaving landing.

Each is reported by the landing inventory with its reason, never read by ingestion (the run's
assets, the one-day API, the sensor), and every other delivery beside it is still ingested with
its rows accounted for.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.sensor import build_landing_sensor, landing_entries
from pipelines.defs.landing.assets import landing_inventory
from pipelines.defs.landing.checks import (
    deliveries_in_window,
    no_refused_landing_files,
    no_unknown_landing_files,
)
from pipelines.lib.contracts import FeedContract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.ingest import Ingested, ingest_deliveries, ingest_delivery, landing_file
from pipelines.lib.ingest.lake import partition
from pipelines.lib.landing.files import RefusedFile, opened_delivery, shown_name
from pipelines.lib.landing.inventory import read_inventory, scan_landing, write_inventory
from pipelines.lib.landing.pending import days_to_ingest, landed_days
from pipelines.lib.landing.window import DeliveryWindow
from pipelines.lib.resources import DATA_DIR_RESOURCE_KEY, DataDirResource
from tests.ingest.deliveries import (
    DAY,
    INSPECTION_HEADER,
    NEXT_DAY,
    accounted,
    csv_text,
    deliver,
    inspection,
)

WINDOW = DeliveryWindow(date(2026, 1, 1), date(2026, 12, 4), "first_delivery_day in city.yaml")
MARKER = "SECRET-MARKER-not-a-delivery"
INSPECTIONS = "market_regulation/food_inspections"
ROWS = 3


def _valid(contract: FeedContract) -> bytes:
    text = csv_text([inspection(n) for n in range(1, ROWS + 1)], INSPECTION_HEADER)
    return text.encode(contract.landing.encoding)


def _secret(tmp_path: Path, contract: FeedContract) -> Path:
    """A file outside the data directory, shaped like a delivery, holding a marker."""
    secret = tmp_path / "outside" / "secret.csv"
    secret.parent.mkdir()
    row = inspection(1, 经营者名称=MARKER)
    secret.write_bytes(csv_text([row], INSPECTION_HEADER).encode(contract.landing.encoding))
    return secret


def _lake_holds(data: DataDir, text: str) -> bool:
    """Whether any Parquet file of the lake (bronze or quarantine), read back, holds `text`."""
    for path in data.lake.rglob("*.parquet"):
        with path.open("rb") as handle:
            frame = pl.read_parquet(handle)
        if (
            frame.height
            and frame.select(
                pl.any_horizontal(pl.all().cast(pl.String).str.contains(text, literal=True))
            )
            .to_series()
            .any()
        ):
            return True
    return False


def _ingest_days(
    data: DataDir, contract: FeedContract, connection, days: list[date]
) -> dict[date, Ingested | Exception]:
    return {
        outcome.day if isinstance(outcome, Ingested) else day: outcome
        for day, outcome in zip(
            days, ingest_deliveries(data, contract, days, connection), strict=True
        )
    }


def _inventory(data: DataDir):
    return scan_landing(data.landing, FEED_CONTRACTS, WINDOW)


def _refused(data: DataDir) -> dict[str, str]:
    return {item.path: item.reason for item in _inventory(data).refused_files}


# --- file names that are not UTF-8 ------------------------------------------------------------


def test_a_file_name_that_is_not_utf8_is_refused_and_shown_with_escapes(
    data: DataDir, food_inspections: FeedContract, tmp_path: Path
) -> None:
    deliver(data, food_inspections, _valid(food_inspections))
    folder = os.fsencode(data.landing / INSPECTIONS)
    with open(folder + b"/food_inspections_\xff\xfe.csv", "wb") as handle:
        handle.write(b"not read\n")

    inventory = _inventory(data)
    shown = f"{INSPECTIONS}/food_inspections_\\xff\\xfe.csv"
    assert [(r.path, r.reason.split(" (")[0]) for r in inventory.refused_files] == [
        (shown, "its name is not valid UTF-8")
    ]
    inspections = next(f for f in inventory.feeds if f.feed == "food_inspections")
    assert (inspections.files, inspections.refused_files) == (1, 1)
    # Every writer copes: the JSON and Parquet reports, read back the same.
    _, json_path = write_inventory(inventory, tmp_path / "reports")
    text = json_path.read_bytes().decode("utf-8")
    assert json.loads(text)["refused_files"][0]["path"] == shown
    assert read_inventory(json_path).refused_files == inventory.refused_files
    # The day next to it is still pending, and ingested.
    assert days_to_ingest(data, [food_inspections], WINDOW) == [DAY]


def test_a_department_folder_whose_name_is_not_utf8_is_refused(data: DataDir) -> None:
    folder = os.fsencode(data.landing) + b"/\xe5\x8c"
    os.makedirs(folder + b"/feed")
    with open(folder + b"/feed/x.csv", "wb") as handle:
        handle.write(b"x\n")
    (data.landing / INSPECTIONS).mkdir(parents=True)
    deliver(data, FEED_CONTRACTS[("market_regulation", "food_inspections")], b"x\n")

    assert list(_refused(data)) == ["\\xe5\\x8c"]


def test_shown_names_are_one_line_of_text() -> None:
    assert shown_name(os.fsdecode(b"a\xff\nb.csv")) == "a\\xff\\x0ab.csv"
    assert shown_name("环境_20261001.csv") == "环境_20261001.csv"
    assert shown_name("\ud800") == "\\ud800"  # a lone surrogate no file system gave


# --- days outside the delivery window ---------------------------------------------------------


@pytest.mark.parametrize("named", ["20900101", "19000101"])
def test_a_day_far_outside_the_window_is_reported_and_never_ingested(
    data: DataDir, food_inspections: FeedContract, named: str
) -> None:
    deliver(data, food_inspections, _valid(food_inspections))
    far = data.landing / INSPECTIONS / f"food_inspections_{named}.csv"
    far.write_bytes(_valid(food_inspections))

    inventory = _inventory(data)
    ((outside,),) = [inventory.outside_window]
    assert outside.path == f"{INSPECTIONS}/food_inspections_{named}.csv"
    assert outside.reason.startswith(f"{named[:4]}-01-01 is ")
    inspections = next(f for f in inventory.feeds if f.feed == "food_inspections")
    # No gap of decades: the feed's days are the days in the window.
    assert (inspections.first_day, inspections.last_day, inspections.missing_days) == (DAY, DAY, ())
    # Never a partition: the run's day range and the sensor leave it out.
    assert days_to_ingest(data, [food_inspections], WINDOW) == [DAY]
    assert landed_days(data, [food_inspections], WINDOW) == [DAY]


# --- symbolic links, pipes, folders -----------------------------------------------------------


def test_a_symlink_to_a_file_outside_the_data_directory_is_never_read(
    data: DataDir, food_inspections: FeedContract, connection, tmp_path: Path
) -> None:
    deliver(data, food_inspections, _valid(food_inspections))
    link = landing_file(data, food_inspections, NEXT_DAY)
    link.symlink_to(_secret(tmp_path, food_inspections))

    relative = f"{INSPECTIONS}/{link.name}"
    assert _refused(data) == {
        relative: f"a symbolic link (to {link.resolve()}): landing never follows links"
    }
    assert days_to_ingest(data, [food_inspections], WINDOW) == [DAY]
    # Even when asked for its day, ingestion refuses it and goes on with the other day.
    outcomes = _ingest_days(data, food_inspections, connection, [DAY, NEXT_DAY])
    assert isinstance(outcomes[NEXT_DAY], RefusedFile)
    assert str(outcomes[NEXT_DAY]).startswith(f"landing/{relative}: a symbolic link")
    bronze, _quarantine = accounted(outcomes[DAY], ROWS)
    assert bronze.height == ROWS
    target = partition(data, food_inspections, NEXT_DAY)
    assert not target.bronze.exists() and not target.quarantine.exists()
    assert not _lake_holds(data, MARKER)
    # The one-day API refuses it too.
    with pytest.raises(RefusedFile, match="a symbolic link"):
        ingest_delivery(data, food_inspections, NEXT_DAY, connection)


def test_a_symlink_to_a_file_inside_the_data_directory_is_refused(
    data: DataDir, food_inspections: FeedContract, connection
) -> None:
    delivered = deliver(data, food_inspections, _valid(food_inspections))
    link = landing_file(data, food_inspections, NEXT_DAY)
    link.symlink_to(delivered.name)  # relative, to the delivery beside it

    assert list(_refused(data)) == [f"{INSPECTIONS}/{link.name}"]
    with pytest.raises(RefusedFile, match="a symbolic link"):
        ingest_delivery(data, food_inspections, NEXT_DAY, connection)


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(
    data: DataDir, food_inspections: FeedContract, connection
) -> None:
    deliver(data, food_inspections, _valid(food_inspections))
    pipe = landing_file(data, food_inspections, NEXT_DAY)
    os.mkfifo(pipe)

    assert _refused(data) == {
        f"{INSPECTIONS}/{pipe.name}": "a named pipe (FIFO), not a regular file"
    }
    assert days_to_ingest(data, [food_inspections], WINDOW) == [DAY]
    outcome: list[object] = []
    reader = threading.Thread(
        target=lambda: outcome.append(_ingest_days(data, food_inspections, connection, [NEXT_DAY])),
        daemon=True,
    )
    reader.start()
    reader.join(timeout=30)
    assert not reader.is_alive(), "ingestion waits on the pipe"
    (outcomes,) = outcome
    assert isinstance(outcomes[NEXT_DAY], RefusedFile)


def test_a_folder_where_a_delivery_file_is_expected_is_refused(
    data: DataDir, food_inspections: FeedContract, connection
) -> None:
    deliver(data, food_inspections, _valid(food_inspections))
    folder = landing_file(data, food_inspections, NEXT_DAY)
    folder.mkdir()
    (folder / "inner.csv").write_bytes(_valid(food_inspections))

    assert _refused(data) == {
        f"{INSPECTIONS}/{folder.name}": "a folder where a delivery file is expected"
    }
    assert days_to_ingest(data, [food_inspections], WINDOW) == [DAY]
    with pytest.raises(RefusedFile, match="a folder where a delivery file is expected"):
        ingest_delivery(data, food_inspections, NEXT_DAY, connection)


def test_a_linked_feed_or_department_folder_is_never_looked_into(
    data: DataDir, food_inspections: FeedContract, connection, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere" / "food_inspections"
    elsewhere.mkdir(parents=True)
    (elsewhere / food_inspections.landing.filename(DAY)).write_bytes(_valid(food_inspections))
    (data.landing / "market_regulation").mkdir(parents=True)
    (data.landing / INSPECTIONS).symlink_to(elsewhere, target_is_directory=True)
    (data.landing / "fire_rescue").symlink_to(elsewhere.parent, target_is_directory=True)
    enterprises = data.landing / "emergency_management" / "enterprises"
    enterprises.mkdir(parents=True)
    (enterprises / "enterprises_20260302.csv").write_text("x\n", encoding="utf-8")

    refused = _refused(data)
    assert set(refused) == {"fire_rescue", INSPECTIONS}
    assert all(reason.startswith("a symbolic link (to ") for reason in refused.values())
    assert days_to_ingest(data, [food_inspections], WINDOW) == []
    with pytest.raises(RefusedFile, match="food_inspections is not a real folder"):
        ingest_delivery(data, food_inspections, DAY, connection)


def test_a_path_leaving_the_landing_folder_is_refused(data: DataDir, tmp_path: Path) -> None:
    data.landing.mkdir(parents=True)
    (tmp_path / "outside.csv").write_text(MARKER, encoding="utf-8")
    for relative in ("../outside.csv", "a/../../outside.csv", "/etc/passwd", "a//b"):
        with (
            pytest.raises(RefusedFile, match="leaves the landing folder"),
            opened_delivery(data.landing, relative),
        ):
            pass


def test_a_link_swapped_in_after_the_check_is_not_followed(
    data: DataDir, food_inspections: FeedContract, tmp_path: Path
) -> None:
    delivered = deliver(data, food_inspections, _valid(food_inspections))
    secret = _secret(tmp_path, food_inspections)
    relative = f"{INSPECTIONS}/{delivered.name}"
    with opened_delivery(data.landing, relative) as readable:
        swapped = delivered.with_suffix(".swap")
        swapped.symlink_to(secret)
        os.replace(swapped, delivered)  # the delivery is now a link to the secret
        assert readable.name == delivered.name
        assert readable.read_bytes() == _valid(food_inspections)
    assert delivered.is_symlink()


def test_every_report_of_the_landing_inventory_names_each_hostile_entry(
    food_inspections: FeedContract, tmp_path: Path
) -> None:
    """The asset, its checks and its Dagster metadata cope with every kind at once."""
    data = DataDir(tmp_path / "data")
    deliver(data, food_inspections, _valid(food_inspections))
    folder = data.landing / INSPECTIONS
    with open(os.fsencode(folder) + b"/food_inspections_\xff.csv", "wb") as handle:
        handle.write(b"x\n")
    (folder / "food_inspections_20261005.csv").symlink_to("/etc/passwd")
    os.mkfifo(folder / "food_inspections_20261006.csv")
    shutil.copy(
        folder / food_inspections.landing.filename(DAY), folder / "food_inspections_20900101.csv"
    )

    result = dg.materialize(
        [
            landing_inventory,
            no_refused_landing_files,
            no_unknown_landing_files,
            deliveries_in_window,
        ],
        resources={DATA_DIR_RESOURCE_KEY: DataDirResource(root=str(data.root))},
        raise_on_error=False,
    )
    assert result.success
    metadata = result.asset_materializations_for_node("landing_inventory")[0].metadata
    assert (metadata["total_files"].value, metadata["refused_files"].value) == (1, 3)
    checks = {check.check_name: check for check in result.get_asset_check_evaluations()}
    refused = checks["no_refused_landing_files"]
    assert not refused.passed and refused.severity == dg.AssetCheckSeverity.ERROR
    lines = refused.description.splitlines()
    assert lines == [
        "3 landing entries refused, never read:",
        f"landing/{INSPECTIONS}/food_inspections_20261005.csv: a symbolic link (to /etc/passwd): "
        "landing never follows links",
        f"landing/{INSPECTIONS}/food_inspections_20261006.csv: a named pipe (FIFO), not a regular "
        "file",
        f"landing/{INSPECTIONS}/food_inspections_\\xff.csv: its name is not valid UTF-8 (its "
        "bytes are shown as \\x escapes): rename it as its contract says",
        lines[-1],
    ]
    assert lines[-1].startswith("deliver each file itself")
    assert checks["no_unknown_landing_files"].passed
    window = checks["deliveries_in_window"]
    assert not window.passed and "food_inspections_20900101.csv" in window.description
    report = json.loads((data.root / "reports" / "landing_inventory.json").read_text("utf-8"))
    assert [item["path"] for item in report["refused_files"]] == [
        line.removeprefix("landing/").split(": ")[0] for line in lines[1:-1]
    ]


# --- the sensor -------------------------------------------------------------------------------


def test_the_sensor_reports_what_landing_refuses_and_requests_no_run_for_it(
    food_inspections: FeedContract, tmp_path: Path
) -> None:
    data = DataDir(tmp_path / "data")
    deliver(data, food_inspections, _valid(food_inspections))
    folder = data.landing / INSPECTIONS
    (folder / food_inspections.landing.filename(NEXT_DAY)).symlink_to(
        _secret(tmp_path, food_inspections)
    )
    os.mkfifo(folder / "food_inspections_20260304.csv")
    with open(os.fsencode(folder) + b"/food_inspections_\xff.csv", "wb") as handle:
        handle.write(b"x\n")
    (data.landing / "fire_rescue").symlink_to(tmp_path / "outside", target_is_directory=True)

    # A linked folder is an entry, never looked into.
    entries = [path.relative_to(data.landing).as_posix() for path in landing_entries(data.landing)]
    assert "fire_rescue" in entries and not any(e.startswith("fire_rescue/") for e in entries)

    sensor = build_landing_sensor(FEED_CONTRACTS)
    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_sensor_context(
            instance=instance, resources={"data_dir": DataDirResource(root=str(data.root))}
        )
        result = sensor(context)
    assert [request.partition_key for request in result.run_requests] == [DAY.isoformat()]
    reported = result.asset_events[0].metadata["unmatched_files"].value
    for name, reason in (
        ("fire_rescue", "a symbolic link"),
        (f"{INSPECTIONS}/food_inspections_20260303.csv", "a symbolic link"),
        (f"{INSPECTIONS}/food_inspections_20260304.csv", "a named pipe (FIFO)"),
        (f"{INSPECTIONS}/food_inspections_\\xff.csv", "its name is not valid UTF-8"),
    ):
        assert f"`{name}: refused, never read: {reason}" in reported, name
    json.loads(result.cursor)  # the cursor is text Dagster can store
