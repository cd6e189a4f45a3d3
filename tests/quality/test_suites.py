"""Suites derived from the warehouse contracts, and the contracts' logicalTypeOptions they read."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from pipelines.lib.contracts import ContractError, contracts_dir
from pipelines.lib.contracts.tables import load_table_contracts
from pipelines.lib.quality.extract import PublishedColumn, PublishedTable
from pipelines.lib.quality.suites import MASK_PATTERN, PSEUDONYM_PATTERN, suite_for_table
from tests.quality.extracts import TREATMENTS


def by_column(suite) -> dict[str | None, list]:
    grouped: dict[str | None, list] = {}
    for expectation in suite.expectations:
        grouped.setdefault(expectation.configuration.kwargs.get("column"), []).append(expectation)
    return grouped


def kinds(expectations) -> set[str]:
    return {e.expectation_type for e in expectations}


def published(
    contract, treatments: dict[str, str], rows: int | None = None, drop: tuple[str, ...] = ()
) -> PublishedTable:
    return PublishedTable(
        name=contract.name,
        columns=tuple(
            PublishedColumn(c.name, treatments.get(c.name, "clear"))
            for c in contract.columns
            if c.name not in drop
        ),
        rows=rows,
    )


def test_fct_event_in_clear_gets_every_rule_of_its_contract(contracts) -> None:
    contract = contracts["fct_event"]
    suite = suite_for_table(contract)
    assert suite.name == "fct_event"
    columns = by_column(suite)

    (table_columns,) = columns[None]
    assert table_columns.expectation_type == "expect_table_columns_to_match_set"
    assert table_columns.configuration.kwargs["column_set"] == [c.name for c in contract.columns]
    assert table_columns.exact_match is True  # GX leaves defaults out of the configuration's kwargs

    for column in contract.columns:
        found = kinds(columns.get(column.name, []))
        assert ("expect_column_values_to_not_be_null" in found) == column.required, column.name
    assert kinds(columns["event_key"]) >= {"expect_column_values_to_be_unique"}
    assert kinds(columns["source_record_id"]) >= {"expect_column_values_to_be_unique"}
    event_type = next(
        e
        for e in columns["event_type"]
        if e.expectation_type == "expect_column_values_to_be_in_set"
    )
    assert set(event_type.configuration.kwargs["value_set"]) == set(
        next(c for c in contract.columns if c.name == "event_type").enum
    )
    assert "expect_column_values_to_be_in_set" in kinds(columns["severity"])
    assert "expect_column_values_to_not_be_null" not in kinds(columns["severity"])  # optional
    county = next(
        e
        for e in columns["county_code"]
        if e.expectation_type == "expect_column_values_to_match_regex"
    )
    assert county.configuration.kwargs["regex"] == r"^\d{6}$"
    deaths = next(
        e for e in columns["deaths"] if e.expectation_type == "expect_column_values_to_be_between"
    )
    assert (
        deaths.configuration.kwargs["min_value"],
        deaths.configuration.kwargs.get("max_value"),
    ) == (0, None)
    # Every expectation says in words which contract rule it stands for.
    for expectation in suite.expectations:
        ours = expectation.configuration.meta["safecity"]
        assert ours["rule"] and ours["words"] and expectation.configuration.notes == ours["words"]


def test_dim_person_without_personal_grant_proves_the_treatment_and_expects_no_clear_values(
    contracts,
) -> None:
    contract = contracts["dim_person"]
    treatments = TREATMENTS["dim_person"]
    suite = suite_for_table(contract, published(contract, treatments, rows=40))
    columns = by_column(suite)
    assert {e.expectation_type for e in columns[None]} == {
        "expect_table_columns_to_match_set",
        "expect_table_row_count_to_equal",
    }

    # The key stays required and unique under its pseudonym, which must look like one.
    assert kinds(columns["person_key"]) == {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_unique",
        "expect_column_values_to_match_regex",
    }
    for column in ("person_key", "id_number_hash", "name"):
        regexes = [
            e.configuration.kwargs["regex"]
            for e in columns[column]
            if "regex" in e.configuration.kwargs
        ]
        assert regexes == [PSEUDONYM_PATTERN], column
    for column in ("id_number_masked", "birth_date", "phone"):
        (only,) = columns[column]  # masked: one rule, the mask; not even "required"
        assert only.expectation_type == "expect_column_values_to_match_regex"
        assert only.configuration.kwargs["regex"] == MASK_PATTERN
        assert only.configuration.meta["safecity"]["rule"] == "masked"
    # The contract's own patterns for the clear values appear nowhere in the suite.
    contract_patterns = {
        c.pattern
        for c in contract.columns
        if c.pattern and treatments.get(c.name, "clear") != "clear"
    }
    assert contract_patterns == {r"^[0-9a-f]{64}$", r"^\d{6}\*{8}\d{3}[\dX]$", r"^[0-9\-]{7,20}$"}
    used = {e.configuration.kwargs.get("regex") for e in suite.expectations}
    assert not (contract_patterns - {PSEUDONYM_PATTERN}) & used

    # Columns delivered in clear keep their rules.
    assert kinds(columns["sex"]) == {"expect_column_values_to_be_in_set"}
    assert kinds(columns["key_kind"]) == {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_in_set",
    }


def test_a_pseudonymised_enum_column_gets_no_value_set(contracts) -> None:
    contract = contracts["dim_person"]
    suite = suite_for_table(contract, published(contract, {"sex": "pseudonymised"}))
    assert kinds(by_column(suite)["sex"]) == {"expect_column_values_to_match_regex"}


def test_columns_not_granted_are_not_expected(contracts) -> None:
    contract = contracts["dim_person"]
    suite = suite_for_table(contract, published(contract, {}, drop=("name", "phone", "birth_date")))
    columns = by_column(suite)
    (column_set,) = columns[None]
    assert column_set.configuration.kwargs["column_set"] == [
        "person_key", "id_number_hash", "id_number_masked", "sex", "key_kind", "source_mentions", "source_feeds",
    ]  # fmt: skip
    assert not {"name", "phone", "birth_date"} & set(columns)


def test_compound_key_lengths_and_integer_enums(contracts) -> None:
    contract = contracts["bridge_event_person"]
    columns = tuple(
        dataclasses.replace(
            c,
            primary_key=c.name in ("event_key", "person_key"),
            min_length=2 if c.name == "role" else None,
            max_length=30 if c.name == "role" else None,
        )
        for c in contract.columns
    )
    columns += (
        dataclasses.replace(
            columns[0],
            name="slot",
            logical_type="integer",
            enum=("1", "2"),
            primary_key=False,
            required=False,
        ),
    )
    suite = suite_for_table(dataclasses.replace(contract, columns=columns))
    compound = [
        e
        for e in suite.expectations
        if e.expectation_type == "expect_compound_columns_to_be_unique"
    ]
    assert [e.configuration.kwargs["column_list"] for e in compound] == [
        ["event_key", "person_key"]
    ]
    assert not any(
        e.expectation_type == "expect_column_values_to_be_unique" for e in suite.expectations
    )
    lengths = next(
        e
        for e in suite.expectations
        if e.expectation_type == "expect_column_value_lengths_to_be_between"
    )
    assert (
        lengths.configuration.kwargs["min_value"],
        lengths.configuration.kwargs["max_value"],
    ) == (2, 30)
    slot = next(e for e in suite.expectations if e.configuration.kwargs.get("column") == "slot")
    assert slot.configuration.kwargs["value_set"] == [1, 2]


@pytest.fixture
def warehouse_contracts(tmp_path: Path) -> Path:
    root = tmp_path / "contracts"
    shutil.copytree(contracts_dir() / "warehouse", root / "warehouse")
    return root


@pytest.mark.parametrize(
    ("options", "message"),
    [
        # ODCS allows a string `format`, but nothing would check it.
        ("logicalTypeOptions: {format: plate}", "'format' is not supported for string properties"),
        ("logicalTypeOptions: {pattern: '^[0-9'}", "invalid pattern"),
        ("logicalTypeOptions: {maximum: 3}", "'maximum' is not allowed"),  # ODCS's own schema
    ],
)
def test_warehouse_contract_options_are_checked(
    warehouse_contracts: Path, options: str, message: str
) -> None:
    path = warehouse_contracts / "warehouse" / "dim_object.odcs.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "  - name: code\n    description: Plate (normalised) or code.\n    logicalType: string\n    physicalType: VARCHAR\n"
    assert text.count(anchor) == 1
    path.write_text(text.replace(anchor, anchor + f"    {options}\n"), encoding="utf-8")
    with pytest.raises(ContractError) as raised:
        load_table_contracts(warehouse_contracts)
    line = text.splitlines().index("  - name: code") + 5  # the line added under it
    assert any(
        re.match(
            rf"contracts/warehouse/dim_object\.odcs\.yaml:{line}: schema\[0\]\.properties\[2\]\.logicalTypeOptions",
            m,
        )
        and message in m
        for m in raised.value.messages
    ), raised.value.messages
