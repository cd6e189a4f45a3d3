"""`safecity contract draft`: each inference rule on a small crafted delivery.

Every draft is written where a contract lives and loaded with the real loader (so `contract
check` accepts it), and every draft is held to its own sample by the real enforcement code:
what it declares accepts every row it was drafted from.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from pipelines import cli
from pipelines.lib.contracts import FeedContract, load_contract
from pipelines.lib.draft import Draft, DraftError, draft_contract
from pipelines.lib.draft.names import english_name
from pipelines.lib.draft.patterns import infer_pattern
from pipelines.lib.standards.identifiers import identity_check_char, uscc_check_char

FIXTURES = Path(__file__).parents[1] / "fixtures"


def identity(first17: str) -> str:
    return first17 + str(identity_check_char([first17])[0])


def uscc(first17: str) -> str:
    return first17 + str(uscc_check_char([first17])[0])


def drafted(
    tmp_path: Path, name: str, content: bytes, department: str = "test_dept", feed: str = "feed"
) -> tuple[Draft, FeedContract]:
    """Draft from a file, write the draft as a contract, load it as `contract check` does."""
    sample = tmp_path / "delivered" / name
    sample.parent.mkdir(parents=True, exist_ok=True)
    sample.write_bytes(content)
    draft = draft_contract(sample, department, feed)
    path = tmp_path / "contracts" / "feeds" / department / f"{feed}.odcs.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(draft.text, encoding="utf-8")
    return draft, load_contract(path, tmp_path)


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    return "\n".join(delimiter.join(row) for row in [header, *rows]) + "\n"


def comments_of(draft: Draft, name: str) -> str:
    """The comment lines just above a property's `- name:` line."""
    lines = draft.text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == f"- name: {name}")
    above = []
    for line in reversed(lines[:at]):
        if not line.strip().startswith("#"):
            break
        above.append(line.strip())
    return " ".join(reversed(above))


# --- encodings, delimiters, names ------------------------------------------------------


def test_a_gbk_csv_with_chinese_headers(tmp_path: Path) -> None:
    header = ["检查编号", "经营者名称", "统一社会信用代码", "负责人姓名", "身份证号码", "联系电话"]
    header += ["区划代码", "检查日期", "检查结果"]
    results = ["符合", "基本符合", "不符合"]
    rows = [
        [
            f"JC20261001{n:05d}",
            f"成都{'川蜀锦'[n % 3]}记餐饮有限公司{n}店",
            uscc(f"9151010{n % 10}MA6C{n:05d}"),
            ["张伟", "王芳", "李娜", "刘洋"][n % 4] + "明"[: n % 2],
            identity(f"5101041985031{n:04d}"),
            f"1380000{n:04d}",
            ["510104", "510105", "510106"][n % 3],
            f"2026-09-{n % 28 + 1:02d}" if n % 2 else f"2026/9/{n % 28 + 1}",
            results[n % 3],
        ]
        for n in range(1, 61)
    ]
    draft, contract = drafted(
        tmp_path, "food_20261001.csv", csv_text(header, rows).encode("gb18030")
    )
    assert (contract.landing.format, contract.landing.encoding) == ("csv", "gb18030")
    assert contract.landing.file == "food_{yyyymmdd}.csv"
    names = {f.source: f for f in contract.fields}
    assert {f.source: f.name for f in contract.fields} == {
        "检查编号": "inspection_id",
        "经营者名称": "business_name",
        "统一社会信用代码": "uscc",
        "负责人姓名": "person_in_charge_name",
        "身份证号码": "id_number",
        "联系电话": "phone",
        "区划代码": "county_code",
        "检查日期": "inspection_date",
        "检查结果": "inspection_result",
    }
    assert names["检查编号"].business_name == "检查编号"
    assert contract.key == ("inspection_id",)
    assert names["检查编号"].pattern == r"^JC\d{13}$"
    assert names["统一社会信用代码"].standard == "uscc"
    assert names["身份证号码"].standard == "identity_number"
    assert names["区划代码"].standard == "admin_county"
    assert set(names["检查结果"].enum) == set(results)
    assert names["检查日期"].logical_type == "date"
    assert set(names["检查日期"].source_formats) == {"%Y-%m-%d", "%Y/%m/%d"}
    assert names["检查日期"].not_after_delivery  # every inspection is before the delivery day
    personal = {f.source for f in contract.fields if f.classification == "personal"}
    assert personal == {"负责人姓名", "身份证号码", "联系电话"}
    assert all(f.classification in ("internal", "personal") for f in contract.fields)
    # Every property carries a classification comment to review.
    assert draft.text.count("classification: internal  # TODO: review") == 6
    assert draft.check.landed == 60 and draft.check.quarantined == 0


def test_utf8_with_a_byte_order_mark_and_semicolons(tmp_path: Path) -> None:
    header = ["STATION_CODE", "MONITOR_TIME", "PM25"]
    rows = [[f"14{n:02d}A", f"2026-10-01 {n:02d}:00:00", f"{n * 1.5:.1f}"] for n in range(24)]
    content = b"\xef\xbb\xbf" + csv_text(header, rows, ";").encode("utf-8")
    draft, contract = drafted(tmp_path, "air_20261001.csv", content)
    assert contract.landing.encoding == "utf-8-sig"
    assert contract.landing.delimiter == ";"
    assert "delimiter: ;" in draft.text
    assert [f.logical_type for f in contract.fields] == ["string", "timestamp", "number"]
    assert contract.field("station_code").pattern == r"^\d{4}A$"
    assert contract.field("pm25").minimum == 0
    # Ingestion reads the semicolons: every row reaches bronze.
    assert draft.check.to_bronze == 24 and draft.check.quarantined == 0


def test_names_are_snake_case_english_where_the_dictionary_reaches() -> None:
    assert english_name("accidentId").name == "accident_id"
    assert english_name("STATION_CODE").name == "station_code"
    assert english_name("Call Date").name == "call_date"
    assert english_name("driver.idNo").name == "driver_id_no"
    assert english_name("直接财产损失（万元）").name == "direct_property_loss_10k_yuan"
    assert english_name("整改完成日期").name == "rectification_completed_date"
    unknown = english_name("某某鬼")
    assert not unknown.translated


# --- types, formats, markers --------------------------------------------------------------


def test_mixed_date_and_time_formats(tmp_path: Path) -> None:
    dates = ["2026-10-01", "2026/10/2", "20261003", "2026年10月4日", "2026.10.05"] * 4
    alarms = ["2026-10-01 08:11:00", "2026年10月1日09时12分", "2026/10/1 10:30"] * 6 + [
        "2026-10-01 11:00:00",
        "2026-10-01 12:00:00",
    ]
    called = [str(1790812800000 + n * 60_000) for n in range(20)]
    rows = [[f"R{n:04d}", dates[n], alarms[n], called[n]] for n in range(20)]
    draft, contract = drafted(
        tmp_path,
        "calls_20261007.csv",
        csv_text(["记录号", "发现日期", "报警时间", "createdMs"], rows).encode(),
    )
    found = contract.fields[1]
    assert (found.name, found.logical_type) == ("found_date", "date")
    assert set(found.source_formats) == {
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%Y%m%d",
        "%Y年%m月%d日",
        "%Y.%m.%d",
    }
    alarm = contract.fields[2]
    assert (alarm.name, alarm.logical_type) == ("alarm_time", "timestamp")
    assert set(alarm.source_formats) == {
        "%Y-%m-%d %H:%M:%S",
        "%Y年%m月%d日%H时%M分",
        "%Y/%m/%d %H:%M",
    }
    assert alarm.source_formats[0] == "%Y-%m-%d %H:%M:%S"  # the most used first
    assert "3 formats in one column" in comments_of(draft, "alarm_time")
    assert contract.fields[3].source_formats == ("epoch_ms",)
    assert draft.check.quarantined == 0
    bronze = draft.check.result.valid
    assert bronze["alarm_time"][1] == datetime.fromisoformat("2026-10-01T09:12:00+08:00")
    assert bronze["created_ms"][0] == datetime.fromisoformat("2026-10-01T08:00:00+08:00")


def test_formats_are_shared_between_date_columns_of_a_file(tmp_path: Path) -> None:
    rows = [[f"2026-10-0{n}", f"2026/10/{n + 1}"] for n in range(1, 6)]
    _, contract = drafted(
        tmp_path, "h_20261009.csv", csv_text(["found_date", "rectify_deadline"], rows).encode()
    )
    # A format seen in one date column is accepted in the other, after its own.
    assert contract.fields[0].source_formats == ("%Y-%m-%d", "%Y/%m/%d")
    assert contract.fields[1].source_formats == ("%Y/%m/%d", "%Y-%m-%d")


def test_missing_value_markers(tmp_path: Path) -> None:
    statuses = ["正常", "NA", "N/A", "-", "无", "", "正常", "故障"] * 3
    readings = [str(10 + n) for n in range(24)]
    readings[3] = "9999"
    readings[9] = "9999"
    readings[5] = "-"
    rows = [[f"D{n:03d}", statuses[n], readings[n]] for n in range(24)]
    draft, contract = drafted(
        tmp_path, "meters_20261001.csv", csv_text(["device_id", "status", "reading"], rows).encode()
    )
    assert contract.missing_values == ("NA", "N/A", "-", "无")
    reading = contract.field("reading")
    assert reading.logical_type == "integer"
    assert reading.missing_values == ("NA", "N/A", "-", "无", "9999")
    assert not reading.required
    assert set(contract.field("status").enum) == {"正常", "故障"}
    assert "missingValues\n  value: ['NA', 'N/A', '-', '无']" in draft.text
    assert draft.check.quarantined == 0
    bronze = draft.check.result.valid
    assert bronze["reading"].null_count() == 3 and bronze["status"].null_count() == 15


@pytest.mark.parametrize(
    ("values", "fmt", "lon", "lat"),
    [
        (["(30.66, 104.06)", "(30.67,104.07)", "(30.68, 104.08)"], "lat,lon", 104.06, 30.66),
        (
            ["POINT(104.06 30.66)", "POINT (104.07 30.67)", "point(104.08 30.68)"],
            "wkt",
            104.06,
            30.66,
        ),
        (["104.06,30.66", "104.07,30.67", "104.08,30.68"], "lon,lat", 104.06, 30.66),
    ],
)
def test_a_point_delivered_as_one_string(
    tmp_path: Path, values: list[str], fmt: str, lon: float, lat: float
) -> None:
    rows = [[f"P{n}", f'"{v}"'] for n, v in enumerate(values * 4)]
    draft, contract = drafted(
        tmp_path, "spots_20261001.csv", csv_text(["id", "位置"], rows).encode()
    )
    assert contract.coordinates is not None
    assert contract.coordinates.point is not None
    assert (contract.coordinates.point.source, contract.coordinates.point.format) == ("位置", fmt)
    assert contract.field("longitude").source is None
    assert contract.field("latitude").required
    assert "位置" not in {f.source for f in contract.fields}
    bronze = draft.check.result.valid
    assert (bronze["longitude"][0], bronze["latitude"][0]) == (lon, lat)


def test_nested_json_arrays_become_items(tmp_path: Path) -> None:
    lines = []
    for n in range(12):
        record = {
            "accidentId": f"SG20261001{n:05d}",
            "occurTime": 1790812800000 + n * 3_600_000,
            "lng": 104.06 + n / 1000,
            "lat": 30.66 + n / 1000,
            "districtCode": "510104",
            "vehicles": [
                {
                    "plateNo": f"川A{n:05d}",
                    "vehicleType": ["小型轿车", "重型货车"][k % 2],
                    "driver": {
                        "name": ["张伟", "王芳", "李娜"][k],
                        "idNo": identity(f"5101041985031{n:02d}{k:02d}"),
                        "phone": f"1390000{n:02d}{k:02d}",
                    },
                }
                for k in range(1 + n % 3)
            ],
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    draft, contract = drafted(
        tmp_path, "accidents_20261002.jsonl", ("\n".join(lines) + "\n").encode()
    )
    assert contract.landing.format == "jsonl"
    vehicles = contract.field("vehicles")
    assert (vehicles.logical_type, vehicles.required) == ("array", True)
    items = {item.source: item for item in vehicles.items}
    assert set(items) == {"plateNo", "vehicleType", "driver.name", "driver.idNo", "driver.phone"}
    assert items["driver.idNo"].standard == "identity_number"
    assert {s for s, item in items.items() if item.classification == "personal"} == {
        "driver.name",
        "driver.idNo",
        "driver.phone",
    }
    assert set(items["vehicleType"].enum) == {"小型轿车", "重型货车"}
    assert contract.field("occur_time").source_formats == ("epoch_ms",)
    assert contract.coordinates is not None and contract.coordinates.longitude == "longitude"
    assert contract.key == ("accident_id",)
    assert draft.check.quarantined == 0
    bronze = draft.check.result.valid
    assert bronze["vehicles"][2].to_list()[2]["driver_name"] == "李娜"


def test_an_xlsx_workbook(tmp_path: Path) -> None:
    path = tmp_path / "incidents_20261003.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("警情")
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet.write_row(0, 0, ["警情编号", "报警时间", "出动车辆", "经度", "纬度", "警情类型"])
    for n in range(1, 13):
        sheet.write_row(n, 0, [f"JQ20261003{n:05d}", None, n % 4, 104 + n / 100, 30.6, "火灾"])
        sheet.write_datetime(n, 1, datetime(2026, 10, 3, n, 30), when)
    workbook.close()
    draft, contract = drafted(tmp_path, path.name, path.read_bytes())
    assert contract.landing.format == "xlsx" and "encoding" not in draft.text.split("schema:")[0]
    assert [f.logical_type for f in contract.fields] == [
        "string",
        "timestamp",
        "integer",
        "number",
        "number",
        "string",
    ]
    assert contract.field("alarm_time").source_formats == ("%Y-%m-%d %H:%M:%S",)
    assert contract.coordinates is not None and contract.coordinates.system == "WGS84"
    assert "datum WGS84 assumed" in draft.text
    assert contract.key == ("incident_id",)
    assert draft.check.to_bronze == 12


# --- keys and patterns ------------------------------------------------------------------


def test_a_pair_is_the_key_when_no_column_is(tmp_path: Path) -> None:
    rows = [
        [f"{1430 + s}A", f"2026-10-01 {h:02d}:00:00", f"1380000{s}{h:03d}", str(s * h)]
        for s in range(4)
        for h in range(24)
    ]
    _, contract = drafted(
        tmp_path,
        "aq_20261001.csv",
        csv_text(["station_code", "hour", "phone", "pm25"], rows).encode(),
    )
    # The phone is unique too, but a person's number is never a record's key.
    assert contract.key == ("station_code", "hour")
    assert contract.field("phone").primary_key_position is None


def test_a_nearly_unique_identifier_is_named_not_declared(tmp_path: Path) -> None:
    rows = [[f"YH{n:013d}", "一般"] for n in range(200)] + [[f"YH{7:013d}", "一般"]]
    draft, contract = drafted(
        tmp_path, "h_20261001.csv", csv_text(["hazard_id", "level"], rows).encode()
    )
    assert contract.key == ()
    assert "(hazard_id) is unique but for 1 repeated and 0 empty row(s)" in draft.text
    assert draft.check.quarantined == 0


@pytest.mark.parametrize(
    ("values", "pattern"),
    [
        (
            [
                "JQ2026100100001",
                "JQ2026100100002",
                "JQ2026100200003",
                "JQ2026100200007",
                "JQ2026100300011",
            ],
            r"^JQ\d{13}$",
        ),
        (
            [f"510104********{n:03d}{'X' if n % 3 else n % 10}" for n in range(30)],
            r"^\d{6}\*{8}\d{3}[\dX]$",
        ),
        (["7446-09-5", "74-90-8", "7783-06-4", "7664-41-7", "50-00-0"], r"^\d{2,4}-\d{2}-\d$"),
        (["C3130", "H6210", "G5430"], r"^[A-Z]\d{4}$"),
        (["T13", "M17", "E11", "91", "RS1", "B2"], r"^(?:[A-Z]{1,2}\d{1,2}|\d{2})$"),
    ],
)
def test_patterns_generalise_codes_and_match_every_value(values: list[str], pattern: str) -> None:
    guess = infer_pattern(pl.Series(values))
    assert guess is not None and guess.pattern == pattern
    assert pl.Series(values).str.contains(guess.pattern).all()


# --- a real open-data file ----------------------------------------------------------------


def test_san_francisco_fire_calls(tmp_path: Path) -> None:
    sample = FIXTURES / "sf_fire_calls_20020216.csv"
    draft, contract = drafted(
        tmp_path, sample.name, sample.read_bytes(), department="fire_department", feed="calls"
    )
    assert contract.missing_values == ("null", "None")
    assert contract.coordinates is not None and contract.coordinates.point is not None
    assert contract.coordinates.point.format == "lat,lon"
    available = contract.field("available_dt_tm")
    assert available.source_formats == ("%m/%d/%Y %I:%M:%S %p",)
    assert contract.field("als_unit").logical_type == "boolean"
    assert contract.field("zipcode").pattern == r"^\d{5}$"
    assert contract.key == ("row_id",)
    # Every row lies outside the city profile's extent: that, and only that, is quarantined.
    assert set(draft.check.by_rule()["rule"]) == {"coordinates_outside_city"}


# --- the draft as a whole -------------------------------------------------------------------


def test_the_draft_says_it_is_a_draft_and_is_deterministic(tmp_path: Path) -> None:
    sample = FIXTURES / "sf_fire_calls_20020216.csv"
    first = draft_contract(sample, "fire_department", "calls")
    second = draft_contract(sample, "fire_department", "calls")
    assert first.text == second.text
    assert first.text.startswith("# DRAFT contract for fire_department/calls")
    assert "status: draft  # TODO: review" in first.text


def test_a_name_without_a_day_gets_one(tmp_path: Path) -> None:
    draft, contract = drafted(tmp_path, "export.csv", b"id,v\nA1,1\nA2,2\n")
    assert contract.landing.file == "export_{yyyymmdd}.csv"
    assert "holds no yyyymmdd day" in draft.text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty_20261001.csv", b"", "the file is empty"),
        ("header_20261001.csv", b"a,b\n", "no data rows"),
        ("data_20261001.parquet", b"PAR1", "cannot tell the format from the name"),
        ("latin_20261001.csv", "a,b\n\u00e9,1\n".encode("utf-16"), "neither UTF-8 nor GB 18030"),
        ("broken_20261001.xlsx", b"not a workbook", "not readable as an XLSX workbook"),
        ("lines_20261001.jsonl", b"[1, 2]\nnot json\n", "no line is a JSON object"),
    ],
)
def test_what_cannot_be_drafted_says_why(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    sample = tmp_path / name
    sample.write_bytes(content)
    with pytest.raises(DraftError, match=message):
        draft_contract(sample, "test_dept", "feed")


# --- the command -------------------------------------------------------------------------------


def test_the_command_writes_the_draft_and_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("SAFECITY_CONTRACTS_DIR", str(tmp_path / "contracts"))
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts/city.yaml").write_bytes(Path("contracts/city.yaml").read_bytes())
    sample = tmp_path / "calls_20261001.csv"
    sample.write_text("id,n\nA1,1\nA2,2\nA3,3\n", encoding="utf-8")
    args = ["contract", "draft", str(sample), "--department", "new_dept", "--feed", "calls"]
    assert cli.main(args) == 0
    written = tmp_path / "contracts/feeds/new_dept/calls.odcs.yaml"
    assert written.read_text(encoding="utf-8").startswith("# DRAFT contract for new_dept/calls")
    assert f"drafted {written}" in capsys.readouterr().out
    assert cli.main(["contract", "check", str(written)]) == 0
    before = written.read_text(encoding="utf-8")
    assert cli.main(args) == 1
    assert "exists: give another --out" in capsys.readouterr().err
    assert written.read_text(encoding="utf-8") == before
    assert (
        cli.main([*args[:4], "Bad-Name", "--feed", "calls", "--out", str(tmp_path / "x.yaml")]) == 1
    )
    assert "department 'Bad-Name' must be snake_case" in capsys.readouterr().err


def test_tabs_and_a_column_without_a_name(tmp_path: Path) -> None:
    content = b"id\t\tcount\nA1\tx\t1\nA2\ty\t2\nA3\tz\t3\n"
    draft, contract = drafted(tmp_path, "tabs_20261001.txt", content)
    assert contract.landing.delimiter == "\t"
    assert [f.source for f in contract.fields] == ["id", "count"]
    assert "1 column(s) have no name in the header: left out" in draft.text
    # Ingestion reads the file the same way: the nameless column is reported, no row is lost.
    assert draft.check.to_bronze == 3
    assert draft.check.result.columns_unexpected == [""]


def test_json_objects_and_mixed_values_stay_text(tmp_path: Path) -> None:
    lines = [
        {"id": "E1", "site": {"x": 1, "y": 2}, "tags": ["a", "b"], "level": 3},
        {"id": "E2", "site": None, "tags": [], "level": "high"},
        {"id": "E3", "level": None},
    ]
    content = "\n".join(json.dumps(line) for line in lines).encode() + b"\nnot json\n"
    draft, contract = drafted(tmp_path, "events_20261001.jsonl", content)
    assert {f.source: f.logical_type for f in contract.fields} == {
        "id": "string",
        "site": "string",
        "tags": "string",
        "level": "string",
    }
    # Ingestion refuses an object or a list where a string is contracted, unless the contract
    # says the field holds JSON text: the draft says so for the keys that held them
    # (level mixes numbers and text: JSON text too, kept as delivered)
    assert {f.source for f in contract.fields if f.json_text} == {"level", "site", "tags"}
    assert "1 row(s) of the sample are malformed or undecodable" in draft.text
    assert draft.check.quarantined == 1
    assert set(draft.check.by_rule()["rule"]) == {"row_malformed"}
