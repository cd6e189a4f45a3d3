"""Sub-daily feeds: a contract's cadence, window files from landing to the lake one by one,
compaction of a closed day (idempotent, lineage kept), and daily feeds as they were.

Built on the tiny city generated with `--windows` for two days: traffic_flow's contract says
every 5 minutes, so the generator delivers it as 288 window files a day.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.assets import build_ingestion_asset
from pipelines.defs.ingest.sensor import build_landing_sensor
from pipelines.lib.contracts import ContractError, load_contract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.lake import PART, window_part_name
from pipelines.lib.ingest.windows import compact_day, day_closed, landed_windows, plan_day
from pipelines.lib.landing.pending import days_to_ingest
from pipelines.lib.resources import DataDirResource
from pipelines.sample_city.generate import generate_city
from tests.conftest import TINY_SEED

FLOW = FEED_CONTRACTS[("traffic_police", "traffic_flow")]
INSPECTIONS = FEED_CONTRACTS[("fire_rescue", "fire_inspections")]
DAY = date(2026, 10, 1)
KEY = dg.AssetKey(["bronze", "traffic_police", "traffic_flow"])


@pytest.fixture(scope="module")
def window_city(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("window_city")
    generate_city(out, scale="tiny", seed=TINY_SEED, days=2, windows=True)
    return out


def _flow_landing(data: DataDir) -> Path:
    return data.landing_feed(FLOW.department, FLOW.feed)


def _deliver(city: Path, data: DataDir, minutes: list[int], day: date = DAY) -> list[Path]:
    """Copy the city's window files of `minutes` into the data directory's landing."""
    folder = _flow_landing(data)
    folder.mkdir(parents=True, exist_ok=True)
    landed = []
    for minute in minutes:
        name = FLOW.landing.window_filename(day, minute)
        landed.append(Path(shutil.copy(_flow_landing(DataDir(city)) / name, folder / name)))
    return landed


def _materialize(instance: dg.DagsterInstance, root: Path, asset=None) -> dg.ExecuteInJobResult:
    return dg.materialize(
        [asset or build_ingestion_asset(FLOW)],
        partition_key=DAY.isoformat(),
        instance=instance,
        resources={"data_dir": DataDirResource(root=str(root))},
    )


def _rows(path: Path) -> int:
    return pl.read_csv(path, infer_schema=False).height


def test_the_contract_declares_the_cadence_and_window_file(tmp_path: Path) -> None:
    landing = FLOW.landing
    assert (landing.window_minutes, landing.windowed) == (5, True)
    assert landing.window_of("traffic_flow_20261001_0835.csv") == (DAY, 8 * 60 + 35)
    assert landing.day_of("traffic_flow_20261001_0835.csv") == DAY  # a delivery of that day
    assert landing.day_of("traffic_flow_20261001.csv") == DAY  # the whole day, resent
    assert landing.window_of("traffic_flow_20261001_0833.csv") is None  # no 5-minute start
    assert landing.window_of("traffic_flow_20261001_2400.csv") is None
    assert not INSPECTIONS.landing.windowed and INSPECTIONS.landing.window_file is None

    text = FLOW.path.read_text(encoding="utf-8")
    cases = {
        "every 7 min": (("value: 5\n  unit: min", "value: 7\n  unit: min"), "divide a day"),
        "windows of a daily feed": (("value: 5\n  unit: min", "value: 1\n  unit: d"), "windowFile"),
        "no window file": (
            ("    windowFile: traffic_flow_{yyyymmdd}_{hhmm}.csv\n", ""),
            "names its window files",
        ),
        "no {hhmm}": (
            ("windowFile: traffic_flow_{yyyymmdd}_{hhmm}.csv", "windowFile: flow_{yyyymmdd}.csv"),
            "exactly one {yyyymmdd} and one {hhmm}",
        ),
    }
    for name, ((old, new), message) in cases.items():
        assert text.count(old) == 1, name
        path = tmp_path / name / "contracts" / "feeds" / "traffic_police" / "traffic_flow.odcs.yaml"
        path.parent.mkdir(parents=True)
        path.write_text(text.replace(old, new), encoding="utf-8")
        with pytest.raises(ContractError, match=message):
            load_contract(path)


def test_generated_windows_hold_the_day_each_row_in_the_window_of_its_time(window_city) -> None:
    data = DataDir(window_city)
    windows = landed_windows(data, FLOW, DAY)
    assert list(windows) == list(range(0, 24 * 60, 5))
    assert not (_flow_landing(data) / FLOW.landing.filename(DAY)).exists()
    # A window's rows start in it (those with a broken or missing time aside).
    sample = pl.read_csv(windows[8 * 60 + 35], infer_schema=False)
    assert sample.height > 0
    assert (sample["START_TIME"].str.slice(11, 5) == "08:35").mean() >= 0.5  # type: ignore[operator]


def test_a_window_file_goes_from_landing_to_its_own_part_and_only_new_windows_are_read(
    window_city, tmp_path, day_instance
) -> None:
    root = tmp_path / "data"
    data = DataDir(root)
    first = _deliver(window_city, data, [0, 5, 10])

    # The landing sensor asks for the delivery day, once per window file.
    sensor = build_landing_sensor(FEED_CONTRACTS)
    tick = sensor(
        dg.build_sensor_context(
            instance=day_instance, resources={"data_dir": DataDirResource(root=str(root))}
        )
    )
    assert [(r.partition_key, tuple(r.asset_selection)) for r in tick.run_requests] == [
        (DAY.isoformat(), (KEY,))
    ] * 3
    assert len({r.run_key for r in tick.run_requests}) == 3
    assert days_to_ingest(data, [FLOW]) == [DAY]

    result = _materialize(day_instance, root)
    assert result.success
    bronze = data.bronze_partition(FLOW.department, FLOW.feed, DAY)
    quarantine = data.quarantine_partition(FLOW.department, FLOW.feed, DAY)
    parts = sorted(p.name for p in bronze.glob("*.parquet"))
    assert (
        parts
        == [window_part_name(m) for m in (0, 5, 10)]
        == ["window-0000.parquet", "window-0005.parquet", "window-0010.parquet"]
    )
    assert sorted(p.name for p in quarantine.glob("*.parquet")) == parts
    landed = sum(_rows(p) for p in first)
    (materialization,) = result.asset_materializations_for_node(
        build_ingestion_asset(FLOW).node_def.name
    )
    assert materialization.partition == DAY.isoformat()
    assert materialization.metadata["landed_rows"].value == landed
    lake = pl.read_parquet(list(bronze.glob("*.parquet")))
    assert lake.height + pl.read_parquet(list(quarantine.glob("*.parquet"))).height == landed
    assert set(lake["_source_file"]) <= {
        f"landing/traffic_police/traffic_flow/{p.name}" for p in first
    }
    assert days_to_ingest(data, [FLOW]) == []  # nothing new

    # Two more windows land, one repeating a reading of the first: only they are read, and the
    # repeat is a duplicate key across windows.
    written = {p.name: p.stat().st_mtime_ns for p in bronze.glob("*.parquet")}
    later = _deliver(window_city, data, [15, 20])
    repeated = pl.read_csv(first[0], infer_schema=False).head(1)
    with later[1].open("a", encoding="utf-8") as handle:
        handle.write(repeated.write_csv(include_header=False))
    assert plan_day(data, FLOW, DAY).pending == (15, 20)
    again = _materialize(day_instance, root)
    assert again.success
    metadata = again.asset_materializations_for_node(build_ingestion_asset(FLOW).node_def.name)[
        0
    ].metadata
    assert metadata["landed_rows"].value == sum(_rows(p) for p in later)
    assert {
        p.name: p.stat().st_mtime_ns for p in bronze.glob("*.parquet") if p.name in written
    } == written
    window = pl.read_parquet(quarantine / window_part_name(20))
    assert "duplicate_key" in window["rule"].to_list()


def test_compaction_of_a_closed_day_keeps_every_row_and_its_lineage_and_is_idempotent(
    window_city, tmp_path, day_instance
) -> None:
    root = tmp_path / "data"
    data = DataDir(root)
    _deliver(window_city, data, list(range(0, 24 * 60, 5)))
    assert _materialize(day_instance, root).success
    bronze = data.bronze_partition(FLOW.department, FLOW.feed, DAY)
    quarantine = data.quarantine_partition(FLOW.department, FLOW.feed, DAY)
    windows = pl.read_parquet(sorted(bronze.glob("window-*.parquet")))
    set_aside = pl.read_parquet(sorted(quarantine.glob("window-*.parquet")))
    assert windows["_source_file"].n_unique() > 200  # a window file each

    # Closed once its end plus the contract's latency (1 day) has passed, in the city's time.
    assert not day_closed(FLOW, DAY, "Asia/Shanghai", datetime(2026, 10, 2, 12, tzinfo=UTC))
    assert day_closed(FLOW, DAY, "Asia/Shanghai", datetime(2026, 10, 2, 16, tzinfo=UTC))

    kept = tmp_path / "windows"  # the window parts as they were, to replay a killed compaction
    shutil.copytree(bronze, kept / "bronze")
    shutil.copytree(quarantine, kept / "quarantine")
    done = compact_day(data, FLOW, DAY)
    assert done is not None and done.windows == 288
    assert sorted(p.name for p in bronze.iterdir()) == [PART]
    assert sorted(p.name for p in quarantine.iterdir()) == [PART]
    day = pl.read_parquet(bronze / PART)
    assert day.equals(windows)  # every row, in window order, with its file and row
    assert pl.read_parquet(quarantine / PART).equals(set_aside)
    assert (done.bronze_rows, done.quarantined_rows) == (windows.height, set_aside.height)

    # Again: nothing to do, nothing rewritten.
    stamp = (bronze / PART).stat().st_mtime_ns
    assert compact_day(data, FLOW, DAY) is None
    assert (bronze / PART).stat().st_mtime_ns == stamp
    assert days_to_ingest(data, [FLOW]) == []

    # Killed after writing the day's file, before removing the windows: done again from the
    # windows, no row twice.
    for tree, folder in (("bronze", bronze), ("quarantine", quarantine)):
        for part in (kept / tree).glob("window-*.parquet"):
            shutil.copy(part, folder / part.name)
    assert compact_day(data, FLOW, DAY) is not None
    assert pl.read_parquet(bronze / PART).equals(windows)
    assert pl.read_parquet(quarantine / PART).equals(set_aside)
    assert sorted(p.name for p in bronze.iterdir()) == [PART]

    # A window sent again after compaction: the day's windows are ingested afresh, none twice.
    resent = _flow_landing(data) / FLOW.landing.window_filename(DAY, 60)
    resent.write_bytes(resent.read_bytes())
    plan = plan_day(data, FLOW, DAY)
    assert plan.rebuild and len(plan.pending) == 288
    assert _materialize(day_instance, root).success
    assert not (bronze / PART).exists()
    assert pl.read_parquet(sorted(bronze.glob("window-*.parquet"))).equals(windows)


def test_a_daily_feed_and_a_whole_day_resend_are_ingested_as_before(
    window_city, tiny_city, tmp_path, day_instance
) -> None:
    root = tmp_path / "data"
    data = DataDir(root)
    shutil.copytree(
        tiny_city / "landing" / "fire_rescue" / "fire_inspections",
        data.landing_feed(INSPECTIONS.department, INSPECTIONS.feed),
    )
    assert _materialize(day_instance, root, build_ingestion_asset(INSPECTIONS)).success
    folder = data.bronze_partition(INSPECTIONS.department, INSPECTIONS.feed, DAY)
    assert sorted(p.name for p in folder.iterdir()) == [PART]

    # A window feed's day first came window by window, then the whole day in one file: the
    # day's file stands for the day, its windows go.
    _deliver(window_city, data, [0, 5])
    assert _materialize(day_instance, root).success
    whole = _flow_landing(data) / FLOW.landing.filename(DAY)
    shutil.copy(tiny_city / "landing" / "traffic_police" / "traffic_flow" / whole.name, whole)
    assert plan_day(data, FLOW, DAY).whole_day
    assert _materialize(day_instance, root).success
    bronze = data.bronze_partition(FLOW.department, FLOW.feed, DAY)
    assert sorted(p.name for p in bronze.iterdir()) == [PART]
    assert set(pl.read_parquet(bronze / PART)["_source_file"]) == {
        f"landing/traffic_police/traffic_flow/{whole.name}"
    }


def test_keys_are_carried_across_the_window_days_of_one_run(window_city, tmp_path) -> None:
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    from pipelines.defs.ingest.partitions import current_delivery_window, register_delivery_days

    root = tmp_path / "data"
    data = DataDir(root)
    second = date(2026, 10, 2)
    first_files = _deliver(window_city, data, [0, 5])
    later = _deliver(window_city, data, [0, 5], day=second)
    # In the later file's column order: a window file of the sample city may have drifted.
    header = pl.read_csv(later[0], n_rows=0, infer_schema=False).columns
    repeated = pl.read_csv(first_files[1], infer_schema=False).head(2).select(header)
    with later[0].open("a", encoding="utf-8") as handle:
        handle.write(repeated.write_csv(include_header=False))
    with dg.DagsterInstance.ephemeral() as instance:
        register_delivery_days(instance, [DAY, second], current_delivery_window())
        result = dg.materialize(
            [build_ingestion_asset(FLOW)],
            instance=instance,
            resources={"data_dir": DataDirResource(root=str(root))},
            tags={
                ASSET_PARTITION_RANGE_START_TAG: DAY.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: second.isoformat(),
            },
        )
    assert result.success
    days = sorted(
        m.partition
        for m in result.asset_materializations_for_node(build_ingestion_asset(FLOW).node_def.name)
    )
    assert days == [DAY.isoformat(), second.isoformat()]
    quarantine = data.quarantine_partition(FLOW.department, FLOW.feed, second)
    window = pl.read_parquet(quarantine / window_part_name(0))
    assert window.filter(pl.col("rule") == "duplicate_key").height >= 2
