"""Hostile values (issue 23): numbers that are no quantity, and values no record can hold.

NaN, the infinities and 1e400 (which reads as infinity) are `type_invalid` unless the
contract allows them (`allowNonFinite`), and then ranges still hold; a divisor of 0 is out
of range (`exclusiveMinimum: 0`). Identity numbers whose holder is born after the delivery
day, days before a contract's earliest plausible one, and control characters in text are
quarantined too. Each case: every delivered row in bronze or quarantine once, the rule and
column named, the delivered text kept, and nothing of it in bronze.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from pipelines.lib.contracts import ContractError, FeedContract, load_contract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.read import SOURCE_ROW
from pipelines.lib.standards.identifiers import identity_check_char
from tests.ingest.deliveries import (
    CST,
    DAY,
    ENTERPRISE_HEADER,
    FEEDS,
    INCIDENT_HEADER,
    accident,
    accounted,
    assert_quarantined,
    csv_text,
    deliver,
    enterprise,
    epoch_ms,
    incident,
    ingest,
    jsonl_bytes,
    uscc,
    xlsx_bytes,
)

HAZARD_SOURCES = FEEDS / "emergency_management" / "hazard_sources.odcs.yaml"
NOT_FINITE = ["NaN", "nan", "inf", "-inf", "Infinity", "-Infinity", "1e400"]


@pytest.fixture(scope="module")
def hazard_sources() -> FeedContract:  # UTF-8 CSV: GB 18218 quantities, q and Q
    return load_contract(HAZARD_SOURCES)


def hazard_source(n: int, **changes: str) -> dict[str, str]:
    row = {
        "hazard_source_code": f"HS{n:010d}",
        "cas_no": "7782-50-5",
        "uscc": uscc(n),
        "enterprise_name": f"成都锦江化工有限公司第{n}分公司",
        "installation_name": "液氯储罐区",
        "chemical_name": "氯",
        "quantity_t": "12.5",
        "critical_quantity_t": "5",
        "exposed_people": "120",
        "county_code": "510104",
        "longitude": f"{104.05 + n / 1000:.6f}",
        "latitude": "30.60",
        "record_date": "2026-03-01",
    }
    row.update(changes)
    return row


def identity_number(born: str, n: int = 1) -> str:
    """A GB 11643 number with its right check character, for someone born on `born` (YYYYMMDD)."""
    body = f"510104{born}{n:03d}"
    return body + str(identity_check_char([body])[0])


def delivered_csv(data: DataDir, contract: FeedContract, rows: list[dict], connection):
    deliver(data, contract, csv_text(rows).encode("utf-8"))
    return accounted(ingest(data, contract, connection), len(rows))


# ------------------------------------------------------------------ numbers


def test_nan_and_infinities_in_a_csv_number_are_type_invalid(
    data: DataDir, hazard_sources: FeedContract, connection
) -> None:
    rows = [hazard_source(1)] + [
        hazard_source(2 + i, quantity_t=text) for i, text in enumerate(NOT_FINITE)
    ]
    bronze, quarantine = delivered_csv(data, hazard_sources, rows, connection)
    assert bronze[SOURCE_ROW].to_list() == [1]
    for row, text in enumerate(NOT_FINITE, start=2):
        assert_quarantined(quarantine, row, "type_invalid", "quantity_t", f'"quantity_t":"{text}"')
    assert bronze["quantity_t"].is_finite().all()


def test_a_zero_critical_quantity_is_out_of_range(
    data: DataDir, hazard_sources: FeedContract, connection
) -> None:
    """GB 18218 divides by Q: the contract says exclusiveMinimum 0, so 0 (and -0) never reach bronze."""
    zeros = ["0", "0.0", "-0", "-1"]
    rows = [hazard_source(1, critical_quantity_t="0.001")] + [
        hazard_source(2 + i, critical_quantity_t=text) for i, text in enumerate(zeros)
    ]
    bronze, quarantine = delivered_csv(data, hazard_sources, rows, connection)
    assert bronze["critical_quantity_t"].to_list() == [0.001]
    for row, text in enumerate(zeros, start=2):
        assert_quarantined(
            quarantine,
            row,
            "value_out_of_range",
            "critical_quantity_t",
            f'"critical_quantity_t":"{text}"',
        )


def test_a_contract_may_allow_nan_and_infinities_and_its_range_still_holds(
    tmp_path: Path, data: DataDir, connection
) -> None:
    text = HAZARD_SOURCES.read_text(encoding="utf-8").replace(
        "      value: quantity_t\n",
        "      value: quantity_t\n    - property: allowNonFinite\n      value: true\n",
    )
    path = tmp_path / "emergency_management" / "hazard_sources.odcs.yaml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    contract = load_contract(path)
    assert contract.field("quantity_t").allow_non_finite
    values = ["inf", "1e400", "-inf", "NaN"]  # minimum: 0 admits +inf only: NaN is in no range
    rows = [hazard_source(1 + i, quantity_t=v) for i, v in enumerate(values)]
    bronze, quarantine = delivered_csv(data, contract, rows, connection)
    assert bronze[SOURCE_ROW].to_list() == [1, 2]
    assert bronze["quantity_t"].to_list() == [float("inf"), float("inf")]
    assert_quarantined(quarantine, 3, "value_out_of_range", "quantity_t", '"quantity_t":"-inf"')
    assert_quarantined(quarantine, 4, "value_out_of_range", "quantity_t", '"quantity_t":"NaN"')


def test_nan_and_infinities_in_json_are_type_invalid(
    data: DataDir, traffic_accidents: FeedContract, connection
) -> None:
    """Quoted "NaN" and "Infinity" in a number field, and 1e400 (valid JSON, no double holds it)."""
    lines = [
        json.dumps(accident(1), ensure_ascii=False),
        json.dumps(accident(2, lng="NaN"), ensure_ascii=False),
        json.dumps(accident(3, lat="Infinity"), ensure_ascii=False),
        json.dumps(accident(4, lng="1e400"), ensure_ascii=False).replace('"1e400"', "1e400"),
        json.dumps(accident(5, lng="-inf"), ensure_ascii=False),
    ]
    assert '"lng": 1e400' in lines[3]
    deliver(data, traffic_accidents, ("\n".join(lines) + "\n").encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), len(lines))
    assert bronze[SOURCE_ROW].to_list() == [1]
    assert_quarantined(quarantine, 2, "type_invalid", "longitude", "NaN")
    assert_quarantined(quarantine, 3, "type_invalid", "latitude", "Infinity")
    assert_quarantined(quarantine, 4, "type_invalid", "longitude", '"lng":"1e400"')
    assert_quarantined(quarantine, 5, "type_invalid", "longitude", "-inf")
    assert bronze["longitude"].is_finite().all() and bronze["latitude"].is_finite().all()


def test_nan_and_infinities_in_a_workbook_are_type_invalid(
    tmp_path: Path, data: DataDir, fire_incidents: FeedContract, connection
) -> None:
    loss = "直接财产损失（万元）"
    texts = ["NaN", "inf", "1e400", "-Infinity"]
    rows = [incident(1)] + [incident(2 + i, **{loss: t}) for i, t in enumerate(texts)]
    deliver(data, fire_incidents, xlsx_bytes(tmp_path, rows, INCIDENT_HEADER))
    bronze, quarantine = accounted(ingest(data, fire_incidents, connection), len(rows))
    assert bronze[SOURCE_ROW].to_list() == [1]
    for row, text in enumerate(texts, start=2):
        assert_quarantined(
            quarantine, row, "type_invalid", "direct_loss_10k_yuan", f'"{loss}":"{text}"'
        )
    assert bronze["direct_loss_10k_yuan"].is_finite().all()


# ------------------------------------------------------------------ plausibility


def test_an_identity_number_born_after_the_delivery_day_is_invalid(
    data: DataDir, enterprises: FeedContract, connection
) -> None:
    """Its check character is right; its birth date is the day after delivery, or no day at all."""
    born_on_delivery_day = identity_number(DAY.strftime("%Y%m%d"))
    tomorrow = identity_number("20260303")
    far_future = identity_number("20990101")
    no_day = identity_number("20250229")  # 2025 is no leap year
    rows = [
        enterprise(1, legal_rep_id_no=born_on_delivery_day),
        enterprise(2, legal_rep_id_no=tomorrow),
        enterprise(3, legal_rep_id_no=far_future),
        enterprise(4, legal_rep_id_no=no_day),
    ]
    deliver(data, enterprises, csv_text(rows, ENTERPRISE_HEADER).encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), len(rows))
    assert bronze[SOURCE_ROW].to_list() == [1]
    assert bronze["legal_rep_id_number"].to_list() == [born_on_delivery_day]
    for row, number in ((2, tomorrow), (3, far_future), (4, no_day)):
        assert_quarantined(quarantine, row, "identity_number_check", "legal_rep_id_number", number)


def test_a_nested_identity_number_born_after_the_delivery_day_is_invalid(
    data: DataDir, traffic_accidents: FeedContract, connection
) -> None:
    def with_driver(n: int, number: str) -> dict:
        record = accident(n)
        record["vehicles"][0]["driver"]["idNo"] = number
        return record

    future = identity_number("20300101")
    records = [with_driver(1, identity_number("19900101")), with_driver(2, future)]
    deliver(data, traffic_accidents, jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), len(records))
    assert bronze[SOURCE_ROW].to_list() == [1]
    assert_quarantined(quarantine, 2, "identity_number_check", "vehicles.driver_id_number", future)


def test_a_day_before_the_earliest_plausible_one_is_out_of_range(
    data: DataDir, enterprises: FeedContract, connection
) -> None:
    """enterprises.registered_date has minimum '1949-10-01': 1900 and 1949-09-30 are typos."""
    assert enterprises.field("registered_date").earliest == date(1949, 10, 1)
    rows = [
        enterprise(1, registered_date="1949-10-01"),
        enterprise(2, registered_date="1900-01-01"),
        enterprise(3, registered_date="1949.09.30"),
    ]
    deliver(data, enterprises, csv_text(rows, ENTERPRISE_HEADER).encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), len(rows))
    assert bronze["registered_date"].to_list() == [date(1949, 10, 1)]
    assert_quarantined(quarantine, 2, "value_out_of_range", "registered_date", "1900-01-01")
    assert_quarantined(quarantine, 3, "value_out_of_range", "registered_date", "1949.09.30")


def test_a_time_before_the_earliest_plausible_day_is_out_of_range(
    data: DataDir, traffic_accidents: FeedContract, connection
) -> None:
    """occurred_at has minimum '2020-01-01', a day in the city's zone: epoch 0 is a typo."""
    first_instant = datetime(2020, 1, 1, 0, 0, tzinfo=CST)
    records = [
        accident(1, occurTime=epoch_ms(first_instant)),
        accident(2, occurTime=epoch_ms(first_instant) - 1),  # 2019-12-31 23:59:59.999 there
        accident(3, occurTime=0),
    ]
    deliver(data, traffic_accidents, jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), len(records))
    assert bronze[SOURCE_ROW].to_list() == [1]
    assert_quarantined(
        quarantine, 2, "value_out_of_range", "occurred_at", str(epoch_ms(first_instant) - 1)
    )
    assert_quarantined(quarantine, 3, "value_out_of_range", "occurred_at", '"occurTime":"0"')


def test_control_characters_in_text_are_invalid(
    data: DataDir, enterprises: FeedContract, connection
) -> None:
    """NUL, escape and DEL are a broken export; a tab or a line break inside free text is data."""
    rows = [
        enterprise(1, address="成都市锦江区\t东大街1号"),
        enterprise(2, enterprise_name="成都锦江\x00化工有限公司"),
        enterprise(3, legal_rep_name="张\x1b伟"),
        enterprise(4, address="成都市锦江区东大街\x7f4号"),
    ]
    deliver(data, enterprises, csv_text(rows, ENTERPRISE_HEADER).encode("utf-8"))
    bronze, quarantine = accounted(ingest(data, enterprises, connection), len(rows))
    assert bronze[SOURCE_ROW].to_list() == [1]
    assert bronze["address"].to_list() == ["成都市锦江区\t东大街1号"]
    for row, column, text in (
        (2, "enterprise_name", "\\u0000"),
        (3, "legal_rep_name", "\\u001b"),
        (4, "address", "\x7f"),
    ):
        record = assert_quarantined(quarantine, row, "control_character", column)
        assert text in record["original"]
    for column in ("enterprise_name", "legal_rep_name", "address"):
        assert not bronze[column].str.contains(r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]").any()


def test_control_characters_in_nested_text_are_invalid(
    data: DataDir, traffic_accidents: FeedContract, connection
) -> None:
    record = accident(2)
    record["vehicles"][0]["driver"]["name"] = "王\x00强"
    records = [accident(1), record]
    deliver(data, traffic_accidents, jsonl_bytes(records))
    bronze, quarantine = accounted(ingest(data, traffic_accidents, connection), len(records))
    assert bronze[SOURCE_ROW].to_list() == [1]
    found = assert_quarantined(quarantine, 2, "control_character", "vehicles.driver_name")
    assert "王\\u0000强" in found["original"]
    names = bronze.select(pl.col("vehicles").list.eval(pl.element().struct.field("driver_name")))
    assert names.to_series().to_list() == [["王强"]]


# ------------------------------------------------------------------ the contract keys


def edited_hazard_sources(tmp_path: Path, old: str, new: str) -> Path:
    text = HAZARD_SOURCES.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "emergency_management" / "hazard_sources.odcs.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_sample_contracts_state_a_divisor_and_earliest_days(
    hazard_sources: FeedContract, traffic_accidents: FeedContract
) -> None:
    critical = hazard_sources.field("critical_quantity_t")
    assert (critical.minimum, critical.exclusive_minimum) == (None, 0.0)
    assert hazard_sources.field("record_date").earliest == date(2020, 1, 1)
    assert traffic_accidents.field("occurred_at").earliest == date(2020, 1, 1)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "      minimum: '2020-01-01'",
            "      minimum: '1/1/2020'",
            "minimum of a date or timestamp is a day 'YYYY-MM-DD', not '1/1/2020'",
        ),
        (
            "      value: enterprise_name\n",
            "      value: enterprise_name\n    - property: allowNonFinite\n      value: true\n",
            "allowNonFinite must be true or false, on a number",
        ),
        (
            "      exclusiveMinimum: 0",
            "      exclusiveMinimum: zero",
            "exclusiveMinimum: must be of type 'number', not string",
        ),
    ],
)
def test_the_plausibility_keys_are_checked_when_the_contract_loads(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    with pytest.raises(ContractError) as raised:
        load_contract(edited_hazard_sources(tmp_path, old, new))
    assert message in str(raised.value)
