"""Alarm episodes of sensor_alarms on crafted readings: a run of sound readings that meet a rule
for its hold, ended by a reading that does not or by a silence longer than the device type's
offline_after_minutes (seeds/config/sensor_device_types.csv: 30 for a gas detector)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.marts.dbt_harness import build_models, config_seed

START = datetime(2026, 10, 1, 10, 0)
# combustible_gas_first_alarm: lel above 25 for 10 minutes. (device, minutes after START, lel,
# and how the reading is flagged, if it is: not sound, it is passed over)
READINGS = [
    # Over the threshold for 30 minutes: one alarm. Back two hours later, still over it, for 5
    # minutes: the silence (past 30 minutes offline) ended the episode, and 5 minutes do not hold.
    *[("GAS1", m, 40.0) for m in range(0, 35, 5)],
    *[("GAS1", m, 40.0) for m in (150, 155)],
    # A 20-minute gap (under 30): the same episode, 10:00 to 10:25.
    *[("GAS2", m, 40.0) for m in (0, 5, 25)],
    # Falls under the threshold at 10:10: 10 minutes over it, then a new run too short to alarm.
    *[("GAS3", m, v) for m, v in ((0, 30.0), (5, 30.0), (10, 30.0), (15, 10.0), (20, 30.0))],
    # Out of range first, then over the threshold from 10:05 to 10:25 with a spike at 10:15: the
    # readings either side of the spike are consecutive sound ones, so one episode of 20 minutes.
    ("GAS4", 0, 99.0, "out_of_range"),
    *[("GAS4", m, 40.0) for m in (5, 10)],
    ("GAS4", 15, 90.0, "spike"),
    *[("GAS4", m, 40.0) for m in (20, 25)],
]


def _reading(device: str, minutes: int, value: float, flag: str | None = None) -> str:
    at = START + timedelta(minutes=minutes)
    return f"('{device}', TIMESTAMPTZ '{at}+08:00', {value}, {flag == 'out_of_range'}, {flag == 'spike'})"


def _flags_sql() -> str:
    rows = ", ".join(_reading(*reading) for reading in READINGS)
    return f"""
        SELECT 'emergency_management' AS source_department, device_id,
            'combustible_gas_detector' AS device_type, 'HS1' AS asset_id,
            'hazard_installation' AS asset_type, 104.0 AS longitude, 30.6 AS latitude,
            device_id || epoch(reading_at) AS message_id, 'B1' AS batch_id, reading_at AS pushed_at,
            'sensor_telemetry:' || device_id || '/' || epoch(reading_at) AS source_record_id,
            DATE '2026-10-01' AS delivery_date, 'lel' AS measure, value, '%LEL' AS unit,
            reading_at AS measured_at, 0.0 AS skew_minutes, false AS clock_skewed, reading_at,
            out_of_range, NULL::DOUBLE AS spike_delta, NULL::DOUBLE AS flatline_minutes,
            1::BIGINT AS flat_run, spike, false AS flatline,
            row_number() OVER (PARTITION BY device_id ORDER BY reading_at) AS reading_seq
        FROM (VALUES {rows}) AS r(device_id, reading_at, value, out_of_range, spike)
    """


def test_an_episode_ends_when_the_rule_is_no_longer_met_or_the_device_falls_silent(tmp_path):
    connection = build_models(
        tmp_path,
        {
            "main.sensor_alarm_rules": config_seed("sensor_alarm_rules"),
            "main.sensor_device_types": config_seed("sensor_device_types"),
            "intermediate.int_sensor_reading_flags": _flags_sql(),
        },
        ["sensor_alarms"],
    )
    alarms = connection.execute(
        """select device_id, rule_id, timezone('Asia/Shanghai', started_at)::varchar,
        minutes, readings from main.sensor_alarms order by device_id, started_at"""
    ).fetchall()
    connection.close()
    assert alarms == [
        ("GAS1", "combustible_gas_first_alarm", "2026-10-01 10:00:00", 30.0, 7),
        ("GAS2", "combustible_gas_first_alarm", "2026-10-01 10:00:00", 25.0, 3),
        ("GAS3", "combustible_gas_first_alarm", "2026-10-01 10:00:00", 10.0, 3),
        ("GAS4", "combustible_gas_first_alarm", "2026-10-01 10:05:00", 20.0, 4),
    ]
