"""Offline periods of sensor_health on crafted readings: a push of several measures is one push,
and a device is offline from a push after which it was silent longer than its type's
offline_after_minutes (seeds/config/sensor_device_types.csv: 30 for a gas detector), to its
next push or to the end of the data."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.marts.dbt_harness import build_models, config_seed

START = datetime(2026, 10, 1, 10, 0)
BOTH = ("lel", "temperature")
# (device, minutes after START of a push, the measures it carries)
PUSHES = [
    # silent 10:05-11:00 (55 minutes): offline once, however many measures each push holds
    *[("GAS1", m, BOTH) for m in (0, 5, 60, 80, 100)],
    # a push every 25 minutes, each measure every 50: the device is never silent 30 minutes
    *[("GAS2", m, ("lel",) if m % 50 == 0 else ("temperature",)) for m in (0, 25, 50, 75, 100)],
    # silent from 10:10 to the end of the data (the last push, 11:40)
    *[("GAS3", m, BOTH) for m in (0, 5, 10)],
]


def _readings_sql() -> str:
    rows = ", ".join(
        f"('{device}', TIMESTAMPTZ '{START + timedelta(minutes=minutes)}+08:00', '{measure}')"
        for device, minutes, measures in PUSHES
        for measure in measures
    )
    return f"""
        SELECT 'emergency_management' AS source_department, device_id,
            'combustible_gas_detector' AS device_type, 'HS1' AS asset_id,
            'hazard_installation' AS asset_type, 104.0 AS longitude, 30.6 AS latitude,
            device_id || epoch(pushed_at) AS message_id, 'B1' AS batch_id, pushed_at,
            'sensor_telemetry:' || device_id || '/' || epoch(pushed_at) AS source_record_id,
            DATE '2026-10-01' AS delivery_date, measure, 10.0 AS value, '%LEL' AS unit,
            pushed_at AS measured_at, 0.0 AS skew_minutes, false AS clock_skewed,
            pushed_at AS reading_at, 1::BIGINT AS copy, false AS out_of_range
        FROM (VALUES {rows}) AS r(device_id, pushed_at, measure)
    """


def _flags_sql() -> str:
    return """
        SELECT * EXCLUDE (copy), NULL::DOUBLE AS spike_delta, NULL::DOUBLE AS flatline_minutes,
            row_number() OVER (PARTITION BY device_id, measure ORDER BY reading_at) AS reading_seq,
            1::BIGINT AS flat_run, false AS spike, false AS flatline
        FROM intermediate.int_sensor_readings
    """


def test_a_device_is_offline_once_per_silence_past_its_threshold(tmp_path):
    connection = build_models(
        tmp_path,
        {
            "main.sensor_device_types": config_seed("sensor_device_types"),
            "intermediate.int_sensor_readings": _readings_sql(),
            "intermediate.int_sensor_reading_flags": _flags_sql(),
        },
        ["sensor_health"],
    )
    offline = connection.execute(
        """select device_id, timezone('Asia/Shanghai', started_at)::varchar,
        timezone('Asia/Shanghai', ended_at)::varchar, minutes
        from main.sensor_health where fault_kind = 'offline' order by device_id, started_at"""
    ).fetchall()
    faults = connection.execute(
        "select count(*) from main.sensor_health where fault_kind <> 'offline'"
    ).fetchone()
    connection.close()
    assert offline == [
        ("GAS1", "2026-10-01 10:05:00", "2026-10-01 11:00:00", 55.0),
        ("GAS3", "2026-10-01 10:10:00", "2026-10-01 11:40:00", 90.0),
    ]
    assert faults == (0,)
