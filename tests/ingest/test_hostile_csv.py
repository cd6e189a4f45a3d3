"""Hostile CSV deliveries: broken quotes, line breaks of every kind, encodings that lie.

Each case for a UTF-8 feed (enterprises) and a GB 18030 feed (food inspections): every
delivered record is in bronze or quarantine once, numbered as delivered (a quoted
multi-line record is one record), a broken record is quarantined with its rule and its
text, and every valid record after it reaches bronze with its values unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.lib.ingest.csv_records import decode_line, split_records
from pipelines.lib.ingest.read import (
    SOURCE_ROW,
    _all_gb18030,
    _read_records,
    _read_unquoted_csv,
    read_delivery,
)
from tests.ingest.deliveries import (
    accounted,
    assert_bronze,
    assert_quarantined,
    csv_all_quoted,
    csv_text,
    deliver,
    enterprise,
    ingest,
    inspection,
    quarantined,
)


@dataclass(frozen=True)
class Feed:
    fixture: str
    encoding: str
    key: str  # a column whose value names the row in `original`
    text: str  # a free-text column, where quotes and line breaks go

    def row(self, n: int, **changes: str) -> dict[str, str]:
        builder = enterprise if self.fixture == "enterprises" else inspection
        return builder(n, **{self.text: f"成都市锦江区东大街{n}号"} | changes)


UTF8_FEED = Feed("enterprises", "utf-8", "uscc", "address")
GB18030_FEED = Feed("food_inspections", "gb18030", "检查编号", "经营地址")
FEEDS = [pytest.param(UTF8_FEED, id="utf8"), pytest.param(GB18030_FEED, id="gb18030")]


@pytest.fixture(params=FEEDS)
def feed(request) -> Feed:
    return request.param


@pytest.fixture
def contract(request, feed):
    return request.getfixturevalue(feed.fixture)


def unclosed(text: str, value: str) -> str:
    """The text with a quote opened before `value` and never closed."""
    assert text.count(value) == 1
    return text.replace(value, '"' + value)


# ================================================================== an unclosed quote


def test_unclosed_quote_quarantines_its_record_and_the_following_records_are_read(
    data, connection, feed, contract
):
    rows = [feed.row(n) for n in range(1, 6)]
    text = unclosed(csv_text(rows), rows[1][feed.text])
    deliver(data, contract, text.encode(feed.encoding))
    bronze, quarantine = accounted(ingest(data, contract, connection), 5)
    record = assert_quarantined(quarantine, 2, "row_malformed", None, rows[1][feed.key])
    assert '"' + rows[1][feed.text] in record["original"]
    assert rows[2][feed.key] not in record["original"]  # the next record is not swallowed
    assert_bronze(bronze, contract, [rows[0], *rows[2:]], [1, 3, 4, 5])


def test_unclosed_quote_before_quoted_fields_and_another_unclosed_quote(
    data, connection, feed, contract
):
    # Rows 3 and 5 have properly quoted fields (a comma in the text), row 4 a second
    # unclosed quote that closes row 2's quote if quotes are only counted.
    rows = [feed.row(n, **{feed.text: f"东大街{n}号, {n}栋"}) for n in range(1, 6)]
    text = csv_text(rows)
    text = unclosed(text, rows[1][feed.key])
    text = unclosed(text, rows[3][feed.key])
    deliver(data, contract, text.encode(feed.encoding))
    bronze, quarantine = accounted(ingest(data, contract, connection), 5)
    for number in (2, 4):
        record = assert_quarantined(quarantine, number, "row_malformed", None)
        assert record["original"].startswith('"' + rows[number - 1][feed.key])
        assert "\n" not in record["original"]
    assert_bronze(bronze, contract, [rows[0], rows[2], rows[4]], [1, 3, 5])


def test_unclosed_quote_before_a_valid_multiline_record(data, connection, feed, contract):
    rows = [feed.row(n) for n in range(1, 5)]
    rows[2] = feed.row(3, **{feed.text: "成都市锦江区\n东大街3号"})
    text = unclosed(csv_text(rows), rows[1][feed.text])
    deliver(data, contract, text.encode(feed.encoding))
    bronze, quarantine = accounted(ingest(data, contract, connection), 4)
    assert_quarantined(quarantine, 2, "row_malformed", None, rows[1][feed.key])
    assert_bronze(bronze, contract, [rows[0], rows[2], rows[3]], [1, 3, 4])


# ================================================================== quoted CR, LF, CRLF and line endings


@pytest.mark.parametrize("inner", ["\r", "\n", "\r\n"], ids=["CR", "LF", "CRLF"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_quoted_line_break_is_data_whatever_the_line_endings(
    data, connection, feed, contract, newline, inner
):
    rows = [feed.row(n) for n in range(1, 5)]
    rows[1] = feed.row(2, **{feed.text: f"成都市锦江区{inner}东大街2号"})
    rows[2] = feed.row(3, **{feed.text: f"{inner}东大街{inner}{inner}3号{inner}"})
    deliver(data, contract, csv_all_quoted(rows, newline=newline).encode(feed.encoding))
    bronze, quarantine = accounted(ingest(data, contract, connection), 4)
    assert quarantine.height == 0, quarantine.to_dicts()
    assert_bronze(bronze, contract, rows, [1, 2, 3, 4])


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_file_line_endings_lf_crlf_and_bare_cr_are_read(data, connection, feed, contract, newline):
    rows = [feed.row(n) for n in range(1, 4)]
    deliver(data, contract, csv_text(rows, newline=newline).encode(feed.encoding))
    bronze, quarantine = accounted(ingest(data, contract, connection), 3)
    assert quarantine.height == 0
    assert_bronze(bronze, contract, rows, [1, 2, 3])


def test_unquoted_cr_splits_a_record_into_two_malformed_fragments(data, connection, feed, contract):
    # A CR outside quotes ends a line (RFC 4180): both fragments are delivered records.
    rows = [feed.row(n) for n in range(1, 4)]
    text = csv_text(rows).replace(rows[1][feed.text], "成都市锦江区\r东大街2号")
    deliver(data, contract, text.encode(feed.encoding))
    bronze, quarantine = accounted(ingest(data, contract, connection), 4)
    assert_quarantined(quarantine, 2, "row_malformed", None, rows[1][feed.key])
    assert_quarantined(quarantine, 3, "row_malformed", None, "东大街2号")
    assert_bronze(bronze, contract, [rows[0], rows[2]], [1, 4])


# ================================================================== a file without quotes


@pytest.mark.parametrize("ragged", ["fewer", "more"])
def test_unquoted_file_with_a_ragged_or_blank_line_is_read_record_by_record(
    data, connection, feed, contract, ragged
):
    # Files without a quote character are read by polars, unless a line has more or fewer
    # fields than the header or is blank: then every record is judged as in any other file.
    rows = [feed.row(n) for n in range(1, 5)]
    lines = csv_text(rows).split("\n")
    assert '"' not in "\n".join(lines)
    if ragged == "fewer":
        lines[2] = lines[2].rsplit(",", 1)[0]  # record 2
    else:
        lines[2] += ",an extra field"
    lines.insert(4, "")  # a blank line before record 4: no record
    deliver(data, contract, "\n".join(lines).encode(feed.encoding))
    bronze, quarantine = accounted(ingest(data, contract, connection), 4)
    assert_quarantined(quarantine, 2, "row_malformed", None, rows[1][feed.key])
    assert sorted(quarantined(quarantine)) == [2]
    assert_bronze(bronze, contract, [rows[0], rows[2], rows[3]], [1, 3, 4])


def test_unquoted_file_is_read_without_the_reader_of_rejects(tmp_path):
    rows = [UTF8_FEED.row(n, address=f"成都市锦江区东大街{n}号 ") for n in range(1, 4)]
    rows[1]["legal_rep_name"] = ""  # an empty field: null, as DuckDB reads it
    path = tmp_path / "enterprises.csv"
    path.write_bytes(csv_text(rows, newline="\r\n").encode())
    fast = _read_unquoted_csv(path.read_bytes(), ",")
    assert fast is not None
    assert fast.rows.columns == [*rows[0], SOURCE_ROW]
    assert fast.rows.rows() == [
        (*[value or None for value in row.values()], n) for n, row in enumerate(rows, 1)
    ]
    for broken in (b"a,b\n1,2\n3\n", b"a,b\n1,2\n\n3,4\n", b'a,b\n1,"2"\n', b"a,b\n1,2\r3,4\n"):
        assert _read_unquoted_csv(broken, ",") is None, broken


def test_unquoted_gb18030_file_is_read_whole_as_its_lines_would_be(tmp_path, connection):
    rows = [GB18030_FEED.row(n) for n in range(1, 4)]
    rows[1]["经营地址"] = ""  # an empty field: null, as DuckDB reads it
    data = csv_text(rows, newline="\r\n").encode("gb18030")
    text = _all_gb18030(data)
    assert text is not None
    fast = _read_unquoted_csv(text.encode(), ",", encoding="gb18030")
    assert fast is not None and fast.encoding == "gb18030"
    path = tmp_path / "food_inspections.csv"
    path.write_bytes(data)
    by_line = _read_records(path, split_records(data, "gb18030"), connection, ",")
    assert (by_line.encoding, by_line.notes) == ("gb18030", [])
    assert_frame_equal(fast.rows, by_line.rows)
    # Left to the line-by-line reader: a line valid in UTF-8 too (judged there), a byte-order
    # mark, a bare CR, bytes valid in neither encoding.
    utf8_line = csv_text([GB18030_FEED.row(9)]).split("\n")[1].encode("utf-8")
    for other in (
        data + utf8_line + b"\r\n",
        b"\xef\xbb\xbf" + data,
        data.replace(b"\r\n", b"\r", 1),
        data + b"\xff\xff\r\n",
    ):
        assert _all_gb18030(other) is None, other[:40]


# ================================================================== every malformation in one file


def test_every_malformation_in_one_file_is_accounted_record_by_record(
    data, connection, feed, contract
):
    rows = [feed.row(n) for n in range(1, 12)]
    rows[0] = feed.row(1, **{feed.text: "成都市锦江区\n东大街1号"})  # quoted LF
    rows[3] = feed.row(4, **{feed.text: "成都市锦江区\r东大街4号"})  # quoted CR
    rows[6] = feed.row(7, **{feed.text: "成都市锦江区\r\n东大街7号"})  # quoted CRLF
    lines = csv_all_quoted(rows).split("\n")
    # lines: 0 header, 1-2 record 1, 3 record 2, 4 record 3, 5 record 4, 6 record 5,
    # 7 record 6, 8-9 record 7, 10 record 8, 11 record 9, 12 record 10, 13 record 11
    lines[3] = lines[3] + ',"an extra field"'  # record 2: too many fields
    lines[4] = lines[4].rsplit(",", 2)[0]  # record 3: too few fields
    lines[7] = unclosed(
        lines[7].replace(f'"{rows[5][feed.text]}"', rows[5][feed.text]), rows[5][feed.text]
    )
    lines.insert(11, "")  # a blank line before record 9: no record
    encoded = [line.encode(feed.encoding) for line in lines]
    # record 9: bytes in neither encoding (0xFF starts no character in either)
    encoded[12] = encoded[12].replace(
        rows[8][feed.key].encode(), b"\xff\xff" + rows[8][feed.key].encode()
    )
    # record 11: the transfer stopped inside its quoted text
    last = encoded[14]
    encoded[14] = last[: last.index(rows[10][feed.text].encode(feed.encoding)) + 6]
    deliver(data, contract, b"\n".join(encoded[:15]))
    ingested = ingest(data, contract, connection)
    bronze, quarantine = accounted(ingested, 11)
    assert_quarantined(quarantine, 2, "row_malformed", None, rows[1][feed.key], "an extra field")
    assert_quarantined(quarantine, 3, "row_malformed", None, rows[2][feed.key])
    assert_quarantined(quarantine, 6, "row_malformed", None, rows[5][feed.key])
    assert_quarantined(quarantine, 9, "encoding_invalid", None, rows[8][feed.key])
    assert any("neither valid UTF-8 nor valid GB 18030" in n for n in ingested.result.notes)
    assert_quarantined(quarantine, 11, "row_malformed", None, rows[10][feed.key])
    assert sorted(quarantined(quarantine)) == [2, 3, 6, 9, 11]
    assert_bronze(
        bronze,
        contract,
        [rows[i - 1] for i in (1, 4, 5, 7, 8, 10)],
        [1, 4, 5, 7, 8, 10],
    )


# ================================================================== encodings


def test_short_utf8_file_in_a_gb18030_feed_is_read_as_utf8_with_a_note(
    data, connection, food_inspections
):
    # Every value even in length: the UTF-8 bytes are valid GB 18030 too (成都测试餐饮 would
    # read as 鎴愰兘娴嬭瘯椁愰ギ).
    row = inspection(1, 经营者名称="成都测试餐饮", 经营地址="成都市锦江区", 检查人员="李明")
    assert csv_text([row]).split("\n")[1].encode("utf-8").decode("gb18030")  # the trap is set
    deliver(data, food_inspections, csv_text([row]).encode("utf-8"))
    ingested = ingest(data, food_inspections, connection)
    bronze, quarantine = accounted(ingested, 1)
    assert quarantine.height == 0
    assert_bronze(bronze, food_inspections, [row], [1])
    assert bronze["business_name"].to_list() == ["成都测试餐饮"]
    assert any("gb18030" in n and "utf-8" in n for n in ingested.result.notes)


def test_long_utf8_file_in_a_gb18030_feed_is_read_as_utf8_with_a_note(
    data, connection, food_inspections
):
    rows = [inspection(n, 经营者名称="成都测试餐饮") for n in range(1, 301)]
    deliver(data, food_inspections, csv_text(rows).encode("utf-8"))
    ingested = ingest(data, food_inspections, connection)
    bronze, quarantine = accounted(ingested, 300)
    assert quarantine.height == 0
    assert_bronze(bronze, food_inspections, rows, list(range(1, 301)))
    assert any("gb18030" in n and "utf-8" in n for n in ingested.result.notes)


@pytest.mark.parametrize("count", [1, 300], ids=["short", "long"])
def test_gb18030_file_in_a_utf8_feed_is_read_as_gb18030_with_a_note(
    data, connection, enterprises, count
):
    rows = [enterprise(n) for n in range(1, count + 1)]
    deliver(data, enterprises, csv_text(rows).encode("gb18030"))
    ingested = ingest(data, enterprises, connection)
    bronze, quarantine = accounted(ingested, count)
    assert quarantine.height == 0
    assert_bronze(bronze, enterprises, rows, list(range(1, count + 1)))
    assert any("utf-8" in n and "gb18030" in n for n in ingested.result.notes)


def test_mostly_gb18030_file_with_one_utf8_row_reads_each_row_in_its_encoding(
    data, connection, food_inspections
):
    rows = [inspection(n) for n in range(1, 11)]
    lines = csv_text(rows).splitlines(keepends=True)  # lines[4] is data row 4
    content = b"".join(
        line.encode("utf-8" if i == 4 else "gb18030") for i, line in enumerate(lines)
    )
    deliver(data, food_inspections, content)
    ingested = ingest(data, food_inspections, connection)
    bronze, quarantine = accounted(ingested, 10)
    assert quarantine.height == 0
    assert_bronze(bronze, food_inspections, rows, list(range(1, 11)))
    assert any("1 line(s) are utf-8" in n for n in ingested.result.notes), ingested.result.notes


def test_mostly_utf8_file_with_one_gb18030_row_reads_each_row_in_its_encoding(
    data, connection, enterprises
):
    rows = [enterprise(n) for n in range(1, 11)]
    lines = csv_text(rows).splitlines(keepends=True)
    content = b"".join(
        line.encode("gb18030" if i == 7 else "utf-8") for i, line in enumerate(lines)
    )
    deliver(data, enterprises, content)
    ingested = ingest(data, enterprises, connection)
    bronze, quarantine = accounted(ingested, 10)
    assert quarantine.height == 0
    assert_bronze(bronze, enterprises, rows, list(range(1, 11)))
    assert any("1 line(s) are gb18030" in n for n in ingested.result.notes), ingested.result.notes


def test_line_in_neither_encoding_is_encoding_invalid_with_the_reason(
    data, connection, feed, contract
):
    rows = [feed.row(n) for n in range(1, 4)]
    lines = csv_text(rows).splitlines(keepends=True)
    # Row 2 half UTF-8, half GB 18030, and a byte neither accepts.
    middle = len(lines[2]) // 2
    lines_bytes = [line.encode(feed.encoding) for line in lines]
    lines_bytes[2] = (
        lines[2][:middle].encode("utf-8") + b"\xff" + lines[2][middle:].encode("gb18030")
    )
    path = deliver(data, contract, b"".join(lines_bytes))
    ingested = ingest(data, contract, connection)
    bronze, quarantine = accounted(ingested, 3)
    record = assert_quarantined(quarantine, 2, "encoding_invalid", None, rows[1][feed.key])
    assert "\\xff" in record["original"]  # the bytes shown, not dropped
    assert_bronze(bronze, contract, [rows[0], rows[2]], [1, 3])
    reason = "1 record(s) are neither valid UTF-8 nor valid GB 18030: they are quarantined"
    assert reason in ingested.result.notes
    # The reader's reject says which line of the record (the quarantine row keeps the rule).
    rejects = read_delivery(path, contract, connection).rejects
    assert rejects.rows() == [
        (
            2,
            "encoding_invalid",
            "bytes that are neither valid UTF-8 nor valid GB 18030",
            record["original"],
        )
    ]


@pytest.mark.parametrize(
    "text, encoding",
    [
        pytest.param("成都测试餐饮", "utf-8", id="utf8-valid-as-gb18030"),
        pytest.param("成都锦江化工有限公司", "utf-8", id="utf8-valid-as-gb18030-long"),
        pytest.param("卢", "gb18030", id="gb18030-valid-as-utf8-one-character"),
        pytest.param("鲁路,陆茂", "gb18030", id="gb18030-valid-as-utf8"),
        pytest.param("路", "gb18030", id="gb18030-road"),
    ],
)
def test_a_line_valid_in_both_encodings_is_read_as_its_ordinary_text(text, encoding):
    raw = text.encode(encoding)
    raw.decode("utf-8"), raw.decode("gb18030")  # valid in both: the case to decide
    assert decode_line(raw) == (text, encoding)


def test_gb18030_row_that_is_valid_utf8_is_not_read_as_utf8(data, connection, enterprises):
    # Every Chinese value of row 2 is made of characters whose GB 18030 bytes are valid UTF-8.
    rows = [enterprise(n) for n in range(1, 4)]
    rows[1] = enterprise(
        2, enterprise_name="鲁路茂", address="陆路", legal_rep_name="卢梅", enterprise_type="鲁"
    )
    lines = csv_text(rows).splitlines(keepends=True)
    line = lines[2].encode("gb18030")
    line.decode("utf-8")  # the trap is set
    deliver(
        data, enterprises, b"".join([*(x.encode() for x in lines[:2]), line, lines[3].encode()])
    )
    ingested = ingest(data, enterprises, connection)
    bronze, quarantine = accounted(ingested, 3)
    if 2 in quarantined(quarantine):
        assert "鲁路茂" in quarantined(quarantine)[2]["original"]
    else:
        assert bronze.filter(pl.col(SOURCE_ROW) == 2)["enterprise_name"].to_list() == ["鲁路茂"]
    assert any("gb18030" in n for n in ingested.result.notes)
