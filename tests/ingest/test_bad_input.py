"""Bad input at ingestion: the ways a department's delivery goes wrong, each in a small file built here.

Every test writes one landing file of a real feed contract (UTF-8 CSV, GB 18030
CSV, JSON lines, XLSX), ingests it, and reads the lake partition back from storage
(each test runs twice: the lake local, and in moto's S3):

* the bad row is in quarantine with the rule it broke and its original values;
* the valid rows of the same file are in bronze, their values as delivered;
* row accounting holds: every delivered data row is in bronze or quarantine, once.

A file that cannot be read at all must fail with one clear line and write nothing.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import polars as pl
import pytest
import xlsxwriter
from polars.testing import assert_frame_equal

import pipelines.lib.ingest.ingest as ingest_module
from pipelines.lib.contracts import FeedContract
from pipelines.lib.ingest.enforce import DELIVERY_DATE, SOURCE_FILE
from pipelines.lib.ingest.ingest import (
    Ingested,
    day_unit,
    ingest_deliveries,
    ingest_in_turn,
    landing_file,
)
from pipelines.lib.ingest.lake import read_partition
from pipelines.lib.ingest.read import SOURCE_ROW, UnreadableFile
from pipelines.lib.storage import configure_duckdb, read_parquet
from tests.ingest.deliveries import (
    CST,
    DAY,
    ENTERPRISE_HEADER,
    INCIDENT_HEADER,
    INSPECTION_HEADER,
    NEXT_DAY,
    TEN_MB,
    accident,
    accounted,
    assert_bronze,
    assert_quarantined,
    csv_text,
    deliver,
    enterprise,
    epoch_ms,
    identity_number,
    incident,
    ingest,
    inspection,
    jsonl_bytes,
    quarantined,
    uscc,
    wrong_check,
    xlsx_bytes,
)

# ================================================================== baseline: the builders make valid rows


def test_valid_csv_utf8_delivery_reaches_bronze_unchanged(data, connection, enterprises):
    rows = [enterprise(n) for n in range(1, 4)]
    deliver(data, enterprises, csv_text(rows).encode("utf-8"))
    ingested = ingest(data, enterprises, connection)
    bronze, quarantine = accounted(ingested, 3)
    assert quarantine.height == 0
    assert_bronze(bronze, enterprises, rows, [1, 2, 3])
    source = "landing/emergency_management/enterprises/enterprises_20260302.csv"
    assert bronze[SOURCE_FILE].unique().to_list() == [source]
    assert bronze[DELIVERY_DATE].unique().to_list() == [DAY]
    assert ingested.result.notes == []


def test_valid_csv_gb18030_delivery_reaches_bronze_unchanged(data, connection, food_inspections):
    rows = [inspection(n) for n in range(1, 4)]
    deliver(data, food_inspections, csv_text(rows).encode("gb18030"))
    bronze, quarantine = accounted(ingest(data, food_inspections, connection), 3)
    assert quarantine.height == 0
    assert_bronze(bronze, food_inspections, rows, [1, 2, 3])


def test_valid_jsonl_delivery_reaches_bronze_unchanged(data, connection, traffic_accidents):
    records = [accident(n) for n in range(1, 4)]
    deliver(data, traffic_accidents, jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), 3)
    assert quarantine.height == 0
    assert_bronze(bronze, traffic_accidents, records, [1, 2, 3])
    assert bronze["occurred_at"].to_list() == [datetime(2026, 3, 2, 8, 30, tzinfo=CST)] * 3
    vehicles = bronze.sort(SOURCE_ROW)["vehicles"].to_list()
    assert [v[0]["plate_no"] for v in vehicles] == ["川A00001", "川A00002", "川A00003"]
    assert [v[0]["driver_id_number"] for v in vehicles] == [
        identity_number(100 + n) for n in (1, 2, 3)
    ]


def test_valid_xlsx_delivery_reaches_bronze_unchanged(data, connection, fire_incidents, tmp_path):
    rows = [incident(n) for n in range(1, 4)]
    deliver(data, fire_incidents, xlsx_bytes(tmp_path, rows))
    bronze, quarantine = accounted(ingest(data, fire_incidents, connection), 3)
    assert quarantine.height == 0
    assert_bronze(bronze, fire_incidents, rows, [1, 2, 3])
    assert bronze["alarm_at"].to_list() == [datetime(2026, 3, 2, 10, 15, tzinfo=CST)] * 3


# ================================================================== wrong encoding


def test_gb18030_feed_delivered_as_utf8_is_read_as_utf8_with_a_note(
    data, connection, food_inspections
):
    rows = [inspection(n) for n in range(1, 4)]
    deliver(data, food_inspections, csv_text(rows).encode("utf-8"))
    ingested = ingest(data, food_inspections, connection)
    bronze, quarantine = accounted(ingested, 3)
    assert quarantine.height == 0
    assert_bronze(bronze, food_inspections, rows, [1, 2, 3])
    assert any("gb18030" in note and "utf-8" in note for note in ingested.result.notes), (
        ingested.result.notes
    )


def test_undecodable_bytes_in_one_row_of_a_gb18030_file_quarantine_that_row_only(
    data, connection, food_inspections
):
    rows = [inspection(n) for n in range(1, 5)]
    bad_name = rows[1]["经营者名称"]
    name_bytes = bad_name.encode("gb18030")
    # Row 2's business name gets two bytes that are no GB 18030 (0xFF never starts a character).
    content = csv_text(rows).encode("gb18030").replace(name_bytes, b"\xff\xff" + name_bytes)
    deliver(data, food_inspections, content)
    ingested = ingest(data, food_inspections, connection)
    bronze, quarantine = accounted(ingested, 4)
    assert_quarantined(
        quarantine,
        2,
        "encoding_invalid",
        None,
        rows[1]["检查编号"],
        rows[1]["许可证编号"],
        bad_name,
    )
    assert_bronze(bronze, food_inspections, [rows[0], rows[2], rows[3]], [1, 3, 4])
    assert ingested.result.notes, (
        "a file that is not valid in its declared encoding deserves a note"
    )


def test_undecodable_bytes_in_one_row_of_a_utf8_file_quarantine_that_row_only(
    data, connection, enterprises
):
    rows = [enterprise(n) for n in range(1, 5)]
    # Row 3's legal representative is two bytes that are no UTF-8 (0xC3 starts a pair, 0x28 cannot end it).
    name_and_id = "," + rows[2]["legal_rep_name"] + "," + rows[2]["legal_rep_id_no"]
    content = (
        csv_text(rows)
        .encode("utf-8")
        .replace(
            name_and_id.encode("utf-8"), b",\xc3\x28," + rows[2]["legal_rep_id_no"].encode("utf-8")
        )
    )
    deliver(data, enterprises, content)
    ingested = ingest(data, enterprises, connection)
    bronze, quarantine = accounted(ingested, 4)
    assert_quarantined(
        quarantine, 3, "encoding_invalid", None, rows[2]["uscc"], rows[2]["enterprise_name"]
    )
    assert_bronze(bronze, enterprises, [rows[0], rows[1], rows[3]], [1, 2, 4])


def test_one_gb18030_row_in_a_utf8_file_does_not_garble_the_utf8_rows(
    data, connection, enterprises
):
    # A small UTF-8 file whose Chinese values all have an even number of characters (so an even number
    # of UTF-8 bytes), with one row pasted in from a GBK system. Its UTF-8 rows happen to be valid
    # GB 18030 byte for byte: they must still be read as the UTF-8 they are.
    even = {
        "enterprise_name": "成都锦江化工有限公司",
        "address": "锦江区东大街",
        "legal_rep_name": "张伟",
        "enterprise_type": "有限责任公司",
    }
    rows = [enterprise(n, **even) for n in range(1, 5)]
    lines = csv_text(rows).splitlines(keepends=True)  # lines[2] is data row 2
    content = b"".join(
        line.encode("gb18030" if i == 2 else "utf-8") for i, line in enumerate(lines)
    )
    deliver(data, enterprises, content)
    ingested = ingest(data, enterprises, connection)
    bronze, quarantine = accounted(ingested, 4)
    assert_bronze(
        bronze.filter(pl.col(SOURCE_ROW) != 2), enterprises, [rows[0], rows[2], rows[3]], [1, 3, 4]
    )
    # The GBK row: quarantined as undecodable, or (if the reader recognises it) read correctly.
    if quarantine.height:
        assert_quarantined(quarantine, 2, "encoding_invalid", None, rows[1]["uscc"])
    else:
        assert_bronze(bronze.filter(pl.col(SOURCE_ROW) == 2), enterprises, [rows[1]], [2])


def test_utf8_with_byte_order_mark_and_crlf_line_ends_is_read(data, connection, enterprises):
    rows = [enterprise(n) for n in range(1, 4)]
    deliver(data, enterprises, b"\xef\xbb\xbf" + csv_text(rows, newline="\r\n").encode("utf-8"))
    ingested = ingest(data, enterprises, connection)
    bronze, quarantine = accounted(ingested, 3)
    assert quarantine.height == 0
    assert ingested.result.columns_missing == []
    assert_bronze(bronze, enterprises, rows, [1, 2, 3])


# ================================================================== broken rows: truncated, too many or few fields


def test_truncated_last_csv_line_is_row_malformed(data, connection, enterprises):
    rows = [enterprise(n) for n in range(1, 5)]
    text = csv_text(rows)
    cut = text.rstrip("\n")
    cut = cut[
        : cut.rindex(rows[3]["legal_rep_id_no"]) + 6
    ]  # the transfer stopped inside the identity number
    deliver(data, enterprises, cut.encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), 4)
    record = assert_quarantined(
        quarantine, 4, "row_malformed", None, rows[3]["uscc"], rows[3]["enterprise_name"]
    )
    assert record["original"].endswith(rows[3]["legal_rep_id_no"][:6])
    assert_bronze(bronze, enterprises, rows[:3], [1, 2, 3])


def test_truncated_last_csv_line_cut_inside_a_quoted_field_is_row_malformed(
    data, connection, enterprises
):
    # An address with a comma is quoted; the transfer stopped inside it, so the quote never closes.
    rows = [enterprise(n, address=f"成都市锦江区东大街{n}号, {n}栋") for n in range(1, 5)]
    text = csv_text(rows).rstrip("\n")
    cut = text[: text.rindex('"成都市锦江区东大街4号') + 8]
    assert cut.count('"') % 2 == 1
    deliver(data, enterprises, cut.encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), 4)
    assert_quarantined(
        quarantine, 4, "row_malformed", None, rows[3]["uscc"], rows[3]["enterprise_name"]
    )
    assert_bronze(bronze, enterprises, rows[:3], [1, 2, 3])


def test_truncated_last_gb18030_line_cut_inside_a_character(data, connection, food_inspections):
    rows = [inspection(n) for n in range(1, 4)]
    content = csv_text(rows).encode("gb18030").rstrip(b"\n")
    name = rows[2]["经营者名称"].encode("gb18030")
    content = content[: content.rindex(name) + 3]  # one and a half characters of the name
    deliver(data, food_inspections, content)
    bronze, quarantine = accounted(ingest(data, food_inspections, connection), 3)
    record = quarantined(quarantine)[3]
    assert record["rule"] in ("row_malformed", "encoding_invalid")
    assert rows[2]["检查编号"] in record["original"]
    assert_bronze(bronze, food_inspections, rows[:2], [1, 2])


def test_truncated_last_json_line_is_row_malformed(data, connection, traffic_accidents):
    records = [accident(n) for n in range(1, 4)]
    text = jsonl_bytes(records).decode("utf-8")
    last = json.dumps(records[2], ensure_ascii=False)
    cut = last[: last.index('"vehicles"') + 20]
    deliver(data, traffic_accidents, text.replace(last + "\n", cut).encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), 3)
    record = assert_quarantined(quarantine, 3, "row_malformed", None)
    assert record["original"] == cut
    assert_bronze(bronze, traffic_accidents, records[:2], [1, 2])


@pytest.mark.parametrize(
    "bad_line, rule",
    [
        pytest.param(b"[1, 2, 3]", "row_malformed", id="array-not-object"),
        pytest.param(b'"just text"', "row_malformed", id="string-not-object"),
        pytest.param(b"accidentId=SG2026030200002", "row_malformed", id="not-json"),
        pytest.param(
            '{"accidentId": "SG2026030200002", "address": "人民南路"}'.encode("gb18030"),
            "encoding_invalid",
            id="gb18030-bytes",
        ),
    ],
)
def test_broken_json_line_is_quarantined_and_the_others_are_fine(
    data, connection, traffic_accidents, bad_line, rule
):
    records = [accident(n) for n in (1, 3)]
    lines = jsonl_bytes(records).split(b"\n")
    deliver(data, traffic_accidents, lines[0] + b"\n" + bad_line + b"\n" + lines[1] + b"\n")
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), 3)
    record = assert_quarantined(quarantine, 2, rule, None)
    if rule == "row_malformed":
        assert record["original"] == bad_line.decode("utf-8")
    else:
        assert (
            "SG2026030200002" in record["original"]
        )  # the readable part, the rest shown as escaped bytes
    assert_bronze(bronze, traffic_accidents, records, [1, 3])


def test_rows_with_too_many_and_too_few_fields_are_row_malformed(data, connection, enterprises):
    rows = [enterprise(n) for n in range(1, 6)]
    lines = csv_text(rows).splitlines()
    lines[2] = lines[2] + ",an extra field"  # data row 2
    lines[4] = lines[4].rsplit(",", 2)[0]  # data row 4: the last two fields are missing
    deliver(data, enterprises, ("\n".join(lines) + "\n").encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), 5)
    assert_quarantined(quarantine, 2, "row_malformed", None, rows[1]["uscc"], "an extra field")
    assert_quarantined(
        quarantine, 4, "row_malformed", None, rows[3]["uscc"], rows[3]["enterprise_name"]
    )
    assert_bronze(bronze, enterprises, [rows[0], rows[2], rows[4]], [1, 3, 5])


def test_quoted_line_break_is_one_row_and_row_numbers_stay_right(data, connection, enterprises):
    # Data row 1 spans two lines of the file; data row 3 has a field too many and must be reported as row 3.
    rows = [
        enterprise(1, address="成都市锦江区\n东大街1号"),
        enterprise(2),
        enterprise(3),
        enterprise(4),
    ]
    text = csv_text(rows[:3]).rstrip("\n") + ",extra\n" + csv_text(rows[3:]).split("\n", 1)[1]
    deliver(data, enterprises, text.encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), 4)
    assert_quarantined(quarantine, 3, "row_malformed", None, rows[2]["uscc"])
    assert_bronze(bronze, enterprises, [rows[0], rows[1], rows[3]], [1, 2, 4])


# ================================================================== column drift


def test_column_renamed_to_a_known_alias_is_read_and_reported(data, connection, enterprises):
    rows = [enterprise(n) for n in range(1, 4)]
    aliases = {"enterprise_name": "ent_name", "contact_phone": "phone"}
    renamed = [{aliases.get(k, k): v for k, v in r.items()} for r in rows]
    deliver(data, enterprises, csv_text(renamed).encode("utf-8"))
    ingested = ingest(data, enterprises, connection)
    bronze, quarantine = accounted(ingested, 3)
    assert quarantine.height == 0
    assert ingested.result.columns_renamed == {"enterprise_name": "ent_name", "phone": "phone"}
    assert ingested.result.columns_missing == []
    assert ingested.result.columns_unexpected == []
    assert_bronze(bronze, enterprises, rows, [1, 2, 3])


def test_column_renamed_to_a_known_alias_in_json_lines(data, connection, traffic_accidents):
    records = [accident(n) for n in range(1, 4)]
    drifted = [{("xzqh" if k == "districtCode" else k): v for k, v in r.items()} for r in records]
    deliver(data, traffic_accidents, jsonl_bytes(drifted))
    ingested = ingest(data, traffic_accidents, connection)
    bronze, quarantine = accounted(ingested, 3)
    assert quarantine.height == 0
    assert ingested.result.columns_renamed == {"county_code": "xzqh"}
    assert_bronze(bronze, traffic_accidents, records, [1, 2, 3])


def test_column_renamed_to_a_known_alias_in_a_workbook(data, connection, fire_incidents, tmp_path):
    rows = [incident(n) for n in range(1, 4)]
    drifted = [{("涉及单位" if k == "起火单位" else k): v for k, v in r.items()} for r in rows]
    deliver(data, fire_incidents, xlsx_bytes(tmp_path, drifted))
    ingested = ingest(data, fire_incidents, connection)
    bronze, quarantine = accounted(ingested, 3)
    assert quarantine.height == 0
    assert ingested.result.columns_renamed == {"involved_unit": "涉及单位"}
    assert_bronze(bronze, fire_incidents, rows, [1, 2, 3])


def test_unknown_added_column_is_reported_and_rows_are_fine(data, connection, enterprises):
    rows = [enterprise(n, remark=f"备注{n}") for n in range(1, 4)]
    deliver(data, enterprises, csv_text(rows).encode("utf-8"))
    ingested = ingest(data, enterprises, connection)
    bronze, quarantine = accounted(ingested, 3)
    assert quarantine.height == 0
    assert ingested.result.columns_unexpected == ["remark"]
    assert "remark" not in bronze.columns
    assert_bronze(bronze, enterprises, rows, [1, 2, 3])


def test_missing_required_column_quarantines_every_row_as_column_missing(
    data, connection, enterprises
):
    rows = [enterprise(n) for n in range(1, 4)]
    header = [c for c in ENTERPRISE_HEADER if c != "county_code"]
    deliver(data, enterprises, csv_text(rows, header).encode("utf-8"))
    ingested = ingest(data, enterprises, connection)
    bronze, quarantine = accounted(ingested, 3)
    assert bronze.height == 0
    assert ingested.result.columns_missing == ["county_code"]
    for n, row in enumerate(rows, start=1):
        record = assert_quarantined(
            quarantine, n, "column_missing", "county_code", row["uscc"], row["enterprise_name"]
        )
        assert json.loads(record["original"]) == {c: row[c] for c in header}


def test_file_with_none_of_the_contracted_columns_quarantines_every_row(
    data, connection, food_inspections
):
    # The department's export switched to English headers: no contracted column (nor alias) is there.
    english = ["inspection_no", "licence_no", "business_name", "county", "date", "result"]
    rows = [
        dict(
            zip(
                english,
                [
                    f"JC2026030200{n:03d}",
                    f"JY2510104000{n:04d}",
                    f"火锅店{n}",
                    "510104",
                    "2026/03/01",
                    "符合",
                ],
                strict=True,
            )
        )
        for n in (1, 2, 3)
    ]
    deliver(data, food_inspections, csv_text(rows).encode("gb18030"))
    ingested = ingest(data, food_inspections, connection)
    bronze, quarantine = accounted(ingested, 3)
    assert bronze.height == 0
    assert ingested.result.columns_unexpected == sorted(english)
    for n, row in enumerate(rows, start=1):
        assert_quarantined(
            quarantine,
            n,
            "column_missing",
            "inspection_id",
            row["inspection_no"],
            row["business_name"],
        )


def test_missing_optional_column_is_reported_and_rows_are_fine(data, connection, enterprises):
    rows = [enterprise(n) for n in range(1, 4)]
    header = [c for c in ENTERPRISE_HEADER if c != "contact_phone"]
    deliver(data, enterprises, csv_text(rows, header).encode("utf-8"))
    ingested = ingest(data, enterprises, connection)
    bronze, quarantine = accounted(ingested, 3)
    assert quarantine.height == 0
    assert ingested.result.columns_missing == ["contact_phone"]
    assert bronze["phone"].null_count() == 3
    without_phone = [{k: v for k, v in r.items() if k != "contact_phone"} for r in rows]
    assert_bronze(bronze, enterprises, without_phone, [1, 2, 3])


def test_reordered_columns_are_read_by_name(
    data, connection, enterprises, fire_incidents, tmp_path
):
    rows = [enterprise(n) for n in range(1, 4)]
    deliver(data, enterprises, csv_text(rows, list(reversed(ENTERPRISE_HEADER))).encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), 3)
    assert quarantine.height == 0
    assert_bronze(bronze, enterprises, rows, [1, 2, 3])

    incidents = [incident(n) for n in range(1, 4)]
    deliver(data, fire_incidents, xlsx_bytes(tmp_path, incidents, sorted(INCIDENT_HEADER)))
    bronze, quarantine = accounted(ingest(data, fire_incidents, connection), 3)
    assert quarantine.height == 0
    assert_bronze(bronze, fire_incidents, incidents, [1, 2, 3])


# ================================================================== values that break a rule


@pytest.mark.parametrize(
    "column, value, field",
    [
        ("employees", "twelve", "employees"),
        ("employees", "12.5", "employees"),
        ("longitude", "东经104度", "longitude"),
        ("registered_date", "2015-13-45", "registered_date"),
    ],
)
def test_text_in_a_typed_column_is_type_invalid(
    data, connection, enterprises, column, value, field
):
    rows = [enterprise(n) for n in range(1, 4)]
    rows[1][column] = value
    deliver(data, enterprises, csv_text(rows).encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), 3)
    record = assert_quarantined(quarantine, 2, "type_invalid", field, rows[1]["uscc"])
    assert json.loads(record["original"])[column] == value
    assert_bronze(bronze, enterprises, [rows[0], rows[2]], [1, 3])


def test_text_in_an_integer_field_of_json_lines_and_a_workbook_is_type_invalid(
    data, connection, traffic_accidents, fire_incidents, tmp_path
):
    records = [accident(1), accident(2, deaths="two"), accident(3)]
    deliver(data, traffic_accidents, jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), 3)
    assert_quarantined(quarantine, 2, "type_invalid", "deaths", "SG2026030200002", '"two"')
    assert_bronze(bronze, traffic_accidents, [records[0], records[2]], [1, 3])

    rows = [incident(1), incident(2, 出动车辆="三辆"), incident(3)]
    deliver(data, fire_incidents, xlsx_bytes(tmp_path, rows))
    bronze, quarantine = accounted(ingest(data, fire_incidents, connection), 3)
    assert_quarantined(quarantine, 2, "type_invalid", "vehicles_sent", "JQ2026030200002", "三辆")
    assert_bronze(bronze, fire_incidents, [rows[0], rows[2]], [1, 3])


@pytest.mark.parametrize(
    "column, rule, field",
    [
        ("legal_rep_id_no", "identity_number_check", "legal_rep_id_number"),
        ("uscc", "uscc_check", "uscc"),
    ],
)
def test_wrong_check_character_is_quarantined(data, connection, enterprises, column, rule, field):
    rows = [enterprise(n) for n in range(1, 4)]
    rows[1][column] = wrong_check(rows[1][column])
    deliver(data, enterprises, csv_text(rows).encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), 3)
    assert_quarantined(quarantine, 2, rule, field, rows[1][column], rows[1]["enterprise_name"])
    assert_bronze(bronze, enterprises, [rows[0], rows[2]], [1, 3])


def test_wrong_check_character_of_a_nested_driver_identity_number(
    data, connection, traffic_accidents
):
    records = [accident(n) for n in range(1, 4)]
    bad = wrong_check(identity_number(102))
    records[1]["vehicles"][0]["driver"]["idNo"] = bad
    deliver(data, traffic_accidents, jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), 3)
    assert_quarantined(quarantine, 2, "identity_number_check", "vehicles.driver_id_number", bad)
    assert_bronze(bronze, traffic_accidents, [records[0], records[2]], [1, 3])


@pytest.mark.parametrize(
    "column, code, field",
    [
        ("county_code", "510199", "county_code"),  # 5101xx, but no such county
        ("county_code", "999999", "county_code"),
        ("township_code", "510104999", "township_code"),
    ],
)
def test_unknown_administrative_code_is_quarantined(
    data, connection, enterprises, column, code, field
):
    rows = [enterprise(n) for n in range(1, 4)]
    rows[1][column] = code
    deliver(data, enterprises, csv_text(rows).encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), 3)
    assert_quarantined(quarantine, 2, "admin_code_unknown", field, code, rows[1]["uscc"])
    assert_bronze(bronze, enterprises, [rows[0], rows[2]], [1, 3])


def test_unknown_administrative_code_in_a_gb18030_file(data, connection, food_inspections):
    rows = [inspection(1), inspection(2, 区划代码="510199"), inspection(3)]
    deliver(data, food_inspections, csv_text(rows).encode("gb18030"))
    bronze, quarantine = accounted(ingest(data, food_inspections, connection), 3)
    assert_quarantined(
        quarantine, 2, "admin_code_unknown", "county_code", "510199", rows[1]["经营者名称"]
    )
    assert_bronze(bronze, food_inspections, [rows[0], rows[2]], [1, 3])


@pytest.mark.parametrize(
    "longitude, latitude",
    [
        pytest.param("116.397", "39.909", id="beijing"),
        pytest.param("30.65", "104.06", id="swapped"),
        pytest.param("0", "0", id="zeros"),
    ],
)
def test_coordinates_outside_the_city_are_quarantined(
    data, connection, enterprises, longitude, latitude
):
    rows = [enterprise(n) for n in range(1, 4)]
    rows[1].update(longitude=longitude, latitude=latitude)
    deliver(data, enterprises, csv_text(rows).encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), 3)
    record = assert_quarantined(
        quarantine, 2, "coordinates_outside_city", "longitude,latitude", rows[1]["uscc"]
    )
    original = json.loads(record["original"])
    assert (original["longitude"], original["latitude"]) == (longitude, latitude)
    assert_bronze(bronze, enterprises, [rows[0], rows[2]], [1, 3])


def test_gcj02_coordinates_outside_the_city_are_quarantined(data, connection, traffic_accidents):
    records = [accident(1), accident(2, lng=116.397, lat=39.909), accident(3)]
    deliver(data, traffic_accidents, jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), 3)
    assert_quarantined(
        quarantine, 2, "coordinates_outside_city", "longitude,latitude", "116.397", "39.909"
    )
    assert_bronze(bronze, traffic_accidents, [records[0], records[2]], [1, 3])


def test_date_after_the_delivery_day_is_date_in_future(data, connection, enterprises):
    rows = [
        enterprise(1, registered_date=DAY.isoformat()),  # the delivery day itself is not the future
        enterprise(2, registered_date=NEXT_DAY.isoformat()),
        enterprise(3, registered_date="2099.01.01"),
        enterprise(4),
    ]
    deliver(data, enterprises, csv_text(rows).encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), 4)
    assert_quarantined(quarantine, 2, "date_in_future", "registered_date", "2026-03-03")
    assert_quarantined(quarantine, 3, "date_in_future", "registered_date", "2099.01.01")
    assert_bronze(bronze, enterprises, [rows[0], rows[3]], [1, 4])


def test_time_after_the_delivery_day_in_china_standard_time_is_date_in_future(
    data, connection, traffic_accidents, fire_incidents, tmp_path
):
    last_moment = datetime(2026, 3, 2, 23, 59, 59, tzinfo=CST)
    first_future = datetime(2026, 3, 3, 0, 0, 0, tzinfo=CST)  # still 2 March in UTC
    records = [
        accident(1, occurTime=epoch_ms(last_moment)),
        accident(2, occurTime=epoch_ms(first_future)),
        accident(3),
    ]
    deliver(data, traffic_accidents, jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), 3)
    assert_quarantined(quarantine, 2, "date_in_future", "occurred_at", str(epoch_ms(first_future)))
    assert_bronze(bronze, traffic_accidents, [records[0], records[2]], [1, 3])
    assert bronze.sort(SOURCE_ROW)["occurred_at"][0] == last_moment

    rows = [
        incident(1, 报警时间="2026-03-02 23:59:00"),
        incident(2, 报警时间="2026-03-03 00:01:00"),
        incident(3),
    ]
    deliver(data, fire_incidents, xlsx_bytes(tmp_path, rows))
    bronze, quarantine = accounted(ingest(data, fire_incidents, connection), 3)
    assert_quarantined(quarantine, 2, "date_in_future", "alarm_at", "2026-03-03 00:01:00")
    assert_bronze(bronze, fire_incidents, [rows[0], rows[2]], [1, 3])


# ================================================================== duplicate keys


def test_duplicate_key_within_one_delivery_keeps_the_first(data, connection, enterprises):
    rows = [
        enterprise(1),
        enterprise(2),
        enterprise(3),
        enterprise(2, enterprise_name="成都锦江化工重复登记"),
    ]
    deliver(data, enterprises, csv_text(rows).encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), 4)
    assert_quarantined(
        quarantine, 4, "duplicate_key", "uscc", rows[3]["uscc"], "成都锦江化工重复登记"
    )
    assert_bronze(bronze, enterprises, rows[:3], [1, 2, 3])


@pytest.mark.parametrize("how", ["ingest_deliveries", "one_day_at_a_time"])
def test_duplicate_key_across_deliveries_keeps_the_first(data, connection, enterprises, how):
    first = [enterprise(1), enterprise(2)]
    second = [
        enterprise(3),
        enterprise(2, enterprise_name="成都锦江化工有限公司改名"),
        enterprise(4),
    ]
    deliver(data, enterprises, csv_text(first).encode("utf-8"), DAY)
    deliver(data, enterprises, csv_text(second).encode("utf-8"), NEXT_DAY)
    if how == "ingest_deliveries":
        day1, day2 = ingest_deliveries(
            data, enterprises, [NEXT_DAY, DAY], connection
        )  # any order given
    else:
        day1 = ingest(data, enterprises, connection, DAY)
        day2 = ingest(data, enterprises, connection, NEXT_DAY)
    assert (day1.day, day2.day) == (DAY, NEXT_DAY)
    bronze1, quarantine1 = accounted(day1, 2)
    assert quarantine1.height == 0
    assert_bronze(bronze1, enterprises, first, [1, 2])
    bronze2, quarantine2 = accounted(day2, 3)
    assert_quarantined(quarantine2, 2, "duplicate_key", "uscc", uscc(2), "改名")
    assert_bronze(bronze2, enterprises, [second[0], second[2]], [1, 3])
    # The first delivery of the key is still in bronze, untouched by the second day.
    still = read_partition(day1.partition)[0].filter(pl.col("uscc") == uscc(2))
    assert still["enterprise_name"].to_list() == [first[1]["enterprise_name"]]


def test_duplicate_key_is_found_past_an_empty_day(data, connection, enterprises):
    days = [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)]
    deliver(data, enterprises, b"", days[0])
    deliver(data, enterprises, csv_text([enterprise(1)]).encode("utf-8"), days[1])
    deliver(data, enterprises, csv_text([enterprise(2), enterprise(1)]).encode("utf-8"), days[2])
    for day in days[:2]:
        ingest(data, enterprises, connection, day)
    third = ingest(
        data, enterprises, connection, days[2]
    )  # reads the earlier partitions, the empty one too
    bronze, quarantine = accounted(third, 2)
    assert_quarantined(quarantine, 2, "duplicate_key", "uscc", uscc(1))
    assert_bronze(bronze, enterprises, [enterprise(2)], [1])


@pytest.mark.parametrize("batches", ["in turn", "each alone"])
def test_batches_read_held_and_written_in_turn_carry_keys_and_keep_their_order(
    data, connection, enterprises, tmp_path, monkeypatch, batches
):
    """While one batch is held to the contract, the next is read and the last one written (a
    batch over BATCH_BYTES is in hand alone): keys still carry from batch to batch, and each
    file's outcome comes in its place, its partition written by then."""
    days = [DAY + timedelta(days=n) for n in range(4)]
    contents = [
        csv_text([enterprise(1), enterprise(2)]),
        csv_text([enterprise(3), enterprise(1, enterprise_name="改名")]),  # 1: day 0's
        None,  # a workbook, unreadable as CSV
        csv_text([enterprise(2), enterprise(3), enterprise(4)]),  # 2 and 3: days 0 and 1's
    ]
    for day, text in zip(days, contents, strict=True):
        content = xlsx_bytes(tmp_path, [incident(1)]) if text is None else text.encode("utf-8")
        deliver(data, enterprises, content, day)
    if batches == "each alone":
        monkeypatch.setattr(ingest_module, "BATCH_BYTES", 1)
    outcomes = []
    units = [[day_unit(data, enterprises, day)] for day in days]
    for outcome in ingest_in_turn(data, enterprises, units, connection, []):
        if isinstance(outcome, Ingested):
            assert outcome.partition.bronze.exists() and outcome.partition.quarantine.exists()
        outcomes.append(outcome)
    first, second, unreadable, fourth = outcomes
    assert isinstance(unreadable, UnreadableFile)
    assert landing_file(data, enterprises, days[2]).name in str(unreadable)
    assert [first.day, second.day, fourth.day] == [days[0], days[1], days[3]]
    accounted(first, 2)
    assert_quarantined(accounted(second, 2)[1], 2, "duplicate_key", "uscc", uscc(1), "改名")
    bronze, quarantine = accounted(fourth, 3)
    assert_quarantined(quarantine, 1, "duplicate_key", "uscc", uscc(2))
    assert_quarantined(quarantine, 2, "duplicate_key", "uscc", uscc(3))
    assert_bronze(bronze, enterprises, [enterprise(4)], [3])


# ================================================================== empty deliveries


def _assert_empty_partition(ingested: Ingested, contract: FeedContract) -> None:
    bronze, quarantine = accounted(ingested, 0)
    assert ingested.partition.bronze.exists() and ingested.partition.quarantine.exists()
    assert bronze.height == 0 and quarantine.height == 0
    # The contract's columns, each identity number followed by its hash, then the lineage.
    fields = [
        name
        for f in contract.fields
        for name in ([f.name, f"{f.name}_hash"] if f.standard == "identity_number" else [f.name])
    ]
    assert bronze.columns == [*fields, SOURCE_FILE, SOURCE_ROW, DELIVERY_DATE]


@pytest.mark.parametrize(
    "feed", ["enterprises", "food_inspections", "traffic_accidents", "fire_incidents"]
)
def test_empty_file_gives_empty_partitions(data, connection, request, feed):
    contract = request.getfixturevalue(feed)
    deliver(data, contract, b"")
    _assert_empty_partition(ingest(data, contract, connection), contract)


def test_header_only_files_give_empty_partitions(
    data, connection, enterprises, food_inspections, fire_incidents, tmp_path
):
    deliver(data, enterprises, (",".join(ENTERPRISE_HEADER) + "\n").encode("utf-8"))
    _assert_empty_partition(ingest(data, enterprises, connection), enterprises)
    deliver(data, food_inspections, (",".join(INSPECTION_HEADER) + "\r\n").encode("gb18030"))
    _assert_empty_partition(ingest(data, food_inspections, connection), food_inspections)
    workbook = tmp_path / "header.xlsx"
    with xlsxwriter.Workbook(workbook) as book:
        book.add_worksheet(fire_incidents.landing.sheet).write_row(0, 0, INCIDENT_HEADER)
    deliver(data, fire_incidents, workbook.read_bytes())
    _assert_empty_partition(ingest(data, fire_incidents, connection), fire_incidents)


@pytest.mark.parametrize(
    "content", [b"", ",".join(ENTERPRISE_HEADER).encode() + b"\n"], ids=["empty", "header-only"]
)
def test_empty_partition_has_the_same_bronze_schema_as_a_full_one(
    data, connection, enterprises, content
):
    deliver(data, enterprises, csv_text([enterprise(1)]).encode("utf-8"), DAY)
    deliver(data, enterprises, content, NEXT_DAY)
    full = read_parquet(ingest(data, enterprises, connection, DAY).partition.bronze)
    empty = read_parquet(ingest(data, enterprises, connection, NEXT_DAY).partition.bronze)
    assert empty.schema == full.schema
    # Downstream (dbt) reads all days of a feed at once, with DuckDB, wherever the lake is.
    configure_duckdb(connection, [data.lake])
    every_day = str(data.bronze / "emergency_management" / "enterprises" / "*" / "*.parquet")
    assert connection.execute("SELECT count(*) FROM read_parquet(?)", [every_day]).fetchone() == (
        1,
    )


# ================================================================== a 10 MB field


def test_ten_megabyte_name_in_a_utf8_csv_is_quarantined(data, connection, enterprises):
    huge = "A" * TEN_MB
    rows = [enterprise(1), enterprise(2, enterprise_name=huge), enterprise(3)]
    deliver(data, enterprises, csv_text(rows).encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), 3)
    record = quarantined(quarantine)[2]
    assert record["rule"] in ("value_too_long", "row_too_long")
    assert rows[1]["uscc"] in record["original"]
    assert_bronze(bronze, enterprises, [rows[0], rows[2]], [1, 3])


def test_ten_megabyte_name_in_a_gb18030_csv_is_quarantined(data, connection, food_inspections):
    huge = "火" * (TEN_MB // 2)  # two bytes a character in GB 18030
    rows = [inspection(1), inspection(2, 经营者名称=huge), inspection(3)]
    deliver(data, food_inspections, csv_text(rows).encode("gb18030"))
    bronze, quarantine = accounted(ingest(data, food_inspections, connection), 3)
    record = quarantined(quarantine)[2]
    assert record["rule"] in ("value_too_long", "row_too_long")
    assert rows[1]["检查编号"] in record["original"]
    assert_bronze(bronze, food_inspections, [rows[0], rows[2]], [1, 3])


def test_ten_megabyte_address_in_json_lines_is_quarantined(data, connection, traffic_accidents):
    records = [accident(1), accident(2, address="路" * (TEN_MB // 3)), accident(3)]
    deliver(data, traffic_accidents, jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), 3)
    record = quarantined(quarantine)[2]
    assert record["rule"] in ("value_too_long", "row_too_long")
    assert "SG2026030200002" in record["original"]
    assert_bronze(bronze, traffic_accidents, [records[0], records[2]], [1, 3])


# ================================================================== SQL and spreadsheet formulas are text

INJECTIONS = [
    "'; DROP TABLE x; --",
    'Robert"); DROP TABLE x;--',
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    "=1+1",
]


def _sentinel_table(connection) -> None:
    connection.execute("CREATE TABLE x AS SELECT 42 AS answer")


def _sentinel_survives(connection) -> None:
    assert connection.execute("SELECT answer FROM x").fetchall() == [(42,)]


def test_sql_and_formula_text_in_a_csv_name_is_kept_as_text(data, connection, enterprises):
    _sentinel_table(connection)
    rows = [enterprise(n, enterprise_name=text) for n, text in enumerate(INJECTIONS, start=1)]
    deliver(data, enterprises, csv_text(rows).encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), len(rows))
    assert quarantine.height == 0
    assert bronze.sort(SOURCE_ROW)["enterprise_name"].to_list() == INJECTIONS
    assert_bronze(bronze, enterprises, rows, list(range(1, len(rows) + 1)))
    _sentinel_survives(connection)


def test_sql_and_formula_text_in_json_lines_is_kept_as_text(data, connection, traffic_accidents):
    _sentinel_table(connection)
    records = [
        accident(n, roadName=text, address=text) for n, text in enumerate(INJECTIONS, start=1)
    ]
    for record, text in zip(records, INJECTIONS, strict=True):
        record["vehicles"][0]["driver"]["name"] = text[:50]
    deliver(data, traffic_accidents, jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), len(records))
    assert quarantine.height == 0
    ordered = bronze.sort(SOURCE_ROW)
    assert ordered["road_name"].to_list() == INJECTIONS
    assert [v[0]["driver_name"] for v in ordered["vehicles"].to_list()] == [
        t[:50] for t in INJECTIONS
    ]
    _sentinel_survives(connection)


def test_sql_and_formula_text_in_a_workbook_is_kept_as_text(
    data, connection, fire_incidents, tmp_path
):
    _sentinel_table(connection)
    rows = [incident(n, 起火单位=text) for n, text in enumerate(INJECTIONS, start=1)]
    deliver(data, fire_incidents, xlsx_bytes(tmp_path, rows))
    bronze, quarantine = accounted(ingest(data, fire_incidents, connection), len(rows))
    assert quarantine.height == 0
    assert bronze.sort(SOURCE_ROW)["involved_unit"].to_list() == INJECTIONS
    _sentinel_survives(connection)


def test_sql_text_in_a_column_name_is_not_executed(data, connection, enterprises):
    _sentinel_table(connection)
    rows = [enterprise(n, **{'x"; DROP TABLE x; --': "v"}) for n in range(1, 3)]
    deliver(data, enterprises, csv_text(rows).encode("utf-8"))
    ingested = ingest(data, enterprises, connection)
    _bronze, quarantine = accounted(ingested, 2)
    assert quarantine.height == 0
    assert ingested.result.columns_unexpected == ['x"; DROP TABLE x; --']
    _sentinel_survives(connection)


# ================================================================== files that cannot be read at all


@pytest.mark.parametrize(
    "feed, content",
    [
        pytest.param(
            "fire_incidents",
            "警情编号,报警时间\nJQ2026030200001,2026-03-02 10:15:00\n".encode(),
            id="csv-as-xlsx",
        ),
        pytest.param("fire_incidents", b"PK\x03\x04" + b"\x00" * 200, id="broken-zip-as-xlsx"),
        pytest.param("enterprises", None, id="xlsx-as-csv"),
    ],
)
def test_unreadable_file_fails_with_one_clear_line_and_writes_nothing(
    data, connection, request, tmp_path, feed, content
):
    contract = request.getfixturevalue(feed)
    if content is None:
        content = xlsx_bytes(tmp_path, [incident(1)])
    path = deliver(data, contract, content)
    with pytest.raises(UnreadableFile) as failure:
        ingest(data, contract, connection)
    message = str(failure.value)
    assert "\n" not in message.strip()
    assert path.name in message
    assert not data.lake.exists() or not any(data.lake.rglob("*.parquet"))


def test_truncated_workbook_redelivered_keeps_the_previous_partition(
    data, connection, fire_incidents, tmp_path
):
    rows = [incident(n) for n in range(1, 4)]
    workbook = xlsx_bytes(tmp_path, rows)
    deliver(data, fire_incidents, workbook)
    first = ingest(data, fire_incidents, connection)
    before = read_partition(first.partition)
    deliver(data, fire_incidents, workbook[: len(workbook) // 2])
    with pytest.raises(UnreadableFile) as failure:
        ingest(data, fire_incidents, connection)
    assert "\n" not in str(failure.value).strip()
    after = read_partition(first.partition)
    assert_frame_equal(after[0], before[0])
    assert_frame_equal(after[1], before[1])
