"""One incident, one event; citizens' 12345 orders classified and placed; on two built cities.

A fire or a crash its owner records (the fire service, the traffic police) is also called in
to 110, 120 and 12345: the warehouse keeps one event per incident, lists every report of it in
bridge_event_report, and is scored against the ground truth's incidents. The 12345 orders
come as free text: their event type is read from the text by the vocabulary's keywords and
their place through the standard-address parser and the register of standard addresses.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.event_eval import (
    RESOLUTION_TARGET,
    TEXT_TARGET,
    score_resolution,
    score_text,
)

RULES = Path(__file__).resolve().parents[2] / "dbt_project/seeds/config/incident_resolution.csv"


@pytest.fixture(scope="module", params=["built_city", "other_built_city"])
def warehouse(request):
    city = request.getfixturevalue(request.param)
    connection = duckdb.connect(str(city / "analytics.duckdb"), read_only=True)
    yield city, connection
    connection.close()


def test_the_reports_of_one_incident_are_one_event(warehouse):
    city, analytics = warehouse
    score = score_resolution(analytics, city / "ground_truth")
    # Reports of incidents exist on both cities: 119 and 122 records and 110/120/12345 calls.
    assert score.mentions > score.entities > 0
    assert score.clusters < score.mentions
    assert score.precision >= RESOLUTION_TARGET, score
    # The target holds on `small` (README); a tiny city has some 35 true pairs, and one 12345
    # order in a caller's own words (OWN_WORDS: its type missed) moves recall by 3 points.
    assert score.recall >= RESOLUTION_TARGET - 0.05, score


def test_a_report_joins_its_owners_event_of_its_type_within_the_rule(warehouse):
    _, analytics = warehouse
    rules = {r["event_type"]: r for r in csv.DictReader(RULES.open(encoding="utf-8"))}
    resolved = analytics.execute(
        """
        select r.reported_type, e.event_type, r.source_department, e.source_department,
               r.minutes_apart, r.metres_apart,
               p.location_source in ('county_centroid', 'city_centroid') as coarse,
               p.county_code = e.county_code as same_county
        from bridge_event_report as r
        join fct_event as e using (event_key)
        join dim_place as p on p.place_key = r.place_key
        where not r.is_event_record
        """
    ).fetchall()
    assert resolved, "no report was resolved into another record's event"
    for reported, event_type, reporter, owner, minutes, metres, coarse, same_county in resolved:
        rule = rules[event_type]
        assert reported == event_type
        assert reporter != owner
        assert minutes <= int(rule["within_minutes"])
        # A report placed only to its county joins the one event of its county in the window.
        assert same_county if coarse else metres <= float(rule["within_metres"])


def test_every_event_counts_its_reports_and_every_record_is_one_row(warehouse):
    _, analytics = warehouse
    mismatched = analytics.execute(
        """
        select count(*) from fct_event as e
        join (select event_key, count(*) as n from bridge_event_report group by event_key) as b
            using (event_key)
        where e.reports != b.n
        """
    ).fetchone()[0]
    assert mismatched == 0
    events, own = analytics.execute(
        "select (select count(*) from fct_event), "
        "(select count(*) from bridge_event_report where is_event_record)"
    ).fetchone()
    assert events == own
    several = analytics.execute("select count(*) from fct_event where reports > 1").fetchone()[0]
    assert several > 0


def test_a_resolved_reports_organisation_belongs_to_the_incidents_event(warehouse):
    # bridge_event_organisation follows the report into the event it reports.
    _, analytics = warehouse
    orphans = analytics.execute(
        "select count(*) from bridge_event_organisation where event_key not in "
        "(select event_key from fct_event)"
    ).fetchone()[0]
    assert orphans == 0


def test_citizens_orders_are_classified_and_placed_in_their_township(warehouse):
    city, analytics = warehouse
    score = score_text(analytics, city / "ground_truth")
    assert score is not None and score.orders > 30
    assert score.accuracy >= TEXT_TARGET, score
    assert score.township_accuracy >= TEXT_TARGET, score
    types = {
        t
        for (t,) in analytics.execute(
            "select distinct reported_type from bridge_event_report "
            "where source_feed = 'hotline_reports'"
        ).fetchall()
    }
    # Not one type for all: the text decides, and what no keyword names is a citizen_report.
    assert len(types) >= 4 and "citizen_report" in types
