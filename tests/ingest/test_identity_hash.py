"""Identity numbers hashed at ingestion: HMAC-SHA256 under the key, beside each number in bronze.

The expected hashes are computed here with Python's `hmac` from the tests' key, not with the
code under test. A feed with identity numbers and no key fails with one line; others go on.
"""

from __future__ import annotations

import hashlib
import hmac
import shutil

import dagster as dg
import polars as pl
import pytest

from pipelines.lib import settings
from pipelines.lib.city_profile import city_profile
from pipelines.lib.contracts import FeedContract, load_contract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.identity_hash import IdentityHashKeyError, hash_column, identity_fields
from pipelines.lib.ingest.ingest import bronze_schema, ingest_deliveries
from pipelines.lib.ingest.lake import PART, SCHEMA_PART
from pipelines.lib.resources import DataDirResource
from tests.conftest import IDENTITY_HASH_KEY
from tests.ingest.deliveries import (
    DAY,
    FEEDS,
    NEXT_DAY,
    accident,
    accounted,
    assert_quarantined,
    csv_text,
    deliver,
    enterprise,
    identity_number,
    ingest,
    jsonl_bytes,
)

KEY_ENV = settings.IDENTITY_HASH_KEY.name
MASKED = "510104********123X"  # as market regulation delivers them


def expected_hash(number: str, key: str = IDENTITY_HASH_KEY) -> str:
    return hmac.new(key.encode("utf-8"), number.encode("utf-8"), hashlib.sha256).hexdigest()


def contract(department: str, feed: str) -> FeedContract:
    return load_contract(FEEDS / department / f"{feed}.odcs.yaml")


@pytest.fixture(scope="module")
def enterprises() -> FeedContract:
    return contract("emergency_management", "enterprises")


@pytest.fixture(scope="module")
def traffic_accidents() -> FeedContract:
    return contract("traffic_police", "traffic_accidents")


@pytest.fixture
def data(tmp_path) -> DataDir:
    return DataDir(tmp_path / "data", lake_root=None, extracts_root=None)


@pytest.fixture
def connection():
    from pipelines.lib.duckdb_connection import connect

    con = connect()
    yield con
    con.close()


def drivers(bronze: pl.DataFrame) -> pl.DataFrame:
    return bronze.select(pl.col("vehicles").explode()).unnest("vehicles")


def test_every_identity_number_has_its_keyed_hash_beside_it(data, connection, enterprises):
    rows = [enterprise(1), enterprise(2, legal_rep_id_no=""), enterprise(3)]
    deliver(data, enterprises, csv_text(rows).encode("utf-8"))
    bronze, _ = accounted(ingest(data, enterprises, connection), 3)
    at = bronze.columns.index("legal_rep_id_number")
    assert bronze.columns[at + 1] == "legal_rep_id_number_hash"
    assert bronze.schema["legal_rep_id_number_hash"] == pl.String
    assert bronze["legal_rep_id_number_hash"].to_list() == [
        expected_hash(identity_number(1)),
        None,  # no number, no hash
        expected_hash(identity_number(3)),
    ]


def test_nested_driver_numbers_are_hashed_inside_their_item(data, connection, traffic_accidents):
    record = accident(1)
    second = {"plateNo": "川A99999", "vehicleType": "小型轿车", "driver": {"name": "李四"}}
    record["vehicles"] = [*record["vehicles"], second]
    deliver(data, traffic_accidents, jsonl_bytes([record, accident(2)]))
    bronze, _ = accounted(ingest(data, traffic_accidents, connection), 2)
    item = bronze.schema["vehicles"].inner  # type: ignore[union-attr]
    names = [f.name for f in item.fields]
    assert names[names.index("driver_id_number") + 1] == "driver_id_number_hash"
    found = drivers(bronze).select("driver_id_number", "driver_id_number_hash")
    assert found.rows() == [
        (identity_number(101), expected_hash(identity_number(101))),
        (None, None),
        (identity_number(102), expected_hash(identity_number(102))),
    ]


def test_the_same_number_has_one_hash_across_feeds_and_days_and_another_under_another_key(
    data, connection, enterprises, traffic_accidents, monkeypatch
):
    number = identity_number(7)
    deliver(data, enterprises, csv_text([enterprise(1, legal_rep_id_no=number)]).encode("utf-8"))
    record = accident(1)
    record["vehicles"][0]["driver"]["idNo"] = number
    deliver(data, traffic_accidents, jsonl_bytes([record]), NEXT_DAY)
    legal_rep = ingest(data, enterprises, connection).result.valid["legal_rep_id_number_hash"]
    driver = drivers(ingest(data, traffic_accidents, connection, NEXT_DAY).result.valid)
    assert (
        legal_rep.to_list() == driver["driver_id_number_hash"].to_list() == [expected_hash(number)]
    )

    other_key = "another-key-of-at-least-32-characters!"
    monkeypatch.setenv(KEY_ENV, other_key)
    again = ingest(data, enterprises, connection).result.valid["legal_rep_id_number_hash"]
    assert again.to_list() == [expected_hash(number, other_key)] != legal_rep.to_list()


def test_a_masked_number_is_quarantined_and_never_hashed(data, connection, enterprises):
    # Two rows with the same masked number: were they hashed, they would join as one person.
    rows = [
        enterprise(1),
        enterprise(2, legal_rep_id_no=MASKED),
        enterprise(3, legal_rep_id_no=MASKED),
    ]
    deliver(data, enterprises, csv_text(rows).encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), 3)
    for row in (2, 3):
        assert_quarantined(quarantine, row, "identity_number_check", "legal_rep_id_number", MASKED)
    assert bronze["legal_rep_id_number_hash"].to_list() == [expected_hash(identity_number(1))]


def test_masked_numbers_of_market_regulation_get_no_hash_column() -> None:
    licences = contract("market_regulation", "food_business_licences")
    assert identity_fields(licences) == []
    schema = bronze_schema(licences, city_profile(None))
    assert "legal_rep_id_masked" in schema.columns
    assert not [c for c in schema.columns if c.endswith("_hash")]


def test_bronze_schema_declares_every_hash_column_and_needs_no_key(monkeypatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    city = city_profile(None)
    for department, feed, nested in [
        ("emergency_management", "enterprises", None),
        ("emergency_management", "work_accidents", None),
        ("traffic_police", "traffic_accidents", "vehicles"),
    ]:
        feed_contract = contract(department, feed)
        schema = bronze_schema(feed_contract, city).schema
        for f, item in identity_fields(feed_contract):
            if item is None:
                assert schema[hash_column(f.name)] == pl.String
            else:
                assert f.name == nested
                struct = schema[f.name].inner  # type: ignore[union-attr]
                assert {x.name: x.dtype for x in struct.fields}[hash_column(item.name)] == pl.String


def test_without_the_key_a_feed_with_identity_numbers_fails_in_one_line_and_writes_nothing(
    data, connection, enterprises, monkeypatch
):
    deliver(data, enterprises, csv_text([enterprise(1)]).encode("utf-8"))
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(IdentityHashKeyError) as raised:
        list(ingest_deliveries(data, enterprises, [DAY], connection))
    message = str(raised.value)
    assert message.startswith(f"${KEY_ENV} is not set") and "\n" not in message
    assert "openssl rand" in message  # what to do
    assert not data.bronze_partition(enterprises.department, enterprises.feed, DAY).exists()

    monkeypatch.setenv(KEY_ENV, "too-short")
    with pytest.raises(IdentityHashKeyError, match=r"too short \(9 characters\): use at least 32"):
        list(ingest_deliveries(data, enterprises, [DAY], connection))


def test_a_feed_without_identity_numbers_needs_no_key(data, connection, monkeypatch):
    stations = contract("ecology_environment", "monitoring_stations")
    assert identity_fields(stations) == []
    monkeypatch.delenv(KEY_ENV, raising=False)
    assert list(ingest_deliveries(data, stations, [], connection)) == []


def test_the_ingestion_step_without_the_key_fails_alone_with_the_variable_named(
    city, tmp_path, monkeypatch, day_instance
):
    from pipelines.defs.ingest.assets import build_ingestion_asset

    root = tmp_path / "data"
    for department in ("emergency_management", "ecology_environment"):
        shutil.copytree(city.root / "landing" / department, root / "landing" / department)
    with_numbers = build_ingestion_asset(contract("emergency_management", "enterprises"))
    without = build_ingestion_asset(contract("ecology_environment", "monitoring_stations"))
    monkeypatch.delenv(KEY_ENV, raising=False)
    result = dg.materialize(
        [with_numbers, without],
        partition_key="2026-10-01",
        instance=day_instance,
        resources={"data_dir": DataDirResource(root=str(root))},
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = result.get_step_failure_events()
    assert failure.step_key == with_numbers.node_def.name
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith(f"${KEY_ENV} is not set") and "\n" not in description
    # The other feed went on; the failed one left bronze's schema for the warehouse, no rows.
    assert result.asset_materializations_for_node(without.node_def.name)
    data = DataDir(root, lake_root=None, extracts_root=None)
    enterprises_dir = data.bronze_feed("emergency_management", "enterprises")
    schema = pl.read_parquet(enterprises_dir / SCHEMA_PART / PART)
    assert "legal_rep_id_number_hash" in schema.columns and schema.height == 0
    assert not list(enterprises_dir.glob("date=*"))


def test_the_preview_in_dagster_masks_numbers_and_hashes_inside_array_items(
    city, tmp_path, day_instance
):
    from pipelines.defs.ingest.assets import build_ingestion_asset

    root = tmp_path / "data"
    shutil.copytree(city.root / "landing" / "traffic_police", root / "landing" / "traffic_police")
    asset = build_ingestion_asset(contract("traffic_police", "traffic_accidents"))
    result = dg.materialize(
        [asset],
        partition_key="2026-10-01",
        instance=day_instance,
        resources={"data_dir": DataDirResource(root=str(root))},
    )
    assert result.success
    preview = result.asset_materializations_for_node(asset.node_def.name)[0].metadata["preview"]
    data = DataDir(root, lake_root=None, extracts_root=None)
    bronze = pl.read_parquet(
        data.bronze_feed("traffic_police", "traffic_accidents") / "*" / "*.parquet"
    )
    items = drivers(bronze)
    hidden = [
        *items["driver_id_number"].drop_nulls(),
        *items["driver_id_number_hash"].drop_nulls(),
        *items["driver_name"].drop_nulls(),
    ]
    assert len(hidden) > 10 and "***" in preview.value  # (long cells are cut short)
    assert not [value for value in hidden if value in preview.value]
    assert items["plate_no"][0] in preview.value  # what is not personal still shows
