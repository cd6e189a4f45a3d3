"""The identity-hash key never lands in the data directory, and persons still join on the hash.

The tiny city is built with the tests' key (tests/conftest.py). Every file under its data
directory is scanned for the key: as raw bytes (SQL, manifests, logs, HTML, dbt_target/,
dagster_home/, DuckDB and Parquet files alike) and, since Parquet pages and DuckDB blocks may
be compressed, through their decoded values too. The scanner is first shown to find a planted
key in each kind of file, so that finding none means something.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.lib.contracts import contracts_dir, load_feed_contracts
from pipelines.lib.ingest.identity_hash import hash_column, identity_fields
from tests.conftest import IDENTITY_HASH_KEY

KEY = IDENTITY_HASH_KEY


def decoded_text(path: Path) -> str:
    """The values of a Parquet or DuckDB file as JSON lines (empty for other files)."""
    if path.suffix == ".parquet":
        return pl.read_parquet(path).write_ndjson()
    if path.suffix == ".duckdb":
        with duckdb.connect(str(path), read_only=True) as connection:
            tables = connection.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
            return "\n".join(
                connection.execute(f'select * from "{schema}"."{table}"').pl().write_ndjson()
                for schema, table in tables
            )
    return ""


def files_holding(root: Path, secret: str) -> list[Path]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if secret.encode("utf-8") in path.read_bytes() or secret in decoded_text(path):
            found.append(path)
    return found


def test_the_scanner_finds_a_planted_key_in_every_kind_of_file(tmp_path: Path) -> None:
    planted = {
        "compiled.sql": lambda p: p.write_text(f"select sha256('{KEY}' || x)", encoding="utf-8"),
        "run.log": lambda p: p.write_text(f"key={KEY}\n", encoding="utf-8"),
        "table.parquet": lambda p: pl.DataFrame({"v": [KEY] * 1000}).write_parquet(
            p, compression="zstd"
        ),
    }
    for name, write in planted.items():
        write(tmp_path / name)
    with duckdb.connect(str(tmp_path / "file.duckdb")) as connection:
        connection.execute(
            "create table t as select ? || range::varchar as v from range(5000)", [KEY]
        )
    found = {p.name for p in files_holding(tmp_path, KEY)}
    assert found == {*planted, "file.duckdb"}


def test_the_key_is_nowhere_in_the_data_directory(built_city: Path) -> None:
    files = [p for p in built_city.rglob("*") if p.is_file()]
    # What the scan must cover: the lake, the warehouse, dbt's artefacts, Dagster's runs, reports.
    suffixes = {p.suffix for p in files}
    assert {".parquet", ".duckdb", ".json", ".sql", ".log", ".html"} <= suffixes
    for folder in ("dbt_target", "dagster_home", "lake", "reports", "extracts", "logs"):
        assert any(p.is_relative_to(built_city / folder) for p in files), folder
    assert files_holding(built_city, KEY) == []


def expected_hash(number: str) -> str:
    return hmac.new(KEY.encode("utf-8"), number.encode("utf-8"), hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def numbers_in_bronze(built_city: Path) -> pl.DataFrame:
    """feed, number, hash: every identity number bronze holds, wherever the contracts put it."""
    found = []
    contracts = load_feed_contracts(contracts_dir())
    for department, feed in contracts:
        contract = contracts[(department, feed)]
        for f, item in identity_fields(contract):
            frame = pl.read_parquet(
                built_city / "lake" / "bronze" / department / feed / "*" / "*.parquet"
            )
            if item is None:
                pairs = frame.select(
                    pl.col(f.name).alias("number"), pl.col(hash_column(f.name)).alias("hash")
                )
            else:
                pairs = (
                    frame.select(pl.col(f.name).explode())
                    .unnest(f.name)
                    .select(
                        pl.col(item.name).alias("number"),
                        pl.col(hash_column(item.name)).alias("hash"),
                    )
                )
            found.append(pairs.with_columns(pl.lit(f"{department}/{feed}").alias("feed")))
    return pl.concat(found).drop_nulls("number")


def test_bronze_holds_the_keyed_hmac_of_every_identity_number(numbers_in_bronze) -> None:
    assert numbers_in_bronze.height > 100 and numbers_in_bronze["feed"].n_unique() >= 3
    expected = numbers_in_bronze["number"].map_elements(expected_hash, return_dtype=pl.String)
    assert (numbers_in_bronze["hash"] == expected).all()


@pytest.fixture
def warehouse(built_city: Path):
    connection = duckdb.connect(str(built_city / "warehouse.duckdb"), read_only=True)
    yield connection
    connection.close()


def test_one_person_per_identity_number_and_the_same_number_in_two_feeds_is_one_person(
    numbers_in_bronze, warehouse
) -> None:
    persons = warehouse.execute(
        "select id_number_hash, person_key, key_kind, source_feeds from dim_person"
    ).pl()
    distinct = numbers_in_bronze.select("number", "hash").unique()
    keyed = persons.filter(pl.col("key_kind") == "identity_number")
    # As many persons keyed by a number as distinct numbers delivered, each exactly once.
    assert keyed.height == distinct.height
    assert set(keyed["id_number_hash"]) == set(distinct["hash"])
    assert persons["id_number_hash"].drop_nulls().is_unique().all()

    in_feeds = numbers_in_bronze.group_by("number", "hash").agg(pl.col("feed").n_unique())
    shared = in_feeds.filter(pl.col("feed") >= 2)
    assert shared.height >= 3, "the tiny city has persons seen in several silos"
    joined = shared.join(persons, left_on="hash", right_on="id_number_hash", how="left")
    assert joined["person_key"].null_count() == 0
    assert (joined["source_feeds"] >= joined["feed"]).all()


def test_every_person_mention_is_resolved_once(warehouse) -> None:
    mentions = warehouse.execute("select count(*) from intermediate.int_person_mentions").fetchone()
    xref = warehouse.execute(
        "select count(*), count(distinct entity_key) from xref_source_record where entity_kind = 'person'"
    ).fetchone()
    persons = warehouse.execute("select count(*) from dim_person").fetchone()
    assert xref[0] == mentions[0] and xref[1] == persons[0]
