"""The hospitals' daily bed reports (health/hospital_beds): every valid report's hospital is one
organisation of the warehouse, a true hospital, the same one the 120 call-outs take patients to;
its latest report gives its figures among the emergency resources; and the reports a hospital got
wrong are quarantined with the rule they break."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.lib.contracts import load_feed_contracts
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.ingest.ingest import ingest_deliveries
from pipelines.sample_city.generate import generate_city

FEED = ("health", "hospital_beds")


def truth(city, feed: str, kind: str) -> pl.DataFrame:
    return pl.read_parquet(city / "ground_truth" / kind / "health" / feed / "*.parquet")


def resolved(city, analytics, feed: str, role: str) -> pl.DataFrame:
    """Each organisation mention of `role` in a health feed: its key, and the truth behind it
    (the true organisation, and the noise of its record)."""
    xref = analytics.execute(
        "select source_file as file, source_row as row_number, role, entity_key "
        "from xref_source_record where entity_kind = 'organisation' and source_feed = ? "
        "and role = ?",
        [feed, role],
    ).pl()
    links = truth(city, feed, "links").select("file", "row_number", "role", "entity_id")
    records = truth(city, feed, "records").select("file", "row_number", "noise")
    return xref.join(links, on=["file", "row_number", "role"], how="left").join(
        records, on=["file", "row_number"], how="left"
    )


def test_every_valid_report_names_one_true_hospital(built_city, analytics):
    valid = truth(built_city, "hospital_beds", "records").filter(pl.col("invalid_rule").is_null())
    reports = resolved(built_city, analytics, "hospital_beds", "reporting_hospital")
    assert reports.height == valid.height > 0
    hospitals = pl.read_parquet(built_city / "ground_truth" / "organisations.parquet").filter(
        pl.col("kind") == "hospital"
    )
    assert reports["entity_id"].is_in(hospitals["org_id"].implode()).all()
    # A key is never two hospitals.
    pairs = reports.select("entity_key", "entity_id").unique()
    assert pairs["entity_key"].n_unique() == pairs.height
    # A hospital is one key whatever name variant its clerk typed; a typo with no credit code
    # beside it is no evidence enough (linkage leaves it an organisation of its own).
    typo_alone = pl.col("noise").list.contains("name_typo") & pl.col("noise").list.contains(
        "missing_uscc"
    )
    sound = reports.filter(~typo_alone).select("entity_key", "entity_id").unique()
    assert sound["entity_id"].n_unique() == sound.height
    types = analytics.execute(
        "select distinct organisation_type from dim_organisation where organisation_key in "
        "(select entity_key from xref_source_record where source_feed = 'hospital_beds')"
    ).fetchall()
    assert types == [("hospital",)]


def test_the_call_outs_receiving_hospital_is_the_reporting_hospital(built_city, analytics):
    reporting = (
        resolved(built_city, analytics, "hospital_beds", "reporting_hospital")
        .select("entity_id", pl.col("entity_key").alias("reporting_key"))
        .unique()
    )
    received = resolved(built_city, analytics, "ambulance_dispatches", "receiving_hospital").join(
        reporting, on="entity_id"
    )
    assert received.height > 0
    # A hospital named right (or as a variant of its name) is the one that reports its beds; a
    # name with a typo and nothing else beside it is no evidence enough to say which it is.
    typed_right = received.filter(~pl.col("noise").list.contains("name_typo"))
    assert typed_right.height > 0
    assert (typed_right["entity_key"] == typed_right["reporting_key"]).all(), typed_right


def test_a_hospitals_latest_report_gives_its_figures(built_city, analytics):
    bronze = pl.read_parquet(
        built_city / "lake" / "bronze" / "health" / "hospital_beds" / "*" / "*.parquet"
    ).rename({"_source_file": "file", "_source_row": "row_number"})
    keys = resolved(built_city, analytics, "hospital_beds", "reporting_hospital")
    latest = (
        bronze.join(keys, on=["file", "row_number"])
        .sort("report_date", "report_id")
        .group_by("entity_key")
        .last()
    )
    resources = analytics.execute(
        "select resource_key as entity_key, capacity, people_served, detail "
        "from emergency_resources where resource_kind = 'hospital'"
    ).pl()
    figures = latest.join(resources, on="entity_key")
    assert figures.height == latest.height > 0
    assert (figures["capacity"] == figures["open_beds"]).all()
    assert (figures["people_served"] == figures["occupied_beds"]).all()
    assert figures["detail"].str.contains("ICU空床").all()


@pytest.fixture(scope="module")
def two_days_of_reports(tmp_path_factory) -> DataDir:
    """The small city's first two days, its bed reports ingested: its some 190 hospitals report
    enough rows for every planted rule (the tiny city's few hospitals may break none)."""
    root = tmp_path_factory.mktemp("hospital_beds") / "city"
    generate_city(root, scale="small", seed=42, days=2)
    data = DataDir(root)
    contract = load_feed_contracts(Path("contracts"))[FEED]
    days = sorted(contract.landing.day_of(p.name) for p in data.landing_feed(*FEED).iterdir())
    for ingested in ingest_deliveries(data, contract, days, connect()):
        assert ingested.accounted
    return data


def test_planted_invalid_reports_are_quarantined_with_their_rule(two_days_of_reports):
    data = two_days_of_reports
    records = pl.read_parquet(data.ground_truth / "records" / "health" / "hospital_beds" / "*")
    quarantined = pl.read_parquet(
        str(data.quarantine / "health" / "hospital_beds" / "*" / "*.parquet")
    ).rename({"_source_file": "file", "_source_row": "row_number"})
    joined = records.join(
        quarantined.select("file", "row_number", "rule").unique(),
        on=["file", "row_number"],
        how="left",
    )
    planted = joined.filter(pl.col("invalid_rule").is_not_null())
    assert set(planted["invalid_rule"]) >= {
        "occupied_within_open",
        "value_out_of_range",
        "uscc_check",
    }
    assert (planted["rule"] == planted["invalid_rule"]).all(), planted
    false_alarms = joined.filter(pl.col("invalid_rule").is_null() & pl.col("rule").is_not_null())
    assert false_alarms.height == 0, false_alarms
