"""Hourly AQI (HJ 633-2012) matches hand-computed values at the breakpoints, and episodes are
runs of hours at level 4 or worse.

IAQI is linear between breakpoints and rounded up; AQI is the highest IAQI; the primary
pollutant is the one with that IAQI when the AQI is above 50. Hourly readings use the 1-hour
breakpoints of SO2, NO2, CO and O3 and the 24-hour ones of PM2.5 and PM10; SO2 above 800 µg/m³
falls back to its 24-hour index.
"""

from __future__ import annotations

import pytest

from tests.marts.dbt_harness import build_models

POLLUTANTS = ("pm25", "pm10", "so2", "no2", "co", "o3")

# station (one per case), {pollutant: concentration}, expected (AQI, level, primary pollutant)
CASES = [
    ("pm25_35", {"pm25": 35}, (50, 1, None)),  # top of level 1: no primary pollutant
    ("pm25_36", {"pm25": 36}, (52, 2, "pm25")),  # 50 + 50·1/40 = 51.25, rounded up
    ("pm25_55", {"pm25": 55}, (75, 2, "pm25")),  # 50 + 50·20/40, exactly 75
    ("pm25_75", {"pm25": 75}, (100, 2, "pm25")),
    ("pm25_75.1", {"pm25": 75.1}, (101, 3, "pm25")),  # 100.125 rounded up
    ("pm25_115", {"pm25": 115}, (150, 3, "pm25")),
    ("pm25_150", {"pm25": 150}, (200, 4, "pm25")),
    ("pm25_250", {"pm25": 250}, (300, 5, "pm25")),
    ("pm25_250.5", {"pm25": 250.5}, (301, 6, "pm25")),  # 300 + 100·0.5/100 = 300.5
    ("pm25_500", {"pm25": 500}, (500, 6, "pm25")),
    ("pm25_600", {"pm25": 600}, (500, 6, "pm25")),  # beyond the scale
    ("pm10_50", {"pm10": 50}, (50, 1, None)),
    ("pm10_350", {"pm10": 350}, (200, 4, "pm10")),
    ("o3_160", {"o3": 160}, (50, 1, None)),
    ("o3_200", {"o3": 200}, (100, 2, "o3")),
    ("o3_1200", {"o3": 1200}, (500, 6, "o3")),
    ("co_10", {"co": 10}, (100, 2, "co")),
    ("co_60", {"co": 60}, (200, 4, "co")),
    ("no2_1200", {"no2": 1200}, (200, 4, "no2")),
    ("so2_500", {"so2": 500}, (100, 2, "so2")),
    ("so2_800", {"so2": 800}, (200, 4, "so2")),
    ("so2_900", {"so2": 900}, (213, 5, "so2")),  # 24-hour index: 200 + 100·(900-800)/800 = 212.5
    ("tie", {"pm25": 75, "pm10": 150, "no2": 80}, (100, 2, "pm10,pm25")),
]

# One station's hours (offset from midnight) and PM2.5: level 4 starts at 115 µg/m³ < c.
EPISODE_HOURS = [
    (0, 100),
    (1, 120),
    (2, 130),
    (4, 140),
    (5, 200),
    (6, 90),
    (7, 160),
    (12, 170),
    (13, 165),
]
# Hours 1-5 are one episode despite the missing hour 3 (4 readings, peak 200 -> AQI 250,
# level 5); hour 7 is one on its own (160 -> 210); hours 12-13 follow 4 silent hours, so a new one.
EXPECTED_EPISODES = [(1, 6, 4, 250, 5), (7, 8, 1, 210, 5), (12, 14, 2, 220, 5)]


def reading(station: str, hour: int, values: dict[str, float]) -> str:
    cells = ", ".join(f"{values[p]}::DOUBLE" if p in values else "NULL::DOUBLE" for p in POLLUTANTS)
    return f"('{station}', TIMESTAMPTZ '2026-10-01 00:00:00+08' + INTERVAL {hour} HOUR, {cells}, '{station}@{hour}')"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    rows = [reading(station, 0, values) for station, values, _ in CASES]
    rows += [reading("episodes", hour, {"pm25": pm25}) for hour, pm25 in EPISODE_HOURS]
    readings = f"""
        SELECT station_code, measured_at, pm25 AS pm25_ugm3, pm10 AS pm10_ugm3, so2 AS so2_ugm3, no2 AS no2_ugm3,
               co AS co_mgm3, o3 AS o3_ugm3, DATE '2026-10-01' AS delivery_date, 'air_quality_hourly:' || record AS source_record_id
        FROM (VALUES {", ".join(rows)}) AS t(station_code, measured_at, {", ".join(POLLUTANTS)}, record)
    """
    connection = build_models(
        tmp_path_factory.mktemp("hj633"),
        {"staging.stg_ecology_environment__air_quality_hourly": readings},
        [
            "stg_reference__hj633_breakpoints",
            "int_air_quality_iaqi",
            "int_air_quality_hourly",
            "int_air_quality_episodes",
        ],
    )
    yield connection
    connection.close()


@pytest.mark.parametrize(("station", "values", "expected"), CASES, ids=[c[0] for c in CASES])
def test_aqi_matches_the_hand_computed_value(warehouse, station, values, expected):
    row = warehouse.execute(
        "SELECT aqi, aqi_level, primary_pollutant FROM intermediate.int_air_quality_hourly WHERE station_code = ?",
        [station],
    ).fetchone()
    assert row == expected


def test_episodes_are_runs_of_hours_at_level_four_or_worse(warehouse):
    rows = warehouse.execute(
        """SELECT hour(started_at AT TIME ZONE 'Asia/Shanghai'), hour(ended_at AT TIME ZONE 'Asia/Shanghai'), hours, peak_aqi, peak_level
           FROM intermediate.int_air_quality_episodes WHERE station_code = 'episodes' ORDER BY started_at"""
    ).fetchall()
    assert rows == EXPECTED_EPISODES
