"""Hostile JSON lines (issue 23): nested values of the wrong type, empty lists, lenient JSON, a BOM.

Each case delivers a traffic-accidents file with one bad line among valid ones and checks that
every delivered record is in bronze or quarantine once, the reason and its column, the line as
delivered in `original`, and that bronze holds exactly the valid records.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import polars as pl
import pytest

from pipelines.lib.ingest import enforce
from pipelines.lib.ingest.dry_run import dry_run, report
from pipelines.lib.ingest.ingest import Ingested, ingest_deliveries
from pipelines.lib.ingest.read import SOURCE_ROW
from tests.ingest.deliveries import (
    DAY,
    accident,
    accounted,
    assert_bronze,
    assert_quarantined,
    deliver,
    identity_number,
    ingest,
    jsonl_bytes,
)


def line(record: dict) -> str:
    """A record as jsonl_bytes writes it on its line."""
    return json.dumps(record, ensure_ascii=False)


def with_vehicle(n: int, **changes) -> dict:
    """Accident n whose one vehicle has `changes` (driver=..., plateNo=...)."""
    record = accident(n)
    record["vehicles"][0].update(changes)
    return record


def one_bad_among_valid(data, connection, contract, bad: dict) -> tuple[pl.DataFrame, dict]:
    """Deliver accidents 1 and 3 around `bad` (line 2); bronze must hold exactly 1 and 3."""
    records = [accident(1), bad, accident(3)]
    deliver(data, contract, jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, contract, connection), 3)
    assert_bronze(bronze, contract, [records[0], records[2]], [1, 3])
    return quarantine, bad


def assert_type_invalid(quarantine: pl.DataFrame, bad: dict, column: str) -> None:
    record = assert_quarantined(quarantine, 2, "type_invalid", column)
    assert record["original"] == line(bad)  # the line as delivered, nothing lost or re-encoded


# ------------------------------------------------------------------ empty lists


def test_empty_vehicles_list_reaches_bronze_with_no_vehicles(data, connection, traffic_accidents):
    records = [accident(1), accident(2, vehicles=[]), accident(3)]
    deliver(data, traffic_accidents, jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), 3)
    assert quarantine.height == 0
    assert_bronze(bronze, traffic_accidents, records, [1, 2, 3])
    vehicles = bronze.sort(SOURCE_ROW)["vehicles"].to_list()
    assert vehicles[1] == []
    assert [v[0]["plate_no"] for v in (vehicles[0], vehicles[2])] == ["川A00001", "川A00003"]


def test_empty_vehicles_list_does_not_stop_the_other_days_of_the_batch(
    data, connection, traffic_accidents
):
    days = [DAY, DAY + timedelta(days=1)]  # the accidents happened on DAY: none in the future
    deliver(data, traffic_accidents, jsonl_bytes([accident(1), accident(2)]), days[0])
    deliver(data, traffic_accidents, jsonl_bytes([accident(3, vehicles=[]), accident(4)]), days[1])
    outcomes = list(ingest_deliveries(data, traffic_accidents, days, connection))
    assert all(isinstance(o, Ingested) for o in outcomes)
    for ingested in outcomes:
        bronze, quarantine = accounted(ingested, 2)
        assert bronze.height == 2
        assert quarantine.height == 0
    assert outcomes[1].result.valid.sort(SOURCE_ROW)["vehicles"].to_list()[0] == []


# ------------------------------------------------------------------ nested values of the wrong JSON type


def test_driver_given_as_text_is_type_invalid(data, connection, traffic_accidents):
    quarantine, bad = one_bad_among_valid(
        data, connection, traffic_accidents, with_vehicle(2, driver="x")
    )
    assert_type_invalid(quarantine, bad, "vehicles (vehicles[].driver)")


def test_plate_given_as_an_object_is_type_invalid(data, connection, traffic_accidents):
    quarantine, bad = one_bad_among_valid(
        data, connection, traffic_accidents, with_vehicle(2, plateNo={"a": 1})
    )
    assert_type_invalid(quarantine, bad, "vehicles.plate_no (vehicles[].plateNo)")


def test_driver_identity_number_given_as_a_list_is_type_invalid(
    data, connection, traffic_accidents
):
    bad = with_vehicle(2)
    bad["vehicles"][0]["driver"]["idNo"] = [identity_number(102)]
    quarantine, bad = one_bad_among_valid(data, connection, traffic_accidents, bad)
    assert_type_invalid(quarantine, bad, "vehicles.driver_id_number (vehicles[].driver.idNo)")


@pytest.mark.parametrize("vehicles", ["none", {"plateNo": "川A00002"}, 2], ids=str)
def test_vehicles_given_as_no_list_is_type_invalid_with_the_value_kept(
    data, connection, traffic_accidents, vehicles
):
    quarantine, bad = one_bad_among_valid(
        data, connection, traffic_accidents, accident(2, vehicles=vehicles)
    )
    assert_type_invalid(quarantine, bad, "vehicles")
    assert json.loads(quarantine.sort(SOURCE_ROW)["original"][0])["vehicles"] == vehicles


@pytest.mark.parametrize("item", ["川A00002", None, 7], ids=str)
def test_vehicle_that_is_no_object_is_type_invalid(data, connection, traffic_accidents, item):
    bad = accident(2)
    bad["vehicles"].append(item)
    quarantine, bad = one_bad_among_valid(data, connection, traffic_accidents, bad)
    assert_type_invalid(quarantine, bad, "vehicles (vehicles[])")


@pytest.mark.parametrize(
    "key, value, column",
    [
        ("address", {"street": "人民南路"}, "address"),
        ("address", ["人民南路", "四段"], "address"),
        ("lng", {"value": 104.06}, "longitude (lng)"),
        ("deaths", [0], "deaths"),
        ("occurTime", {"ms": 1772411400000}, "occurred_at (occurTime)"),
    ],
)
def test_scalar_given_as_an_object_or_a_list_is_type_invalid(
    data, connection, traffic_accidents, key, value, column
):
    quarantine, bad = one_bad_among_valid(
        data, connection, traffic_accidents, accident(2, **{key: value})
    )
    assert_type_invalid(quarantine, bad, column)


@pytest.mark.parametrize(
    "key, column", [("roadName", "road_name (roadName)"), ("injuries", "injuries")]
)
def test_true_or_false_where_text_or_a_number_is_contracted_is_type_invalid(
    data, connection, traffic_accidents, key, column
):
    quarantine, bad = one_bad_among_valid(
        data, connection, traffic_accidents, accident(2, **{key: True})
    )
    assert_type_invalid(quarantine, bad, column)


def test_quoted_number_and_number_for_text_are_read_from_their_text(
    data, connection, traffic_accidents
):
    """As in a CSV cell: "2" for a count is 2; 510107 for a county code is "510107"."""
    records = [
        accident(1),
        accident(2, deaths="1", injuries="2", lng="104.062", districtCode=510107),
        accident(3),
    ]
    deliver(data, traffic_accidents, jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), 3)
    assert quarantine.height == 0
    assert_bronze(bronze, traffic_accidents, records, [1, 2, 3])


def test_text_that_looks_like_json_or_a_boolean_is_still_text(data, connection, traffic_accidents):
    """The second look at suspicious text must not refuse a real string."""
    records = [
        accident(1, address="{人民南路四段1号}", cause="true"),
        with_vehicle(2, vehicleType="[小型轿车]"),
        accident(3, roadName="false"),
    ]
    deliver(data, traffic_accidents, jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), 3)
    assert quarantine.height == 0
    assert_bronze(bronze, traffic_accidents, records, [1, 2, 3])
    types = [v[0]["vehicle_type"] for v in bronze.sort(SOURCE_ROW)["vehicles"].to_list()]
    assert types[1] == "[小型轿车]"


# ------------------------------------------------------------------ strict JSON (RFC 8259)


def deliver_lines(data, contract, lines: list[bytes]) -> None:
    deliver(data, contract, b"".join(text + b"\n" for text in lines))


def valid_line(n: int) -> bytes:
    return line(accident(n)).encode("utf-8")


def assert_one_malformed_line(data, connection, contract, bad: bytes) -> None:
    deliver_lines(data, contract, [valid_line(1), bad, valid_line(3)])
    bronze, quarantine = accounted(ingest(data, contract, connection), 3)
    record = assert_quarantined(quarantine, 2, "row_malformed", None)
    assert record["original"] == bad.decode("utf-8")
    assert_bronze(bronze, contract, [accident(1), accident(3)], [1, 3])


@pytest.mark.parametrize(
    "where",
    [
        pytest.param(lambda text: text[:-1] + ", }", id="object"),
        pytest.param(lambda text: text.replace('"}}]', '"}},]'), id="list"),
        pytest.param(lambda text: text.replace('"}}', '",}}'), id="nested-object"),
    ],
)
def test_trailing_comma_is_row_malformed(data, connection, traffic_accidents, where):
    bad = where(line(accident(2)))
    assert bad != line(accident(2))
    assert_one_malformed_line(data, connection, traffic_accidents, bad.encode("utf-8"))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_row_malformed(data, connection, traffic_accidents, constant):
    bad = line(accident(2)).replace('"lat": 30.62', f'"lat": {constant}')
    assert constant in bad
    assert_one_malformed_line(data, connection, traffic_accidents, bad.encode("utf-8"))


def test_repeated_key_is_row_malformed(data, connection, traffic_accidents):
    """RFC 8259 leaves a repeated name's meaning open (DuckDB kept the first): which count is meant?"""
    bad = line(accident(2))[:-1] + ', "deaths": 3}'
    assert_one_malformed_line(data, connection, traffic_accidents, bad.encode("utf-8"))


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda text: text[:-1] + " /* checked */}", id="comment"),
        pytest.param(lambda text: text.replace('"', "'"), id="single-quotes"),
        pytest.param(lambda text: text.replace('"accidentId"', "accidentId"), id="bare-key"),
        pytest.param(lambda text: text.replace('"deaths": 0', '"deaths": 00'), id="leading-zero"),
    ],
)
def test_other_json5_leniencies_are_row_malformed(data, connection, traffic_accidents, bad):
    text = bad(line(accident(2)))
    assert text != line(accident(2))
    assert_one_malformed_line(data, connection, traffic_accidents, text.encode("utf-8"))


def test_comma_before_a_bracket_or_nan_inside_a_string_is_valid(
    data, connection, traffic_accidents
):
    """What the strict second look is for: text that only looks lenient stays valid."""
    records = [accident(1, address="人民南路, }四段", cause="NaN Infinity"), accident(2)]
    deliver(data, traffic_accidents, jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), 2)
    assert quarantine.height == 0
    assert_bronze(bronze, traffic_accidents, records, [1, 2])


def test_byte_order_mark_before_the_first_line_is_tolerated(data, connection, traffic_accidents):
    records = [accident(n) for n in range(1, 4)]
    deliver(data, traffic_accidents, b"\xef\xbb\xbf" + jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), 3)
    assert quarantine.height == 0
    assert_bronze(bronze, traffic_accidents, records, [1, 2, 3])


def test_byte_order_mark_on_a_later_line_is_row_malformed(data, connection, traffic_accidents):
    """Only a file's start may carry one: inside the file it is a character before the object."""
    assert_one_malformed_line(data, connection, traffic_accidents, b"\xef\xbb\xbf" + valid_line(2))


@pytest.mark.parametrize("blank", [b"   ", b"\t", b"\r", b" \r"], ids=repr)
def test_whitespace_only_line_is_no_record(data, connection, traffic_accidents, blank):
    records = [accident(n) for n in range(1, 4)]
    lines = jsonl_bytes(records).split(b"\n")
    deliver_lines(data, traffic_accidents, [lines[0], blank, lines[1], b"", lines[2], blank])
    ingested = ingest(data, traffic_accidents, connection)
    bronze, quarantine = accounted(ingested, 3, rows=[1, 3, 5])  # rows are numbered by line
    assert quarantine.height == 0
    assert_bronze(bronze, traffic_accidents, records, [1, 3, 5])


# ------------------------------------------------------------------ a row that breaks the enforcer itself


def test_row_that_breaks_enforcement_is_quarantined_and_the_batch_goes_on(
    data, connection, traffic_accidents, monkeypatch
):
    """An error in the code met by one row (as `vehicles: []` once was) quarantines that row only,
    named in a note with the error, and the other days of the batch are ingested as usual."""
    poison = identity_number(102)
    checks = enforce.CHECK_DIGITS["identity_number"]

    def breaks_on_poison(values):
        if poison in list(values):
            raise pl.exceptions.ShapeError("can't broadcast (planted)")
        return checks(values)

    monkeypatch.setitem(enforce.CHECK_DIGITS, "identity_number", breaks_on_poison)
    days = [DAY, DAY + timedelta(days=1)]  # the accidents happened on DAY: none in the future
    earlier = [accident(11), accident(4)]
    records = [accident(n) for n in range(1, 5)]  # accident 2's driver holds the poison
    deliver(data, traffic_accidents, jsonl_bytes(earlier), days[0])
    deliver(data, traffic_accidents, jsonl_bytes(records), days[1])
    first, second = ingest_deliveries(data, traffic_accidents, days, connection)
    assert isinstance(first, Ingested) and isinstance(second, Ingested)
    accounted(first, 2)
    bronze, quarantine = accounted(second, 4)
    record = assert_quarantined(quarantine, 2, "row_unprocessable", None, "SG2026030200002")
    assert poison in record["original"]
    # Accident 4 was delivered the day before: still a duplicate when the days are held apart.
    assert_quarantined(quarantine, 4, "duplicate_key", "accident_id", "SG2026030200004")
    assert_bronze(bronze, traffic_accidents, [records[0], records[2]], [1, 3])
    assert any("row_unprocessable" in note and "ShapeError" in note for note in second.result.notes)
    assert "2" in next(n for n in second.result.notes if "row_unprocessable" in n)


def test_contract_try_hides_personal_values_delivered_with_the_wrong_type(
    tmp_path, traffic_accidents
):
    """The line kept in `original` holds a driver's name where an object was due: still hidden."""
    bad = with_vehicle(2, driver="王强 13800138000")
    records = [accident(1), bad, accident(3, vehicles="张三")]
    path = tmp_path / traffic_accidents.landing.filename(DAY)
    path.write_bytes(jsonl_bytes(records))
    printed = "\n".join(report(dry_run(traffic_accidents, path)))
    assert "vehicles (vehicles[].driver)" in printed
    assert "王强" not in printed and "张三" not in printed
    assert '"driver": "***"' in printed


def test_a_string_field_with_json_text_keeps_an_object_as_its_text(
    data, connection, traffic_accidents
):
    """`jsonText` (a drafted contract's choice for keys that held objects): the object is the value."""
    contract = dataclasses.replace(
        traffic_accidents,
        fields=tuple(
            dataclasses.replace(f, json_text=True) if f.source == "address" else f
            for f in traffic_accidents.fields
        ),
    )
    deliver(data, contract, jsonl_bytes([accident(1, address={"road": "人民南路"}), accident(2)]))
    bronze, quarantine = accounted(ingest(data, contract, connection), 2)
    assert quarantine.height == 0
    assert json.loads(bronze.sort(SOURCE_ROW)["address"][0]) == {"road": "人民南路"}
