"""Congestion episodes of traffic_congestion on crafted detector readings: each reading judged
against its own detector's median for that local hour over the days seen (at least min_days),
an episode being consecutive congested readings that last hold_minutes or more
(seeds/config/congestion_rules.csv: under 60 % of the usual speed, occupancy 15 points over
the usual, 15 minutes of 5-minute intervals, 3 days).

The city is Chengdu (contracts/city.yaml, UTC+8): local 08:00 is 00:00 UTC, so an episode at
that hour crosses a day and an hour of the readings' own clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from tests.marts.dbt_harness import build_models, config_seed

CHENGDU = timezone(timedelta(hours=8))
DAYS = [date(2026, 10, day) for day in (1, 2, 3, 4)]
NORMAL = (60.0, 10.0)  # speed km/h, occupancy %
JAMMED = (20.0, 40.0)
RULE = "non_recurrent_congestion"
LAST_DAY = {
    # 07:55-08:05: an episode across midnight UTC
    "07:55": JAMMED, "08:00": JAMMED, "08:05": JAMMED,
    # two congested readings, then a reading that is not: too short
    "08:30": JAMMED, "08:35": JAMMED,
    # 08:55 is missing: 08:50, 09:00 and 09:05 are consecutive readings, one episode
    "08:50": JAMMED, "08:55": None, "09:00": JAMMED, "09:05": JAMMED,
}  # fmt: skip


def _local_times() -> list[str]:
    start = datetime(2026, 1, 1, 7, 30)
    return [(start + timedelta(minutes=5 * step)).strftime("%H:%M") for step in range(25)]


def _readings() -> list[tuple[str, datetime, float, float]]:
    """D1 reads NORMAL every 5 minutes 07:30-09:30 each day, but on the last day LAST_DAY.
    D2 reads JAMMED every day: that is its usual, never a congestion. D3 reads NORMAL on one
    day and JAMMED on the next: its usual is learnt from fewer than min_days days."""
    readings = []
    for day in DAYS:
        for clock in _local_times():
            at = datetime.combine(day, datetime.strptime(clock, "%H:%M").time(), CHENGDU)
            d1 = LAST_DAY.get(clock, NORMAL) if day == DAYS[-1] else NORMAL
            if d1 is not None:
                readings.append(("D1", at, *d1))
            readings.append(("D2", at, *JAMMED))
            if day >= DAYS[-2]:
                readings.append(("D3", at, *(JAMMED if day == DAYS[-1] else NORMAL)))
    return readings


def _flow_sql() -> str:
    rows = ", ".join(
        f"('{detector}', TIMESTAMPTZ '{at.isoformat()}', {speed}, {occupancy})"
        for detector, at, speed, occupancy in _readings()
    )
    return f"""
        SELECT detector_id, 'Road of ' || detector_id AS road_name, 104.0 AS longitude,
            30.6 AS latitude, interval_start, 12 AS volume, speed::DOUBLE AS avg_speed_kmh,
            occupancy::DOUBLE AS occupancy_pct
        FROM (VALUES {rows}) AS r(detector_id, interval_start, speed, occupancy)
    """


# The host's time zone, which DuckDB would take for its sessions: the warehouse's is UTC
# (dbt_project/profiles.yml), so an episode's id is the same whichever machine builds it.
@pytest.mark.parametrize("host_zone", ["UTC", "Asia/Shanghai"])
def test_episodes_are_consecutive_congested_readings_against_each_detectors_usual(
    tmp_path, monkeypatch, host_zone
):
    monkeypatch.setenv("TZ", host_zone)
    connection = build_models(
        tmp_path,
        {
            "main.congestion_rules": config_seed("congestion_rules"),
            "staging.stg_traffic_police__traffic_flow": _flow_sql(),
        },
        ["traffic_congestion"],
    )
    episodes = connection.execute(
        """select congestion_id, detector_id, rule_id, road_name,
            strftime(timezone('Asia/Shanghai', started_at), '%d %H:%M'),
            strftime(timezone('Asia/Shanghai', ended_at), '%d %H:%M'),
            intervals, lowest_speed_kmh, usual_speed_kmh, peak_occupancy_pct
        from main.traffic_congestion order by started_at"""
    ).fetchall()
    connection.close()
    assert episodes == [
        (
            f"D1:{RULE}:20261003T2355",
            "D1",
            RULE,
            "Road of D1",
            "04 07:55",
            "04 08:05",
            3,
            20.0,
            60.0,
            40.0,
        ),
        (
            f"D1:{RULE}:20261004T0050",
            "D1",
            RULE,
            "Road of D1",
            "04 08:50",
            "04 09:05",
            3,
            20.0,
            60.0,
            40.0,
        ),
    ]
