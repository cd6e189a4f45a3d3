"""The POLE-O warehouse built from the tiny city: contracts, placement, privacy, the analytics copy."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import yaml

from pipelines.lib.contracts import contracts_dir, load_feed_contracts
from pipelines.lib.contracts.loader import shared_vocabulary
from pipelines.lib.contracts.mapping_index import mapping_index
from pipelines.lib.contracts.tables import load_table_contracts
from pipelines.lib.standards.identifiers import is_valid_identity_number

# The POLE-O tables: every model of the warehouse layer.
WAREHOUSE_TABLES = {p.stem for p in Path("dbt_project/models/warehouse").glob("*.sql")}
# The marts (their subject folders included) and the configuration they were built with are
# published beside the warehouse.
MARTS_AND_CONFIG = {p.stem for p in Path("dbt_project/models/marts").rglob("*.sql")} | {
    p.stem for p in Path("dbt_project/seeds/config").glob("*.csv")
}


def test_every_warehouse_table_has_a_contract_and_dbt_enforces_it():
    tables = load_table_contracts(contracts_dir())
    assert "fct_event" in WAREHOUSE_TABLES and "xref_source_record" in WAREHOUSE_TABLES
    # Every warehouse table has one; so do the marts departments receive (the dispatch loop's).
    assert WAREHOUSE_TABLES <= set(tables) <= WAREHOUSE_TABLES | MARTS_AND_CONFIG
    # dbt enforces each one: the generated model contracts and tests name every table (they are
    # current: tests/lib/test_generated_dbt.py).
    generated = yaml.safe_load(
        Path("dbt_project/models/warehouse/_warehouse__contracts.yml").read_text("utf-8")
    )
    assert {m["name"] for m in generated["models"] if m["config"]["contract"]["enforced"]} == set(
        tables
    )
    assert all(c.classification for t in tables.values() for c in t.columns)


def test_analytics_copy_holds_the_warehouse_and_nothing_else(analytics):
    tables = {
        row[0]
        for row in analytics.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        ).fetchall()
    }
    schemas = {
        row[0]
        for row in analytics.execute(
            "SELECT DISTINCT table_schema FROM information_schema.tables"
        ).fetchall()
    }
    assert tables == WAREHOUSE_TABLES | MARTS_AND_CONFIG
    assert schemas == {
        "main"
    }  # staging and intermediate (identity numbers in clear) are not published


def test_no_full_identity_number_in_the_analytics_copy(analytics):
    for table in WAREHOUSE_TABLES | MARTS_AND_CONFIG:
        frame = analytics.execute(f"SELECT * FROM {table}").pl()
        for column, dtype in frame.schema.items():
            if dtype == pl.String:
                values = frame[column].drop_nulls()
                candidates = values.filter(values.str.contains(r"^\d{17}[\dX]$")).to_numpy()
                assert not is_valid_identity_number(candidates).any(), f"{table}.{column}"


def test_every_event_of_every_department_is_placed_in_the_city(analytics):
    # Events come from every department whose feed contracts map records to events.
    vocabulary = shared_vocabulary(contracts_dir())
    assert vocabulary is not None
    index = mapping_index(load_feed_contracts(contracts_dir()), vocabulary)
    departments = {
        row[0]
        for row in analytics.execute("SELECT DISTINCT source_department FROM fct_event").fetchall()
    }
    assert index.event_departments and departments == set(index.event_departments)
    unplaced = analytics.execute("""
        SELECT e.event_key FROM fct_event e
        LEFT JOIN dim_place p USING (place_key)
        LEFT JOIN dim_admin_division c ON c.division_code = p.county_code AND c.level = 'county'
        LEFT JOIN dim_admin_division t ON t.division_code = p.township_code AND t.level = 'township'
                                       AND t.county_code = p.county_code
        WHERE c.division_code IS NULL OR t.division_code IS NULL
           OR NOT (p.longitude BETWEEN 102.95 AND 104.95 AND p.latitude BETWEEN 30.05 AND 31.45)
    """).fetchall()
    assert unplaced == []


def test_events_match_the_valid_source_records(built_city, analytics):
    """Each kind of event is exactly the bronze rows that qualify: nothing lost, nothing invented."""
    bronze = built_city / "lake" / "bronze"

    def rows(department: str, feed: str) -> pl.DataFrame:
        return pl.read_parquet(str(bronze / department / feed / "date=*" / "*.parquet"))

    expected = {
        ("food_inspection_failure", "food_inspections"): rows(
            "market_regulation", "food_inspections"
        )
        .filter(pl.col("result") == "不符合")
        .height,
        ("traffic_accident", "traffic_accidents"): rows(
            "traffic_police", "traffic_accidents"
        ).height,
        ("fire_hazard_finding", "fire_inspections"): rows("fire_rescue", "fire_inspections")
        .filter(pl.col("result") == "发现隐患")
        .height,
        ("hidden_hazard", "hidden_hazards"): rows("emergency_management", "hidden_hazards").height,
        ("work_accident", "work_accidents"): rows("emergency_management", "work_accidents").height,
        ("emission_exceedance", "emission_exceedances"): rows(
            "ecology_environment", "emission_exceedances"
        ).height,
    }
    # By the feed that owns them: a crash a 110 alarm reports is the traffic police's event, and
    # one no owner's record holds (yet) is the alarm's own.
    counts = {
        (event_type, feed): n
        for event_type, feed, n in analytics.execute(
            "SELECT event_type, source_feed, count(*) FROM fct_event GROUP BY 1, 2"
        ).fetchall()
    }
    for key, count in expected.items():
        assert counts.get(key, 0) == count, key


def test_analysts_are_answered_while_a_build_runs(built_city, tmp_path):
    """A rebuild holds the live warehouse; the analytics copy answers all along, from the last good build."""
    analytics = built_city / "analytics.duckdb"
    log = tmp_path / "build.log"

    def events() -> int:
        with duckdb.connect(str(analytics), read_only=True) as connection:
            return connection.execute("SELECT count(*) FROM fct_event").fetchone()[0]

    before = events()

    with log.open("w") as output:
        build = subprocess.Popen(
            # --full-refresh: with nothing new, `safecity run` would build nothing (run_state.py).
            [
                sys.executable,
                "-m",
                "pipelines.cli",
                "run",
                "--full-refresh",
                "--data-dir",
                str(built_city),
            ],
            stdout=output,
            stderr=output,
        )
    answers, saw_locked_warehouse = 0, False
    try:
        while build.poll() is None:
            assert events() == before
            answers += 1
            # While dbt writes, the live file refuses a second process: why analysts use the copy.
            # (Peeking now and then: a peek between two build steps makes the next one wait.)
            if answers % 5 == 0:
                try:
                    duckdb.connect(str(built_city / "warehouse.duckdb"), read_only=True).close()
                except duckdb.IOException:
                    saw_locked_warehouse = True
            time.sleep(0.2)
    finally:
        build.wait(timeout=600)
    assert build.returncode == 0, log.read_text()[-3000:]
    assert answers >= 10
    assert saw_locked_warehouse
    assert events() == before  # the same data, rebuilt and republished


def test_xref_leads_back_to_the_delivered_row_and_exact_keys_never_merge_two_entities(
    built_city, analytics
):
    """Lineage to file and row; and every credit-code or identity-number key is one real entity."""
    xref = analytics.execute("SELECT * FROM xref_source_record").pl()
    assert xref["source_file"].null_count() == 0 and xref["source_row"].null_count() == 0
    links = pl.read_parquet(str(built_city / "ground_truth" / "links" / "*" / "*" / "*.parquet"))
    for kind, matched_on in [("organisation", "credit_code"), ("person", "identity_number")]:
        keyed = xref.filter((pl.col("entity_kind") == kind) & (pl.col("matched_on") == matched_on))
        truth = keyed.join(
            links.filter(pl.col("entity_kind") == kind),
            left_on=["source_file", "source_row", "role"],
            right_on=["file", "row_number", "role"],
        )
        assert truth.height > 50
        # Some records name several entities in one role (an accident's drivers): a key is
        # sound when one real entity appears in every record it was resolved from.
        pairs = truth.select("entity_key", "source_record_id", "entity_id").unique()
        records = pairs.group_by("entity_key").agg(
            pl.col("source_record_id").n_unique().alias("records")
        )
        best = (
            pairs.group_by("entity_key", "entity_id")
            .len()
            .group_by("entity_key")
            .agg(pl.col("len").max().alias("best"))
        )
        unsound = records.join(best, on="entity_key").filter(pl.col("best") < pl.col("records"))
        assert unsound.height == 0, (kind, unsound.head())
