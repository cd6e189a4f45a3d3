"""Hostile workbooks (issue 23, item 9): data on another sheet, a title above the header, formulas.

Each case delivers one fire_incidents workbook (the sample city's contract names its sheet,
警情), ingests it, and checks the lake partition: every data row in bronze or quarantine
once, no invalid value in bronze, the reason and column named, the delivered text kept.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from pipelines.lib.contracts import ContractError, FeedContract, load_contract
from pipelines.lib.contracts.loader import shared_vocabulary
from pipelines.lib.draft import draft_contract
from pipelines.lib.ingest.read import SOURCE_ROW, UnreadableFile
from tests.ingest.deliveries import (
    FEEDS,
    Formula,
    accounted,
    assert_bronze,
    assert_quarantined,
    deliver,
    incident,
    ingest,
    xlsx_bytes,
)

TITLE = "成都市消防救援支队 2026年3月 火灾警情"
LOSS = "直接财产损失（万元）"  # full-width brackets: not a Python name
SUMMARY = [["区县", "警情数"], ["成华区", 3]]


def with_landing(contract: FeedContract, **changes) -> FeedContract:
    return replace(contract, landing=replace(contract.landing, **changes))


def _assert_nothing_written(data) -> None:
    assert not data.lake.exists() or not any(data.lake.rglob("*.parquet"))


# ================================================================== which sheet


def test_data_on_the_second_sheet_named_by_the_contract_is_read(
    data, connection, fire_incidents, tmp_path
):
    assert fire_incidents.landing.sheet == "警情"
    rows = [incident(n) for n in range(1, 4)]
    deliver(data, fire_incidents, xlsx_bytes(tmp_path, rows, sheets_before={"说明": []}))
    ingested = ingest(data, fire_incidents, connection)
    bronze, quarantine = accounted(ingested, 3)
    assert quarantine.height == 0
    assert_bronze(bronze, fire_incidents, rows, [1, 2, 3])
    assert ingested.result.notes == []  # the contract said which sheet: nothing to say


def test_data_on_the_second_sheet_unnamed_is_read_and_the_sheet_is_said(
    data, connection, fire_incidents, tmp_path
):
    contract = with_landing(fire_incidents, sheet=None)
    rows = [incident(n) for n in range(1, 4)]
    deliver(
        data, contract, xlsx_bytes(tmp_path, rows, sheet="火灾警情", sheets_before={"Sheet1": []})
    )
    ingested = ingest(data, contract, connection)
    bronze, quarantine = accounted(ingested, 3)
    assert quarantine.height == 0
    assert_bronze(bronze, contract, rows, [1, 2, 3])
    (note,) = ingested.result.notes
    assert "read sheet '火灾警情'" in note and "'Sheet1'" in note and "sheet: 火灾警情" in note


def test_two_sheets_holding_data_unnamed_are_refused_naming_both(
    data, connection, fire_incidents, tmp_path
):
    # Reading the first and dropping the second could lose half the day's records.
    contract = with_landing(fire_incidents, sheet=None)
    content = xlsx_bytes(tmp_path, [incident(1)], sheets_after={"汇总": SUMMARY})
    path = deliver(data, contract, content)
    with pytest.raises(UnreadableFile) as failure:
        ingest(data, contract, connection)
    message = str(failure.value)
    assert "\n" not in message
    assert path.name in message and "'警情'" in message and "'汇总'" in message
    assert "sheet:" in message
    _assert_nothing_written(data)


def test_other_sheets_beside_the_named_one_are_not_read(data, connection, fire_incidents, tmp_path):
    rows = [incident(n) for n in range(1, 3)]
    content = xlsx_bytes(tmp_path, rows, sheets_before={"汇总": SUMMARY})
    deliver(data, fire_incidents, content)
    bronze, quarantine = accounted(ingest(data, fire_incidents, connection), 2)
    assert quarantine.height == 0
    assert_bronze(bronze, fire_incidents, rows, [1, 2])


def test_named_sheet_missing_gives_one_line_with_the_sheets_present(
    data, connection, fire_incidents, tmp_path
):
    content = xlsx_bytes(tmp_path, [incident(1)], sheet="Sheet1", sheets_after={"汇总": SUMMARY})
    path = deliver(data, fire_incidents, content)
    with pytest.raises(UnreadableFile) as failure:
        ingest(data, fire_incidents, connection)
    message = str(failure.value)
    assert "\n" not in message
    assert path.name in message
    assert "no sheet '警情'" in message and "'Sheet1', '汇总'" in message
    _assert_nothing_written(data)


# ================================================================== where the header is


def test_title_rows_above_the_header_are_found_and_said(data, connection, fire_incidents, tmp_path):
    rows = [incident(1), incident(2, 受伤人数="两人"), incident(3)]
    deliver(data, fire_incidents, xlsx_bytes(tmp_path, rows, above=[TITLE, None]))
    ingested = ingest(data, fire_incidents, connection)
    bronze, quarantine = accounted(ingested, 3)
    # Data rows are numbered from the header, as in a workbook without a title.
    record = assert_quarantined(quarantine, 2, "type_invalid", "injuries", "JQ2026030200002")
    assert json.loads(record["original"])["受伤人数"] == "两人"
    assert_bronze(bronze, fire_incidents, [rows[0], rows[2]], [1, 3])
    assert ingested.result.columns_missing == []
    (note,) = ingested.result.notes
    assert "row 3" in note and TITLE in note and "headerRow: 3" in note


def test_declared_header_row_is_read_without_a_note(data, connection, fire_incidents, tmp_path):
    contract = with_landing(fire_incidents, header_row=3)
    rows = [incident(n) for n in range(1, 4)]
    deliver(data, contract, xlsx_bytes(tmp_path, rows, above=[TITLE, "制表：指挥中心"]))
    ingested = ingest(data, contract, connection)
    bronze, quarantine = accounted(ingested, 3)
    assert quarantine.height == 0
    assert_bronze(bronze, contract, rows, [1, 2, 3])
    assert ingested.result.notes == []


def test_declared_header_row_that_is_empty_gives_one_line(
    data, connection, fire_incidents, tmp_path
):
    contract = with_landing(fire_incidents, header_row=2)
    path = deliver(data, contract, xlsx_bytes(tmp_path, [incident(1)], above=[TITLE, None]))
    with pytest.raises(UnreadableFile) as failure:
        ingest(data, contract, connection)
    message = str(failure.value)
    assert "\n" not in message
    assert path.name in message and "row 2" in message and "headerRow" in message
    _assert_nothing_written(data)


# ================================================================== formulas


def test_formula_values_are_read_as_shown_and_their_cells_named(
    data, connection, fire_incidents, tmp_path
):
    # A department's export often computes a column (a SUM, a lookup): the cached value is
    # what the department saw and signed off, so it is read, and the note says it was computed.
    rows = [
        incident(1),
        incident(2, 受伤人数=Formula("=N2+1", 1), 出动车辆=Formula("=SUM(1,2)", 3)),
        incident(3, 受伤人数=Formula("=N3+2", 2)),
    ]
    deliver(data, fire_incidents, xlsx_bytes(tmp_path, rows))
    ingested = ingest(data, fire_incidents, connection)
    bronze, quarantine = accounted(ingested, 3)
    assert quarantine.height == 0
    shown = [incident(1), incident(2, 受伤人数=1, 出动车辆=3), incident(3, 受伤人数=2)]
    assert_bronze(bronze, fire_incidents, shown, [1, 2, 3])
    (note,) = ingested.result.notes
    assert "3 value(s) are formulas' results" in note
    assert "受伤人数 (2 cells, O3 to O4)" in note and "出动车辆 (M3)" in note


def test_formula_error_quarantines_its_row_naming_the_column(
    data, connection, fire_incidents, tmp_path
):
    # calamine reads #DIV/0! as an empty cell: stored, it would be a loss nobody sees.
    rows = [incident(1), incident(2, **{LOSS: Formula("=1/0", "#DIV/0!")}), incident(3)]
    deliver(data, fire_incidents, xlsx_bytes(tmp_path, rows))
    ingested = ingest(data, fire_incidents, connection)
    bronze, quarantine = accounted(ingested, 3)
    record = assert_quarantined(
        quarantine, 2, "formula_error", "direct_loss_10k_yuan", "JQ2026030200002", "#DIV/0!"
    )
    assert json.loads(record["original"])[LOSS] == "#DIV/0!"
    assert_bronze(bronze, fire_incidents, [rows[0], rows[2]], [1, 3])
    assert bronze["direct_loss_10k_yuan"].null_count() == 0
    assert any("formula error" in note for note in ingested.result.notes)


def test_formula_never_computed_quarantines_its_row_with_the_formula(
    data, connection, fire_incidents, tmp_path
):
    # Written by a program that does not calculate (openpyxl): no value at all, only the formula.
    rows = [incident(1), incident(2), incident(3, 死亡人数=Formula("=N3*2", None))]
    deliver(data, fire_incidents, xlsx_bytes(tmp_path, rows))
    bronze, quarantine = accounted(ingest(data, fire_incidents, connection), 3)
    record = assert_quarantined(quarantine, 3, "formula_not_computed", "deaths", "JQ2026030200003")
    assert json.loads(record["original"])["死亡人数"] == "=N3*2"
    assert_bronze(bronze, fire_incidents, rows[:2], [1, 2])


def test_a_row_holding_only_a_formula_never_computed_is_still_a_record(
    data, connection, fire_incidents, tmp_path
):
    # calamine sees no value in that row at all: without the sheet's XML it would vanish.
    header = list(incident(1))
    rows = [incident(1), incident(2), dict.fromkeys(header)]
    rows[2]["警情编号"] = Formula("=A3&1", None)
    deliver(data, fire_incidents, xlsx_bytes(tmp_path, rows))
    bronze, quarantine = accounted(ingest(data, fire_incidents, connection), 3)
    assert_quarantined(quarantine, 3, "formula_not_computed", "incident_id", "=A3&1")
    assert_bronze(bronze, fire_incidents, rows[:2], [1, 2])
    assert quarantine[SOURCE_ROW].to_list() == [3]


# ================================================================== the contract's landing block


@pytest.mark.parametrize(
    "landing, problem",
    [
        ({"format": "csv", "sheet": "警情"}, "sheet applies to xlsx only"),
        ({"format": "jsonl", "headerRow": 2}, "headerRow applies to xlsx only"),
        ({"format": "xlsx", "headerRow": 0}, "headerRow must be the row"),
        ({"format": "xlsx", "headerRow": "2"}, "headerRow must be the row"),
        ({"format": "xlsx", "sheet": ""}, "sheet must be the worksheet"),
    ],
)
def test_sheet_and_header_row_are_checked_in_the_contract(tmp_path, landing, problem):
    source = FEEDS / "fire_rescue" / "fire_incidents.odcs.yaml"
    text = source.read_text(encoding="utf-8")
    start = text.index("- property: landing")
    end = text.index("- property: coordinates")
    value = {**landing, "file": "f_{yyyymmdd}." + landing["format"]}
    block = "".join(f"    {key}: {json.dumps(v, ensure_ascii=False)}\n" for key, v in value.items())
    path = tmp_path / "contracts" / "feeds" / "fire_rescue" / source.name
    path.parent.mkdir(parents=True)
    path.write_text(text[:start] + "- property: landing\n  value:\n" + block + text[end:])
    with pytest.raises(ContractError) as raised:
        load_contract(path, vocabulary=shared_vocabulary(FEEDS.parent))
    assert any(problem in message for message in raised.value.messages), raised.value.messages


# ================================================================== drafting from a workbook


def test_a_draft_from_a_titled_workbook_names_its_sheet_and_header_row(tmp_path):
    rows = [incident(n) for n in range(1, 13)]
    sample = tmp_path / "delivered" / "incidents_20260302.xlsx"
    sample.parent.mkdir()
    sample.write_bytes(
        xlsx_bytes(
            tmp_path,
            rows,
            sheet="火灾警情",
            above=[TITLE, None],
            sheets_before={"说明": []},
            sheets_after={"汇总": SUMMARY},
        )
    )
    draft = draft_contract(sample, "fire_rescue", "incidents")
    path = tmp_path / "contracts" / "feeds" / "fire_rescue" / "incidents.odcs.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(draft.text, encoding="utf-8")
    contract = load_contract(path, tmp_path)
    assert contract.landing.sheet == "火灾警情" and contract.landing.header_row == 3
    assert "'汇总' holds data too" in draft.text  # the sheet not read, to review
    assert [f.source for f in contract.fields] == list(rows[0])
    assert draft.check.to_bronze == 12
