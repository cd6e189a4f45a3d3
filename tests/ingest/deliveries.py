"""Deliveries built in a test, as departments send them, and what ingestion must make of them.

Builders of valid rows for four real feeds (one per landing format), writers of
each format, and the checks every bad-input test makes: each delivered data row
is in bronze or quarantine exactly once, with its rule, column and original text.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import xlsxwriter
from polars.testing import assert_frame_equal

from pipelines.lib.contracts import FeedContract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.ingest import Ingested, ingest_delivery, landing_file
from pipelines.lib.ingest.lake import read_partition
from pipelines.lib.ingest.read import SOURCE_ROW
from pipelines.lib.standards.identifiers import identity_check_char, uscc_check_char

REPO_ROOT = Path(__file__).resolve().parents[2]
FEEDS = REPO_ROOT / "contracts" / "feeds"
CST = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 2)
NEXT_DAY = DAY + timedelta(days=1)
TEN_MB = 10 * 1024 * 1024


def deliver(data: DataDir, contract: FeedContract, content: bytes, day: date = DAY) -> Path:
    path = landing_file(data, contract, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def ingest(data: DataDir, contract: FeedContract, connection, day: date = DAY) -> Ingested:
    return ingest_delivery(data, contract, day, connection)


def accounted(
    ingested: Ingested, written: int, rows: list[int] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The partition as written to disk, after checking that each of the `written` data rows is in it once.

    `rows`: their source row numbers, when not 1 to `written` (JSON lines are numbered by line,
    and a blank line is no record)."""
    bronze, quarantine = read_partition(ingested.partition)
    assert ingested.accounted
    assert ingested.result.landed == written
    assert bronze.height + quarantine.height == written
    expected = rows if rows is not None else list(range(1, written + 1))
    assert sorted([*bronze[SOURCE_ROW], *quarantine[SOURCE_ROW]]) == expected
    assert bronze.height == ingested.result.valid.height
    assert quarantine.height == ingested.result.quarantine.height
    return bronze, quarantine


def quarantined(quarantine: pl.DataFrame) -> dict[int, dict]:
    """Quarantined rows by source row number."""
    return {row[SOURCE_ROW]: row for row in quarantine.iter_rows(named=True)}


def assert_quarantined(
    quarantine: pl.DataFrame, row: int, rule: str, column: str | None, *original: str
) -> dict:
    """Row `row` is quarantined for `rule` in `column`, and its original values include each of `original`."""
    record = quarantined(quarantine)[row]
    assert record["rule"] == rule, record
    assert rule in record["rules"]
    if column is not None:
        assert record["column"] == column
    for text in original:
        assert text in record["original"], (text, record["original"][:500])
    return record


# ------------------------------------------------------------------ valid rows, as departments deliver them


def uscc(n: int) -> str:
    body = f"91510104MA{n:07d}"
    return body + str(uscc_check_char([body])[0])


def identity_number(n: int) -> str:
    body = f"51010419800101{n:03d}"
    return body + str(identity_check_char([body])[0])


def wrong_check(code: str) -> str:
    """The code with another check character: any other is wrong, the check being a function of the body."""
    return code[:-1] + ("1" if code[-1] != "1" else "2")


def enterprise(n: int, **changes: str) -> dict[str, str]:
    row = {
        "uscc": uscc(n),
        "enterprise_name": f"成都锦江化工有限公司第{n}分公司",
        "industry_code": "C2614",
        "enterprise_type": "有限责任公司",
        "legal_rep_name": "张伟",
        "legal_rep_id_no": identity_number(n),
        "address": f"成都市锦江区东大街{n}号",
        "county_code": "510104",
        "township_code": "510104017",
        "longitude": f"{104.05 + n / 1000:.6f}",
        "latitude": f"{30.60 + n / 1000:.6f}",
        "contact_phone": "028-86661234",
        "employees": str(10 + n),
        "registered_date": "2015-06-01",
    }
    row.update(changes)
    return row


ENTERPRISE_HEADER = list(enterprise(1))


def inspection(n: int, **changes: str) -> dict[str, str]:
    row = {
        "检查编号": f"JC2026030200{n:03d}",
        "许可证编号": f"JY2510104000{n:04d}",
        "经营者名称": f"锦江区老码头火锅店{n}号店",
        "经营地址": "成都市锦江区春熙路1号",
        "区划代码": "510104",
        "检查日期": "2026/03/01",
        "检查结果": "符合",
        "问题描述": "",
        "检查人员": "李明;王芳",
    }
    row.update(changes)
    return row


INSPECTION_HEADER = list(inspection(1))


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def accident(n: int, **changes) -> dict:
    record = {
        "accidentId": f"SG2026030200{n:03d}",
        "occurTime": epoch_ms(datetime(2026, 3, 2, 8, 30, tzinfo=CST)),
        "lng": 104.06 + n / 1000,
        "lat": 30.62,
        "roadName": "人民南路",
        "address": f"人民南路四段{n}号",
        "districtCode": "510107",
        "deaths": 0,
        "injuries": n % 3,
        "cause": "未按规定让行",
        "weather": "晴",
        "vehicles": [
            {
                "plateNo": f"川A{n:05d}",
                "vehicleType": "小型轿车",
                "driver": {
                    "name": "王强",
                    "idNo": identity_number(100 + n),
                    "phone": "13800138000",
                },
            }
        ],
    }
    record.update(changes)
    return record


def incident(n: int, **changes) -> dict:
    row = {
        "警情编号": f"JQ2026030200{n:03d}",
        "报警时间": "2026-03-02 10:15:00",
        "出动时间": "2026-03-02 10:16:00",
        "到场时间": "2026-03-02 10:25:00",
        "结束时间": "2026-03-02 11:40:00",
        "警情类型": "火灾",
        "起火单位": f"成华区蜀味餐馆{n}",
        "详细地址": "成都市成华区建设北路一段1号",
        "经度": 104.11,
        "纬度": 30.68,
        "行政区划": "510108",
        "出动力量": "建设路站",
        "出动车辆": 3,
        "死亡人数": 0,
        "受伤人数": 0,
        "直接财产损失（万元）": 1.5,
        "起火原因": "电气故障",
    }
    row.update(changes)
    return row


INCIDENT_HEADER = list(incident(1))


def csv_text(rows: list[dict], header: list[str] | None = None, newline: str = "\n") -> str:
    header = header if header is not None else list(rows[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    writer.writerows([[row[c] for c in header] for row in rows])
    return buffer.getvalue()


def csv_all_quoted(rows: list[dict], header: list[str] | None = None, newline: str = "\n") -> str:
    """Every field quoted, as spreadsheet exports write them: a CR or LF in a value is data."""
    header = header if header is not None else list(rows[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline, quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows([[row[c] for c in header] for row in rows])
    return buffer.getvalue()


def jsonl_bytes(records: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


@dataclass(frozen=True)
class Formula:
    """A cell the department's spreadsheet computes: its formula and the value it shows.

    `shows=None`: never computed (written by a program that does not calculate); a string
    starting with "#" is an error value such as #DIV/0!.
    """

    formula: str
    shows: str | float | None


_UNCOMPUTED = -987654321  # written as the cached value, then removed from the sheet's XML


def xlsx_bytes(
    tmp_path: Path,
    rows: list[dict],
    header: list[str] | None = None,
    *,
    sheet: str = "警情",
    above: list[str | None] = (),  # type: ignore[assignment]
    sheets_before: dict[str, list[list]] | None = None,
    sheets_after: dict[str, list[list]] | None = None,
) -> bytes:
    """A workbook as a department's export writes it: numbers as numbers, text as text.

    The data sheet is named `sheet` (the sample city's contract names 警情); `above` are rows
    above the header (a title in column A, None a blank row); `sheets_before` and `sheets_after`
    are other sheets by name, with their rows (an empty list: an empty sheet). A value may be
    a `Formula`.
    """
    header = header if header is not None else list(rows[0])
    path = tmp_path / "workbook.xlsx"
    workbook = xlsxwriter.Workbook(path)
    for name, cells in (sheets_before or {}).items():
        _write_rows(workbook.add_worksheet(name), cells)
    data = workbook.add_worksheet(sheet)
    for r, title in enumerate(above):
        if title is not None:
            data.write_string(r, 0, title)
    top = len(above)
    _write_rows(data, [header], top)
    _write_rows(data, [[row[name] for name in header] for row in rows], top + 1)
    for name, cells in (sheets_after or {}).items():
        _write_rows(workbook.add_worksheet(name), cells)
    workbook.close()
    return _without_uncomputed_values(path.read_bytes())


def _write_rows(sheet, rows: list[list], start: int = 0) -> None:
    for r, row in enumerate(rows, start=start):
        for col, value in enumerate(row):
            if isinstance(value, Formula):
                shows = _UNCOMPUTED if value.shows is None else value.shows
                sheet.write_formula(r, col, value.formula, None, shows)
            elif isinstance(value, (int, float)):
                sheet.write_number(r, col, value)
            elif value is not None:
                sheet.write_string(r, col, value)


def _without_uncomputed_values(workbook: bytes) -> bytes:
    """The workbook with never-computed formulas as openpyxl writes them: `<v></v>`."""
    marker = f"<v>{_UNCOMPUTED}</v>".encode()
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info).replace(marker, b"<v></v>"))
    return out.getvalue()


# ------------------------------------------------------------------ what bronze must hold

_POLARS = {"string": pl.String, "number": pl.Float64, "integer": pl.Int64, "date": pl.Date}


def _typed(f, value):
    if value is None:
        return None
    text = str(value).strip()
    if text == "":
        return None
    if f.logical_type == "number":
        return float(text)
    if f.logical_type == "integer":
        return int(float(text))
    if f.logical_type == "date":
        for fmt in f.source_formats:
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise AssertionError(f"{text!r} is no date in {f.source_formats}")
    return text


def expected_bronze(contract: FeedContract, rows: list[dict]) -> pl.DataFrame:
    """The delivered values, typed, of every field a test can predict exactly.

    Left out: converted coordinates (GCJ-02, BD-09), timestamps and nested arrays, checked where they matter.
    """
    converted = set()
    if contract.coordinates is not None and contract.coordinates.system != "WGS84":
        converted = {contract.coordinates.longitude, contract.coordinates.latitude}
    columns = {}
    for f in contract.fields:
        if f.logical_type not in _POLARS or f.name in converted:
            continue
        values = [_typed(f, row.get(f.source)) for row in rows]
        columns[f.name] = pl.Series(f.name, values, dtype=_POLARS[f.logical_type])
    return pl.DataFrame(columns)


def assert_bronze(
    bronze: pl.DataFrame, contract: FeedContract, rows: list[dict], source_rows: list[int]
) -> None:
    """Bronze holds exactly `rows` (delivered as data rows `source_rows`), values unchanged."""
    expected = expected_bronze(contract, rows)
    actual = bronze.sort(SOURCE_ROW)
    assert actual[SOURCE_ROW].to_list() == source_rows
    assert_frame_equal(actual.select(expected.columns), expected)
