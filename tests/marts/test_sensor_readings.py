"""int_sensor_readings built by delivery day: a daily build reads the new day's pushes only, and
numbers re-sent copies as a full build does, also when a push delivered late comes before a copy
kept from an earlier day (that day is built again)."""

from __future__ import annotations

import duckdb

from tests.marts.dbt_harness import build_models, config_seed, run_models

COLUMNS = "device_id, measure, measured_at, message_id, delivery_date, copy"


def _push(message: str, pushed: str, measured: str, delivery: str, value: float = 30.0) -> str:
    return f"""SELECT 'emergency_management' AS source_department, 'GAS1' AS device_id,
        'combustible_gas_detector' AS device_type, 'HS1' AS asset_id,
        'hazard_installation' AS asset_type, 104.0 AS longitude, 30.6 AS latitude,
        '{message}' AS message_id, 'B1' AS batch_id, TIMESTAMPTZ '{pushed}+08:00' AS pushed_at,
        'sensor_telemetry:GAS1/{message}' AS source_record_id, DATE '{delivery}' AS delivery_date,
        [{{'measure': 'lel', 'value': {value}, 'unit': '%LEL',
          'measured_at': TIMESTAMPTZ '{measured}+08:00'}}] AS measures"""


FIRST_DAYS = [
    _push("S1", "2026-10-01 09:01:00", "2026-10-01 09:00:00", "2026-10-01"),
    _push("B", "2026-10-01 10:06:00", "2026-10-01 10:05:00", "2026-10-01"),
    _push("A", "2026-10-02 10:01:00", "2026-10-02 10:00:00", "2026-10-02"),
    # S1's reading re-sent, delivered the next day: the second copy
    _push("S2", "2026-10-02 00:30:00", "2026-10-01 09:00:00", "2026-10-02"),
    _push("C", "2026-10-03 10:01:00", "2026-10-03 10:00:00", "2026-10-03"),
]
NEW_DAY = [
    # pushed before A, of A's reading, but delivered two days later: it is the first copy, and
    # A's day is built again (S2 there still counts S1, kept from a day not built again)
    _push("Z", "2026-10-02 10:00:30", "2026-10-02 10:00:00", "2026-10-04"),
    # B's reading re-sent after B: the second copy
    _push("Y", "2026-10-02 10:09:00", "2026-10-01 10:05:00", "2026-10-04"),
    _push("D", "2026-10-04 10:01:00", "2026-10-04 10:00:00", "2026-10-04"),
]


def _readings(connection: duckdb.DuckDBPyConnection) -> list[tuple]:
    return connection.execute(
        f"select {COLUMNS} from intermediate.int_sensor_readings order by message_id"
    ).fetchall()


def _run(tmp_path, *options: str) -> list[tuple]:
    run_models(tmp_path, ["int_sensor_readings"], *options)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        return _readings(connection)


def test_a_daily_build_numbers_copies_as_a_full_build_does(tmp_path):
    build_models(
        tmp_path,
        {
            "main.sensor_device_types": config_seed("sensor_device_types"),
            "main.sensor_measures": config_seed("sensor_measures"),
            "intermediate.int_shared__sensor_telemetry": " UNION ALL ".join(FIRST_DAYS),
        },
        ["int_sensor_readings"],
    ).close()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        connection.execute(
            "INSERT INTO intermediate.int_shared__sensor_telemetry " + " UNION ALL ".join(NEW_DAY)
        )

    daily = _run(tmp_path)
    full = _run(tmp_path, "--full-refresh")

    assert daily == full
    copies = {row[3]: row[5] for row in daily}
    assert copies == {"A": 2, "B": 1, "C": 1, "D": 1, "S1": 1, "S2": 2, "Y": 2, "Z": 1}
