"""An incident another department reported before its owner's record arrived (late) was known
from the report's delivery: fct_event.first_delivery_date, the day the warning rules count it
from. Without it, the owner's late record moved the event to its own delivery day, and the
warnings already sent for the days between vanished from the restated history (seen on the
large city: four published CAP messages of an accident cluster removed by a daily update)."""

from __future__ import annotations

import pytest

from tests.marts.dbt_harness import build_models, config_seed

PLACE = "G:104.05045,30.70212"
COLUMNS = (
    "event_key, event_type, category, severity, occurred_at, delivery_date, place_key, "
    "county_code, township_code, grid_cell_id, deaths, injuries, description, due_date, "
    "resolved_date, major_hazard, source_department, source_feed, source_record_id"
)


def record(feed: str, department: str, record_id: str, occurred: str, delivered: str) -> str:
    return (
        f"('{feed}:{record_id}', 'traffic_accident', 'traffic', NULL::VARCHAR, "
        f"TIMESTAMPTZ '{occurred}+08', DATE '{delivered}', '{PLACE}', '510106', '510106042', "
        "'510106042-068110', 0::BIGINT, 1::BIGINT, 'crash', NULL::DATE, NULL::DATE, false, "
        f"'{department}', '{feed}', '{feed}:{record_id}')"
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    records = [
        # the 110 alarm, delivered the day it came in
        record("police_alarms", "public_security", "110-1", "2026-11-18 05:40:00", "2026-11-18"),
        # the traffic police's own record of that crash, delivered ten days late
        record("traffic_accidents", "traffic_police", "SG-1", "2026-11-18 05:36:00", "2026-11-28"),
        # a crash of its own, reported by no one else
        record("traffic_accidents", "traffic_police", "SG-2", "2026-11-20 09:00:00", "2026-11-20"),
    ]
    parents = {
        "main.incident_resolution": config_seed("incident_resolution"),
        "intermediate.int_events_placed": f"SELECT * FROM (VALUES {', '.join(records)}) "
        f"AS t({COLUMNS})",
        "main.dim_place": f"SELECT '{PLACE}' AS place_key, 104.05045::DOUBLE AS longitude, "
        "30.70212::DOUBLE AS latitude, '510106' AS county_code, 'delivered' AS location_source",
    }
    connection = build_models(
        tmp_path_factory.mktemp("first_delivery"),
        parents,
        ["int_event_reports", "fct_event", "int_warning_rule_days"],
    )
    yield connection
    connection.close()


def test_an_event_is_known_from_the_first_delivery_of_any_of_its_records(warehouse):
    rows = warehouse.execute(
        "SELECT source_record_id, delivery_date::VARCHAR, first_delivery_date::VARCHAR, reports "
        "FROM main.fct_event ORDER BY source_record_id"
    ).fetchall()
    assert rows == [
        ("traffic_accidents:SG-1", "2026-11-28", "2026-11-18", 2),
        ("traffic_accidents:SG-2", "2026-11-20", "2026-11-20", 1),
    ]


def test_the_warning_rules_start_on_the_day_of_the_first_report(warehouse):
    """The first event's own record arrived on 11-20, but the alarm reporting the other crash
    on 11-18: the rules are evaluated from 11-18 to the latest delivery, 11-28."""
    days = warehouse.execute(
        "SELECT min(as_of_date)::VARCHAR, max(as_of_date)::VARCHAR, count(*) "
        "FROM intermediate.int_warning_rule_days"
    ).fetchone()
    assert days == ("2026-11-18", "2026-11-28", 11)
