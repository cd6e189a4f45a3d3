"""The contract vocabulary for real deliveries: missing-value markers, derived values, points,
units, cross-column rules and patterns checked with the engine that runs them.

One valid contract using all of it (tests/fixtures/contracts/feeds/fire_rescue/alarm_calls.odcs.yaml,
also ingested by tests/ingest/test_conventions.py); each test breaks it in one place and expects the one
`file:line: key.path: message` that says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.lib.contracts import (
    ContractError,
    CrossColumnRule,
    Derivation,
    PointSource,
    load_contract,
)

FILE = "contracts/feeds/fire_rescue/alarm_calls.odcs.yaml"

FIXTURE = Path(__file__).parents[1] / "fixtures/contracts/feeds/fire_rescue/alarm_calls.odcs.yaml"
ALARM_CALLS = FIXTURE.read_text(encoding="utf-8")


def edited(old: str, new: str, text: str = ALARM_CALLS) -> str:
    assert text.count(old) == 1, f"not exactly once: {old!r}"
    return text.replace(old, new)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ContractError) as raised:
        load_contract(write(tmp_path, text), root=tmp_path)
    return list(raised.value.messages)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    hits = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


# --- the valid contract, compiled -----------------------------------------------------


def test_the_whole_vocabulary_compiles(tmp_path: Path) -> None:
    contract = load_contract(write(tmp_path, ALARM_CALLS), root=tmp_path)
    assert contract.missing_values == ("NA", "N/A", "-", "无")  # "" is missing anyway
    assert contract.field("call_id").missing_values == ("NA", "N/A", "-", "无")
    assert contract.field("casualties").missing_values == ("NA", "N/A", "-", "无", "9999")
    called_at = contract.field("called_at")
    assert called_at.source is None
    assert called_at.derived == Derivation(parts=(("date", "报警日期"), ("time", "报警时刻")))
    assert called_at.derived.kind == "date_time"
    assert called_at.source_formats == ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M")
    dispatched_at = contract.field("dispatched_at")
    assert dispatched_at.derived is not None and dispatched_at.derived.kind == "calendar"
    assert dispatched_at.derived.columns == ("年", "月", "日", "时", "分")
    assert dispatched_at.source_formats == ()
    assert contract.coordinates is not None
    assert contract.coordinates.point == PointSource(source="位置", format="lat,lon")
    assert contract.field("longitude").source is None
    assert (contract.field("burnt_area").source_unit, contract.field("burnt_area").unit) == (
        "亩",
        "m²",
    )
    assert [(r.name, r.column, r.check, r.other) for r in contract.rules] == [
        ("arrival_before_dispatch", "arrived_at", "notBefore", "dispatched_at"),
        ("vehicle_without_plate", "plate_no", "requiredWhen", "vehicle_type"),
    ]
    assert contract.rules[0] == CrossColumnRule(
        "arrival_before_dispatch",
        "arrived_at",
        "notBefore",
        "dispatched_at",
        line_of(ALARM_CALLS, "- name: arrival_before_dispatch"),
    )
    # Every delivered column the contract reads, each once.
    assert contract.source_columns == (
        "警情编号",
        "报警日期",
        "报警时刻",
        "年",
        "月",
        "日",
        "时",
        "分",
        "到场时间",
        "过火面积",
        "直接损失",
        "响应时长",
        "伤亡人数",
        "车辆类型",
        "车牌号",
        "位置",
    )


# --- the CSV delimiter -------------------------------------------------------------------

LANDING = '{format: csv, encoding: utf-8, file: "alarm_calls_{yyyymmdd}.csv"}'


def test_a_csv_delimiter_other_than_the_comma(tmp_path: Path) -> None:
    text = edited(LANDING, LANDING.replace("encoding: utf-8,", "encoding: utf-8, delimiter: ';',"))
    assert load_contract(write(tmp_path, text), root=tmp_path).landing.delimiter == ";"
    assert load_contract(write(tmp_path, ALARM_CALLS), root=tmp_path).landing.delimiter == ","


@pytest.mark.parametrize(
    ("landing", "message"),
    [
        (
            '{format: csv, delimiter: ":", file: "alarm_calls_{yyyymmdd}.csv"}',
            "delimiter must be one of '\\t', ',', ';', '|'",
        ),
        (
            '{format: jsonl, delimiter: ";", file: "alarm_calls_{yyyymmdd}.jsonl"}',
            "delimiter applies to csv only",
        ),
    ],
)
def test_the_delimiter_is_checked(tmp_path: Path, landing: str, message: str) -> None:
    text = edited(LANDING, landing)
    assert errors(tmp_path, text) == [
        f"{FILE}:{line_of(text, 'delimiter')}: customProperties[0].value.delimiter: {message}"
    ]


# --- missing-value markers ---------------------------------------------------------------


def test_missing_values_must_be_quoted_strings(tmp_path: Path) -> None:
    text = edited('value: ["NA", "N/A", "-", "无", ""]', "value: [NA, 9999, no]")
    assert errors(tmp_path, text) == [
        f"{FILE}:{line_of(text, 'value: [NA, 9999, no]')}: customProperties[2].value: "
        "missingValues must be a list of strings (quote numbers and words: '9999', 'no')"
    ]


def test_property_missing_values_must_be_a_list(tmp_path: Path) -> None:
    text = edited(
        "{property: missingValues, value: ['9999']}", "{property: missingValues, value: '9999'}"
    )
    assert errors(tmp_path, text) == [
        f"{FILE}:{line_of(text, 'missingValues, value')}: "
        "schema[0].properties[9].customProperties[1].value: "
        "missingValues must be a list of strings (quote numbers and words: '9999', 'no')"
    ]


# --- derived values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "value: {date: 报警日期, time: 报警时刻}",
            "value: {date: 报警日期, clock: 报警时刻}",
            "a date and a time column make a timestamp: give both date and time, nothing else",
        ),
        (
            "value: {date: 报警日期, time: 报警时刻}",
            "value: {date: 报警日期, time: 报警日期}",
            "date and time name the same column",
        ),
        (
            "value: {year: 年, month: 月, day: 日, hour: 时, minute: 分}",
            "value: {year: 年, month: 月, day: 日, minute: 分}",
            "a timestamp from calendar parts needs year, month, day, hour "
            "(then minute, second, optional): hour missing",
        ),
        (
            "value: {year: 年, month: 月, day: 日, hour: 时, minute: 分}",
            "value: {year: 年, month: 月, day: 日, hour: 时, second: 分}",
            "second without minute: parts come in the order year, month, day, hour "
            "(then minute, second, optional)",
        ),
        (
            "value: {year: 年, month: 月, day: 日, hour: 时, minute: 分}",
            "value: {year: 年, month: 月, day: 日, hour: 时, minutes: 分}",
            "a timestamp from calendar parts takes year, month, day, hour "
            "(then minute, second, optional), not minutes",
        ),
    ],
    ids=["unknown-part", "same-column", "no-hour", "second-without-minute", "misspelt-part"],
)
def test_derived_from_names_its_parts(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = edited(old, new)
    index = 1 if "date" in old else 2
    assert errors(tmp_path, text) == [
        f"{FILE}:{line_of(text, new)}: schema[0].properties[{index}].customProperties[0].value: "
        + message
    ]


def test_derived_from_and_source_exclude_each_other(tmp_path: Path) -> None:
    text = edited(
        "    - property: derivedFrom\n      value: {date: 报警日期, time: 报警时刻}",
        "    - {property: source, value: 报警时间}\n"
        "    - property: derivedFrom\n      value: {date: 报警日期, time: 报警时刻}",
    )
    assert errors(tmp_path, text) == [
        f"{FILE}:{line_of(text, 'value: {date: 报警日期')}: "
        "schema[0].properties[1].customProperties[1].value: "
        "a property has source or derivedFrom, not both"
    ]


def test_calendar_parts_take_no_source_formats(tmp_path: Path) -> None:
    text = edited(
        "      value: {year: 年, month: 月, day: 日, hour: 时, minute: 分}\n",
        "      value: {year: 年, month: 月, day: 日, hour: 时, minute: 分}\n"
        "    - {property: sourceFormats, value: ['%Y']}\n",
    )
    line = line_of(text, "value: ['%Y']")
    assert errors(tmp_path, text) == [
        f"{FILE}:{line}: "
        "schema[0].properties[2].customProperties[1].value: "
        "sourceFormats applies to date and timestamp properties read from text only"
    ]


def test_derived_from_builds_dates_and_timestamps_only(tmp_path: Path) -> None:
    text = edited(
        "    - {property: source, value: 车牌号}",
        "    - {property: derivedFrom, value: {year: 年, month: 月, day: 日}}",
    )
    assert errors(tmp_path, text) == [
        f"{FILE}:{line_of(text, 'derivedFrom, value: {year')}: "
        "schema[0].properties[11].customProperties[0].value: derivedFrom builds dates and timestamps only"
    ]


# --- coordinates from one point ---------------------------------------------------------


def test_point_format_is_one_of_the_known(tmp_path: Path) -> None:
    text = edited('format: "lat,lon"', 'format: "latlon"')
    line = line_of(text, 'format: "latlon"')
    assert errors(tmp_path, text) == [
        f"{FILE}:{line}: customProperties[1].value.point.format: "
        "point format must be one of ['lat,lon', 'lon,lat', 'wkt'], not 'latlon'"
    ]


def test_a_property_read_from_the_point_has_no_source(tmp_path: Path) -> None:
    text = edited(
        "  - name: latitude\n    logicalType: number\n    physicalType: DOUBLE\n"
        "    required: true\n    classification: public\n",
        "  - name: latitude\n    logicalType: number\n    physicalType: DOUBLE\n"
        "    required: true\n    classification: public\n"
        "    customProperties: [{property: source, value: 纬度}]\n",
    )
    assert errors(tmp_path, text) == [
        f"{FILE}:{line_of(text, 'value: 纬度')}: schema[0].properties[5].customProperties[0].value: "
        "source is not used: this property is read from coordinates.point"
    ]


# --- units -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "{property: unit, value: m²}",
            "{property: unit, value: furlong}",
            "unknown unit 'furlong' (known: µg/m³, mg/m³, g/m³, Pa, kPa, MPa, mm, cm, m, km, m², 亩, "
            "ha, km², L, m³, g, kg, t, s, min, h, d, m/s, km/h, 元, 万元, 亿元)",
        ),
        (
            "{property: sourceUnit, value: 亩}",
            "{property: sourceUnit, value: kPa}",
            "cannot convert 'kPa' (pressure) to 'm²' (area)",
        ),
    ],
    ids=["unknown-unit", "other-dimension"],
)
def test_units_are_known_and_convertible(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = edited(old, new)
    index = 2 if "unit," in new else 1
    assert errors(tmp_path, text) == [
        f"{FILE}:{line_of(text, new)}: schema[0].properties[6].customProperties[{index}].value: "
        + message
    ]


def test_source_unit_needs_the_stored_unit_and_a_number(tmp_path: Path) -> None:
    text = edited("    - {property: unit, value: 元}\n", "")
    text = edited(
        "    - {property: source, value: 车辆类型}",
        "    - {property: source, value: 车辆类型}\n    - {property: unit, value: kg}",
        text,
    )
    assert errors(tmp_path, text) == [
        f"{FILE}:{line_of(text, 'sourceUnit, value: 万元')}: "
        "schema[0].properties[7].customProperties[1].value: sourceUnit needs unit: the unit bronze stores",
        f"{FILE}:{line_of(text, 'unit, value: kg')}: "
        "schema[0].properties[10].customProperties[1].value: "
        "unit applies to number and integer properties only",
    ]


# --- cross-column rules ---------------------------------------------------------------------


RULE = "  - name: arrival_before_dispatch\n    column: arrived_at\n    notBefore: dispatched_at\n"


@pytest.mark.parametrize(
    ("new", "key", "at", "message"),
    [
        (
            "  - name: arrival_before_dispatch\n    column: arrival\n    notBefore: dispatched_at\n",
            "[0].column",
            ("column: arrival", 1),
            "column must name a property, not 'arrival'",
        ),
        (
            "  - name: arrival_before_dispatch\n    column: arrived_at\n    notbefore: dispatched_at\n",
            "[0]",
            ("- name: arrival_before_dispatch", 1),
            "a rule has exactly one check of ['after', 'atLeast', 'atMost', 'before', "
            "'greaterThan', 'lessThan', 'notAfter', 'notBefore', 'requiredWhen'], not []",
        ),
        (
            "  - name: arrival_before_dispatch\n    column: casualties\n    notBefore: response_seconds\n",
            "[0].notBefore",
            ("notBefore: response_seconds", 1),
            "notBefore compares two dates or two timestamps, not integer and integer "
            "(numbers use atLeast, atMost, greaterThan, lessThan)",
        ),
        (
            "  - name: type_invalid\n    column: arrived_at\n    notBefore: dispatched_at\n",
            "[0].name",
            ("- name: type_invalid", 1),
            "'type_invalid' is a built-in quarantine reason: choose another name",
        ),
        (
            "  - name: vehicle_without_plate\n    column: arrived_at\n    notBefore: dispatched_at\n",
            "[1].name",
            ("- name: vehicle_without_plate", 2),
            "rule name 'vehicle_without_plate' is used twice",
        ),
    ],
    ids=["unknown-column", "misspelt-check", "numbers-with-a-time-check", "built-in-name", "twice"],
)
def test_cross_column_rules_are_checked(
    tmp_path: Path, new: str, key: str, at: tuple[str, int], message: str
) -> None:
    text = edited(RULE, new)
    line = line_of(text, *at)
    if key == "[0]":  # the misspelt key itself is reported too, at its own line
        assert errors(tmp_path, text) == [
            f"{FILE}:{line}: customProperties[3].value[0]: {message}",
            f"{FILE}:{line_of(text, 'notbefore:')}: customProperties[3].value[0]: "
            "'notbefore' is not allowed in a rule (misspelt key?)",
        ]
        return
    assert errors(tmp_path, text) == [f"{FILE}:{line}: customProperties[3].value{key}: {message}"]


# --- patterns, with the engine that runs them -----------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"^BJ\d{6}\Z", r"unrecognized escape sequence at '\Z'"),
        (
            r"^BJ(?=\d)\d{6}$",
            "look-around, including look-ahead and look-behind, is not supported at '(?='",
        ),
        (r"^(BJ)\1$", r"backreferences are not supported at '\1'"),
    ],
    ids=["end-of-text-Z", "look-ahead", "back-reference"],
)
def test_pattern_the_ingestion_engine_cannot_run_is_a_load_error(
    tmp_path: Path, pattern: str, reason: str
) -> None:
    text = edited("{pattern: '^BJ\\d{6}$'}", f"{{pattern: '{pattern}'}}")
    assert errors(tmp_path, text) == [
        f"{FILE}:{line_of(text, 'pattern:')}: schema[0].properties[0].logicalTypeOptions.pattern: "
        f"pattern '{pattern}': {reason} (ingestion runs patterns in polars' Rust regex engine: "
        "no look-around, no back-references, \\z or $ for the end)"
    ]


# --- every problem at once -------------------------------------------------------------------


def test_house_rules_run_even_when_the_schema_found_problems(tmp_path: Path) -> None:
    text = edited(
        "    required: true\n    primaryKey: true", "    requird: true\n    primaryKey: true"
    )
    text = edited("{pattern: '^BJ\\d{6}$'}", "{pattern: '^BJ\\d{6}\\Z'}", text)
    text = edited("{property: unit, value: 元}", "{property: unit, value: yuan}", text)
    text = edited("    notBefore: dispatched_at", "    notBefore: dispatch_time", text)
    problems = errors(tmp_path, text)
    assert [p.split(": ", 2)[1] for p in problems] == [
        "customProperties[3].value[0].notBefore",  # a house rule, above the schema's error
        "schema[0].properties[0]",  # the ODCS schema: a misspelt key
        "schema[0].properties[0].logicalTypeOptions.pattern",
        "schema[0].properties[7].customProperties[2].value",
    ]
    assert "'requird' is not allowed (misspelt key?)" in problems[1]
    assert "unknown unit 'yuan'" in problems[3]
