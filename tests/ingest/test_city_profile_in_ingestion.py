"""Ingestion holds deliveries to the data directory's city profile: its extent decides which points
are outside the city, its time zone what a delivered time without an offset means."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.lib.city_profile import Bounds, CityProfile, load_city_profile
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.ingest.ingest import Ingested, ingest_delivery
from pipelines.lib.settings import CITY_PROFILE
from pipelines.lib.standards.coordinates import wgs84_to_gcj02

REPO_ROOT = Path(__file__).resolve().parents[2]
CHENGDU = load_city_profile(REPO_ROOT / "contracts" / "city.yaml")
WENZHOU = replace(
    CHENGDU, code="3303", name="温州市", short_name="温州", bounds=Bounds(119.6, 27.0, 121.3, 28.65)
)
FLOW = FEED_CONTRACTS[("traffic_police", "traffic_flow")]
DAY = date(2026, 10, 2)
POINTS = {"TD3303020001": (120.65, 28.0), "TD5101070001": (104.06, 30.66)}  # 温州, 成都 (WGS-84)


@pytest.fixture(autouse=True)
def no_profile_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CITY_PROFILE.name, raising=False)


def flow_data_dir(root: Path, profile: CityProfile | None, start_time: str) -> DataDir:
    """A data directory with one traffic_flow delivery (GCJ-02, as the police deliver it) and,
    unless None, `profile` as its city.yaml."""
    folder = root / "landing" / "traffic_police" / "traffic_flow"
    folder.mkdir(parents=True)
    lines = ["DETECTOR_ID,ROAD_NAME,LNG,LAT,START_TIME,VOLUME,AVG_SPEED,OCCUPANCY"]
    for detector, (lon, lat) in POINTS.items():
        gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
        lines.append(f"{detector},人民路,{gcj_lon:.6f},{gcj_lat:.6f},{start_time},12,40.5,10.2")
    (folder / FLOW.landing.filename(DAY)).write_text("\n".join(lines) + "\n", encoding="utf-8")
    if profile is not None:
        (root / "city.yaml").write_text(profile.to_yaml("a test city"), encoding="utf-8")
    return DataDir(root)


def ingest(data: DataDir) -> Ingested:
    connection = connect()
    try:
        return ingest_delivery(data, FLOW, DAY, connection)
    finally:
        connection.close()


@pytest.mark.parametrize(
    "profile,inside,outside",
    [
        pytest.param(None, "TD5101070001", "TD3303020001", id="repository-profile-chengdu"),
        pytest.param(WENZHOU, "TD3303020001", "TD5101070001", id="data-dir-profile-wenzhou"),
    ],
)
def test_points_outside_the_profile_s_extent_are_quarantined(tmp_path, profile, inside, outside):
    result = ingest(flow_data_dir(tmp_path / "data", profile, "2026-10-02 10:00:00")).result
    assert result.valid["detector_id"].to_list() == [inside]
    assert result.quarantine["rule"].to_list() == ["coordinates_outside_city"]
    assert outside in result.quarantine["original"][0]


def test_times_without_an_offset_are_in_the_profile_s_time_zone(tmp_path):
    urumqi = replace(WENZHOU, timezone="Asia/Urumqi")
    in_shanghai = ingest(flow_data_dir(tmp_path / "a", WENZHOU, "2026-10-02 10:00:00")).result
    in_urumqi = ingest(flow_data_dir(tmp_path / "b", urumqi, "2026-10-02 10:00:00")).result
    assert in_shanghai.valid.schema["interval_start"] == pl.Datetime("us", "Asia/Shanghai")
    assert in_urumqi.valid.schema["interval_start"] == pl.Datetime("us", "Asia/Urumqi")
    assert in_shanghai.valid["interval_start"][0] == datetime(2026, 10, 2, 2, 0, tzinfo=UTC)
    assert in_urumqi.valid["interval_start"][0] == datetime(
        2026, 10, 2, 10, 0, tzinfo=ZoneInfo("Asia/Urumqi")
    )
