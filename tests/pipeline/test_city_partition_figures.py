"""Issue 18, done when: the figures of every partition of the tiny city's ingestion assets equal
ground truth. Read from the Dagster instance `safecity run` recorded the build in, as the UI
shows them: each delivery day's latest materialisation against the day's delivered records
(the city's ground truth) and the day's partitions in the lake."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.ingest.assets import bronze_key
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.lake import partition, read_partition
from tests.conftest import City


def latest_by_partition(
    instance: dg.DagsterInstance, key: dg.AssetKey
) -> dict[str, dg.AssetMaterialization]:
    records = instance.fetch_materializations(key, limit=10_000).records  # newest first
    latest: dict[str, dg.AssetMaterialization] = {}
    for record in records:
        materialization = record.asset_materialization
        assert materialization is not None and materialization.partition is not None
        latest.setdefault(materialization.partition, materialization)
    return latest


def test_every_partition_carries_its_own_days_figures(built_city: Path) -> None:
    city, data = City(built_city), DataDir(built_city)
    instance = dg.DagsterInstance.from_config(str(built_city / "dagster_home"))
    checked = 0
    for (department, feed), contract in FEED_CONTRACTS.items():
        truth = city.records(department, feed)
        delivered = {day.isoformat(): rows for (day,), rows in truth.group_by("delivery_date")}
        latest = latest_by_partition(instance, bronze_key(contract))
        assert set(delivered) <= set(latest), f"{department}/{feed}: a delivered day not recorded"
        for day, materialization in latest.items():
            metadata = materialization.metadata
            where = partition(data, contract, date.fromisoformat(day))
            bronze, quarantine = (
                read_partition(where) if where.bronze.exists() else (pl.DataFrame(), pl.DataFrame())
            )
            records = delivered.get(day, pl.DataFrame(schema={"invalid_rule": pl.String}))
            figures = {
                label: metadata[label].value
                for label in ("landed_rows", "dagster/row_count", "quarantined_rows")
            }
            assert figures == {
                "landed_rows": records.height,
                "dagster/row_count": bronze.height,
                "quarantined_rows": quarantine.height,
            }, f"{department}/{feed} {day}"
            assert bronze.height + quarantine.height == records.height, f"{department}/{feed} {day}"
            rate = round(quarantine.height / records.height, 5) if records.height else 0.0
            assert metadata["quarantine_rate"].value == rate
            # Quarantined rows by rule: the day's own, as its quarantine partition holds them.
            table = metadata["quarantine_by_rule"].value
            for rule in quarantine["rule"].unique():
                assert f"| {rule} |" in table, f"{department}/{feed} {day}: {rule}"
            assert sum(_rule_rows(table)) == quarantine.height
            if "preview" in metadata:  # the first rows of that day, not of another
                assert set(_column(metadata["preview"].value, "_delivery_date")) == {day}
            else:
                assert bronze.height == 0 or day not in delivered
            checked += 1
    assert checked >= len(FEED_CONTRACTS) * 5  # every feed, several days each


def _column(table: str, name: str) -> list[str]:
    """One column's cells of a markdown table."""
    header, _, *rows = table.splitlines()
    position = [c.strip() for c in header.split("|")].index(name)
    return [row.split("|")[position].strip() for row in rows]


def _rule_rows(table: str) -> list[int]:
    """The rows column of the markdown table quarantine_by_rule: | rule | column | rows |."""
    return [int(line.rsplit("|", 2)[1]) for line in table.splitlines()[2:]]
