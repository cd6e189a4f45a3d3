"""Sensing on the tiny city: IoT telemetry judged by the alarm and sensor-health rules
(seeds/config/sensor_*.csv), and the traffic detectors by the congestion rule, against the
sample city's ground truth (pipelines/sample_city/telemetry.py plants incidents and faults).

Every test runs on both cities the suite builds: Chengdu (seed 42), whose telemetry is
delivered as a file a day, and Wenzhou (seed 7), whose telemetry comes as the IoT platforms push
it, a file per 5-minute window (the contracts' `windowFile`, ingested window by window and
compacted). A tiny city plants at least one incident per telemetry feed and, between its two
feeds, every fault kind; the guaranteed flat line is stuck past its measure's alarm threshold,
so only sensor health keeps it from alarming.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest
from lxml import etree

from pipelines.lib.alerts.cap import cap_schema
from pipelines.lib.sensing_eval import FALSE_ALARMS_TARGET, RECALL_TARGET, evaluate

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project/seeds/config"
SENSOR_RULES = {
    "hazard_installation": "hazard_installation_sensor_alarm",
    "lifeline_asset": "lifeline_sensor_alarm",
}


# The delivery file each city's telemetry comes in (the contracts' `file` and `windowFile`).
DELIVERIES = {
    "built_city": re.compile(r"sensor_telemetry_\d{8}\.jsonl"),
    "other_built_city": re.compile(r"sensor_telemetry_\d{8}_\d{4}\.jsonl"),
}


@pytest.fixture(scope="module", params=sorted(DELIVERIES), ids=["daily_files", "window_files"])
def sensed_city(request) -> tuple[Path, re.Pattern[str]]:
    """A built tiny city and the name its telemetry files have."""
    return request.getfixturevalue(request.param), DELIVERIES[request.param]


@pytest.fixture(scope="module")
def built(sensed_city) -> Path:
    return sensed_city[0]


@pytest.fixture(scope="module")
def analytics(built):
    connection = duckdb.connect(str(built / "analytics.duckdb"), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def truth(built):
    return lambda name: pl.read_parquet(built / "ground_truth" / f"{name}.parquet")


def rows(connection, sql: str, *params) -> list[tuple]:
    return connection.execute(sql, list(params)).fetchall()


def planted_incidents(truth) -> pl.DataFrame:
    """The planted incidents with the kind of asset each device watches."""
    return truth("sensor_incidents").join(
        truth("sensor_devices").select("device_id", "asset_type"), on="device_id"
    )


def warning_rule(incident: dict) -> str:
    """The warning rule that warns of an incident at its device's asset."""
    kind = (
        "hazard_installation"
        if incident["asset_type"] == "hazard_installation"
        else "lifeline_asset"
    )
    return SENSOR_RULES[kind]


def alarm_rules() -> list[dict[str, str]]:
    with (SEEDS / "sensor_alarm_rules.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_evaluation_against_ground_truth(built):
    score = evaluate(built)
    assert score.incidents >= 2, "each telemetry feed plants an incident"
    assert score.recall >= RECALL_TARGET, score.missed_incidents
    assert score.false_alarms_per_1000_device_days <= FALSE_ALARMS_TARGET, score.false_alarm_ids
    assert score.faulty_devices >= 6 and score.faulty_listed_share == 1.0, score.unlisted_faults
    assert score.congestions >= 1 and score.congestion_recall == 1.0
    assert score.congestion_false_episodes == 0


def test_faulty_sensors_are_listed_and_do_not_alarm(analytics, truth):
    faults = truth("sensor_faults")
    assert set(faults["fault_kind"]) >= {"offline", "flatline", "spike", "out_of_range"}
    incident_devices = set(truth("sensor_incidents")["device_id"])
    for fault in faults.iter_rows(named=True):
        assert fault["device_id"] not in incident_devices  # one truth per device
        listed = rows(
            analytics,
            "select fault_kind from sensor_health where device_id = ?",
            fault["device_id"],
        )
        assert (fault["fault_kind"],) in listed, fault
        alarms = rows(
            analytics,
            "select alarm_id from sensor_alarms where device_id = ? and severity = 'incident'",
            fault["device_id"],
        )
        assert alarms == [], fault


def test_a_flat_line_past_the_threshold_would_alarm_without_sensor_health(built, truth):
    """The planted flat line holds a value over its rule's threshold for over an hour: only
    its being flat keeps it out of sensor_alarms."""
    flat = truth("sensor_faults").filter(pl.col("fault_kind") == "flatline").row(0, named=True)
    with duckdb.connect(str(built / "warehouse.duckdb"), read_only=True) as warehouse:
        device_type, value, minutes = rows(
            warehouse,
            """select device_type, max(value), epoch(max(reading_at) - min(reading_at)) / 60
            from intermediate.int_sensor_reading_flags
            where device_id = ? and measure = ? and flatline
            group by device_type order by 2 desc limit 1""",
            flat["device_id"],
            flat["measure"],
        )[0]
    rule = next(
        r
        for r in alarm_rules()
        if r["device_type"] == device_type and r["measure"] == flat["measure"]
    )
    assert rule["condition"] == "above" and value > float(rule["threshold"])
    assert minutes >= float(rule["hold_minutes"])


def test_a_planted_leak_alarms_and_becomes_a_schema_valid_cap_alert(built, analytics, truth):
    incidents = planted_incidents(truth)
    hazard = incidents.filter(pl.col("department") == "emergency_management")
    assert hazard.height >= 1
    for incident in incidents.iter_rows(named=True):
        alarm = rows(
            analytics,
            """select rule_id, peak from sensor_alarms
            where device_id = ? and measure = ? and severity = 'incident'""",
            incident["device_id"],
            incident["measure"],
        )
        assert alarm, incident
        warned = rows(
            analytics,
            """select m.message_id from warning_messages as m
            join dim_object as o on o.object_key = m.subject_key
            where m.rule_id = ? and o.code = ? and m.msg_type = 'Alert'""",
            warning_rule(incident),
            incident["asset_id"],
        )
        assert warned, incident
        (message_id,) = warned[0]
        alert = built / "alerts" / f"{message_id}.xml"
        assert alert.is_file(), message_id
        assert cap_schema().validate(etree.parse(str(alert)))


def test_a_leak_s_alarm_is_traced_to_the_push_it_was_delivered_in(sensed_city, analytics, truth):
    """From the alarm event back to the landing file and line of the push that sounded it: a
    day's file in one city, the 5-minute window's file in the other (compaction keeps it)."""
    built, delivery = sensed_city
    for incident in planted_incidents(truth).iter_rows(named=True):
        sources = rows(
            analytics,
            """select source_file, source_row from xref_source_record
            where role = 'sensor_alarm' and source_department = ?
            and source_record_id like 'sensor_telemetry:' || ? || '/%'""",
            incident["department"],
            incident["device_id"],
        )
        assert sources, incident
        for source_file, source_row in sources:
            path = built / source_file
            assert delivery.fullmatch(path.name), source_file
            push = json.loads(path.read_text("utf-8").splitlines()[source_row - 1])
            assert push["deviceId"] == incident["device_id"], (source_file, source_row)
            assert incident["measure"] in {m["code"] for m in push["measures"]}, push


def test_a_leak_that_stays_keeps_its_warning_in_force_until_the_data_ends(analytics, truth):
    # The generator starts every incident at least a day before the telemetry ends and keeps it
    # up to the end: each one's warning is renewed day after day, and never cancelled.
    incidents = planted_incidents(truth)
    last_day = max(incidents["ended_at"]).date()
    staying = incidents.filter(
        (pl.col("ended_at").dt.date() == last_day) & (pl.col("started_at").dt.date() < last_day)
    )
    assert staying.height >= 1
    for incident in staying.iter_rows(named=True):
        thread = rows(
            analytics,
            """select m.msg_type, m.as_of_date from warning_messages as m
            join dim_object as o on o.object_key = m.subject_key
            where m.rule_id = ? and o.code = ? order by m.as_of_date""",
            warning_rule(incident),
            incident["asset_id"],
        )
        assert thread and thread[0][0] == "Alert", (incident, thread)
        assert "Cancel" not in [msg_type for msg_type, _ in thread], (incident, thread)
        in_force = rows(
            analytics,
            """select w.as_of_date from warnings as w
            join dim_object as o on o.object_key = w.subject_key
            where w.rule_id = ? and o.code = ?""",
            warning_rule(incident),
            incident["asset_id"],
        )
        assert in_force, (incident, thread)
