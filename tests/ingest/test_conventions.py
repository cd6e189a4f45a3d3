"""Real delivery conventions, said in a contract and applied at ingestion.

Each test delivers a small file that uses the conventions of its contract
(tests/fixtures/contracts/): missing-value markers, a timestamp from a date and a time
column or from calendar columns, coordinates from one point string, unit conversion,
cross-column rules. It checks the exact bronze values and, for each bad row, the
quarantine reason and the columns it names. Row accounting holds throughout.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.lib.city_profile import Bounds, city_profile
from pipelines.lib.contracts import FeedContract, load_contract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.ingest import enforce
from pipelines.lib.ingest import ingest as ingest_module
from pipelines.lib.ingest.ingest import Ingested, ingest_delivery, landing_file
from pipelines.lib.ingest.lake import read_partition
from pipelines.lib.ingest.read import SOURCE_ROW
from pipelines.lib.standards.coordinates import gcj02_to_wgs84

FIXTURES = Path(__file__).parents[1] / "fixtures"
FEEDS = FIXTURES / "contracts" / "feeds"
CST = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 2)


@pytest.fixture
def data(tmp_path: Path) -> DataDir:
    return DataDir(tmp_path / "data")


@pytest.fixture
def connection():
    con = connect()
    yield con
    con.close()


def ingest(
    data: DataDir, contract: FeedContract, content: bytes, connection, day: date = DAY
) -> Ingested:
    path = landing_file(data, contract, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return ingest_delivery(data, contract, day, connection)


def written(ingested: Ingested, rows: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The partition as written, after checking that each delivered row is in it once."""
    bronze, quarantine = read_partition(ingested.partition)
    assert ingested.accounted and ingested.result.landed == rows
    assert sorted([*bronze[SOURCE_ROW], *quarantine[SOURCE_ROW]]) == list(range(1, rows + 1))
    return bronze, quarantine


def reasons(quarantine: pl.DataFrame) -> dict[int, tuple[str, str, list[str]]]:
    """Source row -> (first rule, column named, every rule broken)."""
    return {
        row[SOURCE_ROW]: (row["rule"], row["column"], row["rules"])
        for row in quarantine.iter_rows(named=True)
    }


# ------------------------------------------------------------------ CSV: a fire-alarm feed

ALARM_HEADER = "警情编号,报警日期,报警时刻,年,月,日,时,分,到场时间,位置,过火面积,直接损失,响应时长,伤亡人数,车辆类型,车牌号"
ALARM_ROWS = [
    # 1: every convention, all well: date + time, calendar parts, "(lat, lon)", 亩, 万元, minutes
    'BJ000001,2026-03-01,08:15:00,2026,3,1,8,20,2026-03-01 08:31,"(30.66, 104.06)",1.5,0.035,12,0,水罐车,川A12345',
    # 2: the other date-time format, "lon,lat"-less "lat,lon" without brackets, markers for nothing
    'BJ000002,2026/03/01,09:00,NA,NA,NA,NA,NA,N/A,"30.67,104.07",-,无,,3,,',
    # 3: 9999 is this column's marker: a required value missing, not a bad number
    'BJ000003,2026-03-01,10:00:00,2026,3,1,10,0,2026-03-01 10:20,"(30.66, 104.06)",,,,9999,,',
    # 4: a date without its time
    'BJ000004,2026-03-01,,2026,3,1,10,0,2026-03-01 10:20,"(30.66, 104.06)",,,,1,,',
    # 5: month 13: whole numbers that make no time
    'BJ000005,2026-03-01,10:00:00,2026,13,1,10,0,2026-03-01 10:20,"(30.66, 104.06)",,,,1,,',
    # 6: a month that is no number
    'BJ000006,2026-03-01,10:00:00,2026,三,1,10,0,2026-03-01 10:20,"(30.66, 104.06)",,,,1,,',
    # 7: arrived before it was dispatched
    'BJ000007,2026-03-01,10:00:00,2026,3,1,10,0,2026-03-01 09:20,"(30.66, 104.06)",,,,1,,',
    # 8: WKT where the contract says "(lat, lon)"
    "BJ000008,2026-03-01,10:00:00,2026,3,1,10,0,2026-03-01 10:20,POINT(104.06 30.66),,,,1,,",
    # 9: a vehicle type without its plate
    'BJ000009,2026-03-01,10:00:00,2026,3,1,10,0,2026-03-01 10:20,"(30.66, 104.06)",,,,1,泡沫车,',
    # 10: text in a number column is still type_invalid
    'BJ000010,2026-03-01,10:00:00,2026,3,1,10,0,2026-03-01 10:20,"(30.66, 104.06)",,,,abc,,',
    # 11: the whole call time missing (both columns carry a marker)
    'BJ000011,NA,NA,2026,3,1,10,0,2026-03-01 10:20,"(30.66, 104.06)",,,,1,,',
    # 12: a date and a time that make no time
    'BJ000012,2026-03-01,25:00:00,2026,3,1,10,0,2026-03-01 10:20,"(30.66, 104.06)",,,,1,,',
    # 13: a range is in the stored unit: -0.5 万元 is -5,000 元, below the minimum 0
    'BJ000013,2026-03-01,10:00:00,2026,3,1,10,0,2026-03-01 10:20,"(30.66, 104.06)",,-0.5,,1,,',
    # 14: no position at all
    "BJ000014,2026-03-01,10:00:00,2026,3,1,10,0,2026-03-01 10:20,-,,,,1,,",
    # 15: 0.55 minutes is 33 whole seconds; full-width digits are half-width first
    'BJ000015,2026-03-01,10:00:00,２０２６,3,1,10,0,2026-03-01 10:20,"(30.66, 104.06)",,,0.55,1,,',
    # 16: 0.51 minutes is 30.6 seconds: no whole number of seconds
    'BJ000016,2026-03-01,10:00:00,2026,3,1,10,0,2026-03-01 10:20,"(30.66, 104.06)",,,0.51,1,,',
]


@pytest.fixture(scope="module")
def alarm_calls() -> FeedContract:
    return load_contract(FEEDS / "fire_rescue" / "alarm_calls.odcs.yaml")


def cst(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=CST)


def test_csv_conventions_give_exact_bronze_values(data, connection, alarm_calls) -> None:
    content = "\n".join([ALARM_HEADER, *ALARM_ROWS]) + "\n"
    bronze, _ = written(ingest(data, alarm_calls, content.encode(), connection), len(ALARM_ROWS))
    fields = [f.name for f in alarm_calls.fields]
    expected = pl.DataFrame(
        {
            "call_id": ["BJ000001", "BJ000002", "BJ000015"],
            "called_at": [cst(2026, 3, 1, 8, 15), cst(2026, 3, 1, 9, 0), cst(2026, 3, 1, 10, 0)],
            "dispatched_at": [cst(2026, 3, 1, 8, 20), None, cst(2026, 3, 1, 10, 0)],
            "arrived_at": [cst(2026, 3, 1, 8, 31), None, cst(2026, 3, 1, 10, 20)],
            "longitude": [104.06, 104.07, 104.06],
            "latitude": [30.66, 30.67, 30.66],
            "burnt_area": [1000.0, None, None],  # 1.5 亩
            "loss_yuan": [350.0, None, None],  # 0.035 万元
            "response_seconds": [720, None, 33],  # 12 and 0.55 minutes
            "casualties": [0, 3, 1],
            "vehicle_type": ["水罐车", None, None],
            "plate_no": ["川A12345", None, None],
        },
        schema={
            **{f: pl.String for f in ("call_id", "vehicle_type", "plate_no")},
            **{
                f: pl.Datetime("us", "Asia/Shanghai")
                for f in ("called_at", "dispatched_at", "arrived_at")
            },
            **{f: pl.Float64 for f in ("longitude", "latitude", "burnt_area", "loss_yuan")},
            "response_seconds": pl.Int64,
            "casualties": pl.Int64,
        },
    ).select(fields)
    assert_frame_equal(bronze.select(fields), expected)


def test_csv_conventions_quarantine_with_their_reasons(data, connection, alarm_calls) -> None:
    content = "\n".join([ALARM_HEADER, *ALARM_ROWS]) + "\n"
    _, quarantine = written(
        ingest(data, alarm_calls, content.encode(), connection), len(ALARM_ROWS)
    )
    assert reasons(quarantine) == {
        3: ("required_missing", "casualties", ["required_missing"]),
        4: ("derived_incomplete", "called_at (报警时刻)", ["derived_incomplete"]),
        5: ("derived_invalid", "dispatched_at (年, 月, 日, 时, 分)", ["derived_invalid"]),
        6: ("type_invalid", "dispatched_at (月)", ["type_invalid"]),
        7: ("arrival_before_dispatch", "arrived_at,dispatched_at", ["arrival_before_dispatch"]),
        8: ("derived_invalid", "longitude,latitude (位置)", ["derived_invalid"]),
        9: ("vehicle_without_plate", "plate_no,vehicle_type", ["vehicle_without_plate"]),
        10: ("type_invalid", "casualties", ["type_invalid"]),
        11: ("required_missing", "called_at", ["required_missing"]),
        12: ("derived_invalid", "called_at (报警日期, 报警时刻)", ["derived_invalid"]),
        13: ("value_out_of_range", "loss_yuan", ["value_out_of_range"]),
        14: ("required_missing", "longitude", ["required_missing", "required_missing"]),
        16: ("type_invalid", "response_seconds", ["type_invalid"]),
    }
    # The original is what was delivered, markers and all.
    row_3 = quarantine.filter(pl.col(SOURCE_ROW) == 3)["original"][0]
    assert json.loads(row_3)["伤亡人数"] == "9999"


def test_a_marker_is_only_a_marker_in_its_column(data, connection, alarm_calls) -> None:
    # 9999 is the casualty count's marker only: as a loss it is a number, converted.
    row = 'BJ000001,2026-03-01,08:15:00,2026,3,1,8,20,2026-03-01 08:31,"(30.66, 104.06)",,9999,,2,,'
    bronze, _ = written(
        ingest(data, alarm_calls, f"{ALARM_HEADER}\n{row}\n".encode(), connection), 1
    )
    assert bronze["loss_yuan"].to_list() == [99_990_000.0]


def test_a_derived_part_column_missing_from_the_file(data, connection, alarm_calls) -> None:
    # The department dropped its 报警时刻 column: reported, and no call time can be built.
    header = ALARM_HEADER.replace("报警时刻,", "")
    row = ALARM_ROWS[0].replace(",08:15:00", "")
    ingested = ingest(data, alarm_calls, f"{header}\n{row}\n".encode(), connection)
    _, quarantine = written(ingested, 1)
    assert ingested.result.columns_missing == ["报警时刻"]
    assert reasons(quarantine) == {
        1: ("column_missing", "called_at", ["column_missing", "derived_incomplete"])
    }


# ------------------------------------------------------------------ JSON lines: air quality


@pytest.fixture(scope="module")
def air_quality() -> FeedContract:
    return load_contract(FEEDS / "ecology_environment" / "air_quality_readings.odcs.yaml")


def reading(n: int, **changes) -> dict:
    record = {
        "station": f"SC{n:03d}",
        "year": 2026,
        "month": 3,
        "day": 1,
        "hour": 8,
        "location": "POINT(104.06 30.66)",
        "PM2_5": 0.035,
        "PM10": 0.05,
        "CO": 0.8,
        "pressure": 101.3,
        "visibility": 12.5,
        "exceeded": None,
        "level": None,
    }
    record.update(changes)
    return {key: value for key, value in record.items() if value is not ...}


READINGS = [
    reading(1),  # 1: all well
    reading(
        2, PM10="-", visibility="NA", level=..., location="point (104.07 30.67)"
    ),  # 2: markers, a key left out
    reading(3, hour=...),  # 3: no hour
    reading(4, PM2_5=0.08),  # 4: PM10 below PM2.5
    reading(5, exceeded="PM2.5"),  # 5: an exceedance without its level
    reading(6, location="(30.66, 104.06)"),  # 6: not WKT
    reading(7, month="02", day=30),  # 7: no such day
    reading(
        8, hour="08", PM2_5="0.2", PM10="0.3", exceeded="PM2.5", level="重度"
    ),  # 8: numbers as text
]


def test_json_lines_conventions(data, connection, air_quality) -> None:
    content = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in READINGS).encode()
    bronze, quarantine = written(ingest(data, air_quality, content, connection), len(READINGS))
    lon, lat = gcj02_to_wgs84(np.array([104.06, 104.07]), np.array([30.66, 30.67]))
    assert bronze["station_code"].to_list() == ["SC001", "SC002", "SC008"]
    assert bronze["measured_at"].to_list() == [cst(2026, 3, 1, 8)] * 3
    assert bronze["longitude"].to_list() == [
        lon[0],
        lon[1],
        lon[0],
    ]  # GCJ-02 delivered, WGS-84 stored
    assert bronze["latitude"].to_list() == [lat[0], lat[1], lat[0]]
    assert bronze["pm25"].to_list() == [35.0, 35.0, 200.0]  # mg/m³ -> µg/m³
    assert bronze["pm10"].to_list() == [50.0, None, 300.0]
    assert bronze["co"].to_list() == [0.8, 0.8, 0.8]  # declared, not converted
    assert bronze["pressure"].to_list() == [0.1013] * 3  # kPa -> MPa
    assert bronze["visibility"].to_list() == [12_500, None, 12_500]  # km -> m
    assert bronze["level"].to_list() == [None, None, "重度"]
    assert reasons(quarantine) == {
        3: ("derived_incomplete", "measured_at (hour)", ["derived_incomplete"]),
        4: ("pm10_below_pm25", "pm10,pm25", ["pm10_below_pm25"]),
        5: ("exceedance_without_level", "level,exceeded_pollutant", ["exceedance_without_level"]),
        6: ("derived_invalid", "longitude,latitude (location)", ["derived_invalid"]),
        7: ("derived_invalid", "measured_at (year, month, day, hour)", ["derived_invalid"]),
    }


# ------------------------------------------------------------------ a real feed: SF fire calls

# San Francisco's extent. A city profile names a city of the GB/T 2260 reference data, so the
# test puts this extent into the repository's profile rather than writing a profile of its own.
SAN_FRANCISCO = Bounds(lon_min=-122.52, lat_min=37.70, lon_max=-122.35, lat_max=37.84)


def test_real_open_data_feed_is_ingested_with_its_conventions(
    data, connection, monkeypatch
) -> None:
    contract = load_contract(FEEDS / "fire_department" / "calls_for_service.odcs.yaml")
    san_francisco = replace(city_profile(data.root), bounds=SAN_FRANCISCO)
    monkeypatch.setattr(ingest_module, "city_profile", lambda root: san_francisco)
    enforce.contract_rules.cache_clear()
    day = date(2002, 2, 16)
    path = landing_file(data, contract, day)
    path.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "sf_fire_calls_20020216.csv", path)
    try:
        ingested = ingest_delivery(data, contract, day, connection)
    finally:
        enforce.contract_rules.cache_clear()
    bronze, quarantine = written(ingested, 194)
    # One unit at the airport, outside the city's extent; every other row is bronze.
    assert reasons(quarantine) == {
        194: ("coordinates_outside_city", "longitude,latitude", ["coordinates_outside_city"])
    }
    first = bronze.row(0, named=True)
    assert (first["call_number"], first["unit_id"], first["call_type"]) == (
        "20110016",
        "T13",
        "Structure Fire",
    )
    assert (first["latitude"], first["longitude"]) == (37.7895840679362, -122.428071912459)
    assert first["delay_seconds"] == pytest.approx(2.95 * 60)
    assert first["available_at"] == datetime(
        2002, 1, 11, 1, 51, 44, tzinfo=ZoneInfo("America/Los_Angeles")
    )
    assert first["als_unit"] is False
    # "null" is the department's word for nothing, everywhere; "None" too, in a few columns.
    assert bronze["call_type_group"].null_count() == bronze.height
    assert bronze.filter(pl.col(SOURCE_ROW) == 32)["available_at"].to_list() == [None]
    assert set(ingested.result.columns_unexpected) == {
        "Box",
        "City",
        "FirePreventionDistrict",
        "NumAlarms",
        "Priority",
        "RowID",
        "StationArea",
        "SupervisorDistrict",
    }
