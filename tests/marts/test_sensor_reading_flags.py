"""int_sensor_reading_flags built by series from where it changed: a daily build gives the rows a
full build gives, when a run of one value goes on across days, a reading arrives late inside a
series, a late push displaces a kept copy, and a day delivered again drops a device's readings."""

from __future__ import annotations

import duckdb

from tests.marts.dbt_harness import build_models, config_seed, run_models

MODELS = ["int_sensor_readings", "int_sensor_reading_flags"]
COLUMNS = (
    "device_id, measure, measured_at, message_id, value, reading_seq, flat_run, spike, flatline"
)


def _push(
    device: str, message: str, measured: str, value: float, delivery: str, pushed: str = ""
) -> str:
    """A combustible gas detector's push of one LEL reading (flat line 60 min, spike 20)."""
    return f"""SELECT 'emergency_management' AS source_department, '{device}' AS device_id,
        'combustible_gas_detector' AS device_type, 'HS1' AS asset_id,
        'hazard_installation' AS asset_type, 104.0 AS longitude, 30.6 AS latitude,
        '{message}' AS message_id, 'B1' AS batch_id,
        TIMESTAMPTZ '2026-10-01 {pushed or measured}+08:00' + INTERVAL 30 SECOND AS pushed_at,
        'sensor_telemetry:{device}/{message}' AS source_record_id, DATE '{delivery}' AS delivery_date,
        [{{'measure': 'lel', 'value': {value}, 'unit': '%LEL',
          'measured_at': TIMESTAMPTZ '2026-10-01 {measured}+08:00'}}] AS measures"""


BUILT = [
    # GAS1: a run of 30 from 09:20 that goes on into the next days
    _push("GAS1", "A", "09:00:00", 10, "2026-10-01"),
    _push("GAS1", "B", "09:20:00", 30, "2026-10-01"),
    _push("GAS1", "C", "09:40:00", 30, "2026-10-01"),
    _push("GAS1", "D", "10:00:00", 30, "2026-10-01"),
    _push("GAS1", "E", "10:20:00", 30, "2026-10-02"),
    _push("GAS1", "F", "10:40:00", 90, "2026-10-02"),
    # GAS2: its first reading is re-sent later, by a push that came first
    _push("GAS2", "P", "09:00:00", 10, "2026-10-01"),
    _push("GAS2", "Q", "09:05:00", 10, "2026-10-01"),
    _push("GAS2", "R", "09:10:00", 50, "2026-10-01"),
    # GAS3: only in the day delivered again, which no longer holds it
    _push("GAS3", "X", "09:00:00", 10, "2026-10-02"),
    _push("GAS3", "Y", "09:30:00", 10, "2026-10-02"),
    # GAS5: its first run of one value goes on into the new day
    _push("GAS5", "S", "09:00:00", 10, "2026-10-01"),
    _push("GAS5", "T", "09:20:00", 10, "2026-10-01"),
    # GAS4: not touched by the new day
    _push("GAS4", "K", "09:00:00", 10, "2026-10-01"),
    _push("GAS4", "L", "09:05:00", 60, "2026-10-01"),
    _push("GAS4", "M", "09:10:00", 10, "2026-10-01"),
]

# 2026-10-02 delivered again without GAS3, and 2026-10-03
REDELIVERED = "2026-10-02"
NEW = [
    _push("GAS1", "E", "10:20:00", 30, "2026-10-02"),
    _push("GAS1", "F", "10:40:00", 90, "2026-10-02"),
    # F becomes a spike: lower neighbours on both sides
    _push("GAS1", "G", "11:00:00", 30, "2026-10-03"),
    # late: between D and E, in the run of 30
    _push("GAS1", "H", "10:10:00", 30, "2026-10-03"),
    # P's reading, pushed before P: the first copy now
    _push("GAS2", "P0", "09:00:00", 10, "2026-10-03", pushed="08:59:00"),
    _push("GAS5", "U", "09:40:00", 10, "2026-10-03"),
    _push("GAS5", "V", "10:00:00", 10, "2026-10-03"),
]


def _flags(tmp_path, *options: str) -> list[tuple]:
    run_models(tmp_path, MODELS, *options)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(
            f"select {COLUMNS} from intermediate.int_sensor_reading_flags order by device_id, measured_at"
        ).fetchall()


def test_a_daily_build_flags_readings_as_a_full_build_does(tmp_path, monkeypatch):
    build_models(
        tmp_path,
        {
            "main.sensor_device_types": config_seed("sensor_device_types"),
            "main.sensor_measures": config_seed("sensor_measures"),
            "intermediate.int_shared__sensor_telemetry": " UNION ALL ".join(BUILT),
        },
        MODELS,
    ).close()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        before = connection.execute(
            "select message_id, flatline, spike from intermediate.int_sensor_reading_flags"
        ).fetchall()
        connection.execute(
            f"DELETE FROM intermediate.int_shared__sensor_telemetry WHERE delivery_date = DATE '{REDELIVERED}'"
        )
        connection.execute(
            "INSERT INTO intermediate.int_shared__sensor_telemetry " + " UNION ALL ".join(NEW)
        )
    # before the new day: B to E last exactly 60 minutes, a flat line; F is last, no spike
    assert {m: (flat, spike) for m, flat, spike in before}["F"] == (False, False)
    assert {m for m, flat, _ in before if flat} == {"B", "C", "D", "E"}

    # as the pipeline says when the day's bronze partition was written again
    monkeypatch.setenv("SAFECITY_REPROCESS_SINCE", REDELIVERED)
    daily = _flags(tmp_path)
    monkeypatch.delenv("SAFECITY_REPROCESS_SINCE")
    full = _flags(tmp_path, "--full-refresh")

    assert daily == full
    by_message = {row[3]: row for row in daily}
    assert set(by_message) == {
        "A",
        "B",
        "C",
        "D",
        "H",
        "E",
        "F",
        "G",
        "P0",
        "Q",
        "R",
        "K",
        "L",
        "M",
        "S",
        "T",
        "U",
        "V",
    }
    # numbered on across the change, one run of 30 from B to H and E
    assert [by_message[m][5] for m in ["A", "B", "C", "D", "H", "E", "F", "G"]] == [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
    ]
    assert {by_message[m][6] for m in ["B", "C", "D", "H", "E"]} == {2}
    assert by_message["F"][7] and not by_message["L"][8]
    assert by_message["L"][7]  # the untouched series keeps its spike
    # S to V: one value for 60 minutes, two days apart
    assert all(by_message[m][8] for m in ["S", "T", "U", "V"])

    # a measure's thresholds changed: every reading of its series is flagged again
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        connection.execute(
            "UPDATE main.sensor_measures SET spike_delta = 55, flatline_minutes = 90 "
            "WHERE device_type = 'combustible_gas_detector' AND measure = 'lel'"
        )
    retuned = _flags(tmp_path)
    assert retuned == _flags(tmp_path, "--full-refresh")
    by_message = {row[3]: row for row in retuned}
    assert by_message["F"][7] and not by_message["L"][7]  # 60 off: a spike; 50 off: no longer
    assert not any(row[8] for row in retuned)  # one value for 60 minutes at most
