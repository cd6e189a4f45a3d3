"""Daily runs: a day that lands is ingested alone, the warehouse it updates incrementally is the
warehouse a full rebuild makes from the same deliveries, and linkage keeps every entity's key
unless the new day merged or split it. The delivery day partitions are the days delivered, the
new one added by the run that ingests it; a day one feed did not deliver is missing for it.

One test, four runs of one copy of the tiny city (the days before the last, the last day
alone, the last day delivered again one record short, a full rebuild): every run costs a
minute, so the daily update is built once and every property of it is asserted on it.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.assets import bronze_key
from pipelines.defs.ingest.partitions import DELIVERY_DAYS
from pipelines.defs.linkage.assets import linkage_key
from pipelines.lib.contracts.model import FeedContract
from pipelines.lib.dagster_home import DAGSTER_HOME_DIRNAME
from pipelines.lib.data_dir import DataDir
from pipelines.lib.entity_kinds import REVIEWED_KINDS
from pipelines.lib.landing.pending import days_to_ingest, landed_days
from pipelines.lib.linkage.stages import KINDS
from tests.conftest import safecity_run

DOCS = dg.AssetKey(["reports", "dbt_docs"])
GAP_FEED = FEED_CONTRACTS[("fire_rescue", "fire_inspections")]
# A feed of one line per record, whose records mention organisations.
REDELIVERED_FEED = FEED_CONTRACTS[("market_regulation", "food_inspections")]
# Built by delivery day in dbt (materialized incremental): compared too, beside every published table.
INCREMENTAL_MODELS = [
    "int_air_quality_iaqi",
    "int_air_quality_hourly",
    "int_traffic_police__traffic_flow__latest",
    "int_sensor_readings",
    "int_organisation_mentions",
    "int_person_mentions",
    "int_place_mentions",
    "int_object_mentions",
]


def _hold_back(data: DataDir, day_stamp: str, holding: Path) -> list[Path]:
    """Move the deliveries of one day out of landing/, as if they had not arrived yet."""
    moved = []
    for contract in FEED_CONTRACTS.values():
        for path in data.landing_feed(contract.department, contract.feed).iterdir():
            if day_stamp in path.name:
                target = holding / path.relative_to(data.landing)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)
                moved.append(target)
    return moved


def _deliver(data: DataDir, held: list[Path], holding: Path) -> None:
    now = time.time()
    for path in held:
        target = data.landing / path.relative_to(holding)
        shutil.move(path, target)
        os.utime(target, (now, now))  # arriving now


def _snapshot(data: DataDir) -> dict[str, pl.DataFrame]:
    """Every published table, and the incremental intermediate models, sorted by all columns."""
    tables = {}
    with duckdb.connect(str(data.analytics), read_only=True) as analytics:
        for (name,) in analytics.sql(
            "select table_name from duckdb_tables() where schema_name = 'main'"
        ).fetchall():
            tables[name] = analytics.sql(f'select * from main."{name}"').pl()
    with duckdb.connect(str(data.warehouse), read_only=True) as warehouse:
        for name in INCREMENTAL_MODELS:
            tables[name] = warehouse.sql(f"select * from intermediate.{name}").pl()
    return {name: frame.sort(frame.columns, nulls_last=True) for name, frame in tables.items()}


def test_a_new_day_is_ingested_alone_keeps_entity_keys_and_updates_as_a_full_rebuild_would(
    tiny_city, tmp_path
):
    root = tmp_path / "city"
    shutil.copytree(tiny_city, root)
    data = DataDir(root)
    days = landed_days(data, FEED_CONTRACTS.values())
    new_day = days[-1]
    held = _hold_back(data, new_day.strftime("%Y%m%d"), tmp_path / "not_yet_delivered")
    assert held, "the tiny city delivers on its last day"
    # One feed did not deliver on a day inside the span: a gap in its partitions.
    gap = days[2]
    _gap_file(data, gap).unlink()

    first = safecity_run(root, tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert _metadata(root, DOCS)["regenerated"] is True
    assert days_to_ingest(data, FEED_CONTRACTS.values()) == []  # nothing new since
    # The partitions are exactly the days delivered so far; the feed's missing day is missing.
    assert _partitions(root) == [day.isoformat() for day in days[:-1]]
    assert _materialized(root, bronze_key(GAP_FEED)) == [
        day.isoformat() for day in days[:-1] if day != gap
    ]
    links_before = _links(data)

    _deliver(data, held, tmp_path / "not_yet_delivered")
    assert days_to_ingest(data, FEED_CONTRACTS.values()) == [new_day]
    daily = safecity_run(root, tmp_path)
    assert daily.returncode == 0, daily.stdout + daily.stderr
    assert f"delivery days {new_day} .. {new_day}" in daily.stdout
    # The day that landed became a partition before the run, with no reload of anything.
    assert f"delivery days {new_day} added as partitions" in daily.stdout
    assert _partitions(root) == [day.isoformat() for day in days]
    assert _materialized(root, bronze_key(GAP_FEED))[-1] == new_day.isoformat()
    _assert_keys_kept_unless_merged_or_split(data, links_before, _links(data))
    for kind in REVIEWED_KINDS:  # the new day's records scored, the other pairs kept
        rescored, records = _scored(root, kind)
        assert 0 < rescored < records / 2, (kind, rescored, records)
    # Same dbt project, code and published columns: the docs site is kept, not made again.
    assert _metadata(root, DOCS)["regenerated"] is False

    # The new day delivered again, one record short: the next run builds that day again, and
    # the record's rows go from the models built by day, as a full rebuild never has them.
    mentions_before = _mentions_of(data, REDELIVERED_FEED, new_day)
    _drop_last_record(data, REDELIVERED_FEED, new_day)
    again = safecity_run(root, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"delivery days {new_day} .. {new_day}" in again.stdout
    assert 0 < _mentions_of(data, REDELIVERED_FEED, new_day) < mentions_before
    after_daily_run = _snapshot(data)
    hourly = after_daily_run["int_air_quality_hourly"]
    assert hourly.filter(pl.col("delivery_date") == new_day).height > 0, (
        "the new day reached the warehouse"
    )
    readings = after_daily_run["int_sensor_readings"]
    assert readings.filter(pl.col("delivery_date") == new_day).height > 0, "telemetry too"

    rebuild = safecity_run(root, tmp_path, "--full-refresh")
    assert rebuild.returncode == 0, rebuild.stdout + rebuild.stderr
    assert f"delivery days {days[0]} .. {new_day}" in rebuild.stdout
    assert _partitions(root) == [day.isoformat() for day in days]
    assert gap.isoformat() not in _materialized(root, bronze_key(GAP_FEED))
    after_rebuild = _snapshot(data)
    for kind in REVIEWED_KINDS:
        rescored, records = _scored(root, kind)
        assert rescored == records, (kind, rescored, records)

    assert after_daily_run.keys() == after_rebuild.keys()
    for name, frame in after_rebuild.items():
        # Exactly equal, to the last bit (macros/deterministic.sql: no tie nor summing order decides).
        try:
            assert_frame_equal(after_daily_run[name], frame, check_exact=True)
        except AssertionError as difference:
            raise AssertionError(
                f"{name} differs between the daily update and a full rebuild: {difference}"
            ) from None


def _drop_last_record(data: DataDir, contract: FeedContract, day: date) -> None:
    path = data.landing_feed(contract.department, contract.feed) / contract.landing.filename(day)
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) > 2, f"{path} holds a header and at least two records"
    path.write_bytes(b"".join(lines[:-1]))  # a newer file: delivered again


def _mentions_of(data: DataDir, contract: FeedContract, day: date) -> int:
    with duckdb.connect(str(data.warehouse), read_only=True) as connection:
        row = connection.execute(
            "select count(*) from intermediate.int_organisation_mentions "
            "where source_department = ? and source_feed = ? and delivery_date = ?",
            [contract.department, contract.feed, day],
        ).fetchone()
    assert row is not None
    return int(row[0])


def _gap_file(data: DataDir, day: date) -> Path:
    return data.landing_feed(GAP_FEED.department, GAP_FEED.feed) / GAP_FEED.landing.filename(day)


def _partitions(root: Path) -> list[str]:
    """The delivery day partitions in the instance `safecity run` keeps in the data directory."""
    with dg.DagsterInstance.from_config(str(root / DAGSTER_HOME_DIRNAME)) as instance:
        return list(DELIVERY_DAYS.get_partition_keys(dynamic_partitions_store=instance))


def _metadata(root: Path, key: dg.AssetKey) -> dict[str, object]:
    """The metadata of the asset's last materialisation, as values."""
    with dg.DagsterInstance.from_config(str(root / DAGSTER_HOME_DIRNAME)) as instance:
        event = instance.get_latest_materialization_event(key)
    assert event is not None and event.asset_materialization is not None
    return {name: entry.value for name, entry in event.asset_materialization.metadata.items()}


def _scored(root: Path, kind: str) -> tuple[int, int]:
    """Records the last linkage of `kind` scored, and its records."""
    metadata = _metadata(root, linkage_key(kind))
    return int(str(metadata["rescored_records"])), int(str(metadata["records"]))


def _materialized(root: Path, key: dg.AssetKey) -> list[str]:
    with dg.DagsterInstance.from_config(str(root / DAGSTER_HOME_DIRNAME)) as instance:
        return sorted(instance.get_materialized_partitions(key))


def _links(data: DataDir) -> pl.DataFrame:
    """Which entity each mention of a source record is linked to."""
    with duckdb.connect(str(data.analytics), read_only=True) as connection:
        return connection.execute(
            "select entity_kind, source_record_id, role, slot, entity_key from xref_source_record "
            "where entity_kind in ('organisation', 'person', 'place', 'object')"
        ).pl()


def _assert_keys_kept_unless_merged_or_split(
    data: DataDir, before: pl.DataFrame, after: pl.DataFrame
) -> None:
    assert after.height > before.height
    changed = before.join(
        after, on=["entity_kind", "source_record_id", "role", "slot"], suffix="_now"
    ).filter(pl.col("entity_key") != pl.col("entity_key_now"))
    with duckdb.connect(str(data.warehouse), read_only=True) as connection:
        recorded = pl.concat(
            [
                connection.execute(
                    f"select '{kind}' as entity_kind, entity_key, previous_key from linkage.{kind}_key_changes"
                ).pl()
                for kind in KINDS
            ]
        )
    # Every key that changed did so by a recorded merge or split.
    unexplained = changed.join(
        recorded,
        left_on=["entity_kind", "entity_key"],
        right_on=["entity_kind", "previous_key"],
        how="anti",
    ).join(
        recorded,
        left_on=["entity_kind", "entity_key_now"],
        right_on=["entity_kind", "entity_key"],
        how="anti",
    )
    assert unexplained.is_empty(), unexplained
    assert changed.height < before.height * 0.01
