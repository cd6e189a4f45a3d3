"""The 110 alarms (public_security) and the 120 call-outs (health) in the warehouse: every valid
record one event of its national category, placed in the county it gives, and no caller or
patient joined to the shared picture of persons (the contracts keep them sensitive)."""

from __future__ import annotations

import polars as pl
import pytest

FEEDS = {
    ("public_security", "police_alarms"): "social_security",
    ("health", "ambulance_dispatches"): "public_health",
}


def valid_records(city, department: str, feed: str) -> pl.DataFrame:
    folder = city / "ground_truth" / "records" / department / feed
    return pl.read_parquet(folder / "*.parquet").filter(pl.col("invalid_rule").is_null())


@pytest.mark.parametrize(("department", "feed"), list(FEEDS))
def test_every_valid_call_is_one_event_of_its_category(built_city, analytics, department, feed):
    delivered = valid_records(built_city, department, feed)
    assert delivered.height > 0
    # Each is an event, or a report of another department's (a fire, a crash: one incident,
    # one event; test_incidents_and_citizen_reports.py).
    records = analytics.execute(
        "select count(*) from bridge_event_report where source_department = ? and source_feed = ?",
        [department, feed],
    ).fetchone()[0]
    assert records == delivered.height
    events = analytics.execute(
        "select category, county_code, township_code from fct_event "
        "where source_department = ? and source_feed = ?",
        [department, feed],
    ).pl()
    assert 0 < events.height <= delivered.height
    # Calls for help, and the fires and crashes no owner's record holds (yet), are accidents.
    categories = set(events["category"])
    assert categories <= {FEEDS[(department, feed)], "accident_disaster"}
    assert FEEDS[(department, feed)] in categories
    assert events["county_code"].null_count() == 0
    assert events["township_code"].null_count() == 0


def test_all_four_national_categories_have_events(analytics):
    found = {c for (c,) in analytics.execute("select distinct category from fct_event").fetchall()}
    assert found == {"natural_disaster", "accident_disaster", "public_health", "social_security"}


def test_no_caller_or_patient_joins_the_shared_persons(analytics):
    linked = analytics.execute(
        "select count(*) from bridge_event_person join fct_event using (event_key) "
        "where source_department in ('public_security', 'health')"
    ).fetchone()[0]
    assert linked == 0


def test_the_receiving_hospital_is_the_registers_hospital(built_city, analytics):
    hospitals = set(
        pl.read_parquet(built_city / "ground_truth" / "organisations.parquet").filter(
            pl.col("kind") == "hospital"
        )["name"]
    )
    records = str(built_city / "ground_truth" / "records" / "health" / "*" / "*.parquet")
    received = analytics.execute(
        f"""
        select distinct o.name
        from xref_source_record as x
        join dim_organisation as o on o.organisation_key = x.entity_key
        join read_parquet('{records}', union_by_name = true) as r
            on r.file = x.source_file and r.row_number = x.source_row
        where x.entity_kind = 'organisation' and x.role = 'receiving_hospital'
            -- A hospital's name typed with a wrong character and nothing else beside it is
            -- an organisation of its own (a known limit: 第一 and 第二 differ by one too).
            and not list_contains(r.noise, 'name_typo')
        """
    ).fetchall()
    assert received
    assert {name for (name,) in received} <= hospitals
