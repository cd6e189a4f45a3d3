"""The dbt test that hazard-source grades are finite fails on NaN and infinity, and only on them.

Run here on a table shaped like hazard_source_grades, so it is shown to fail without building
a city whose contracts let NaN through (they no longer do: tests/ingest/test_hostile_values.py).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

TEST_SQL = (
    Path(__file__).resolve().parents[2]
    / "dbt_project"
    / "tests"
    / "assert_hazard_source_grades_are_finite.sql"
)


def failing_installations(rows: list[tuple]) -> list[str]:
    sql = TEST_SQL.read_text(encoding="utf-8").replace(
        "{{ ref('hazard_source_grades') }}", "grades"
    )
    assert "{{" not in sql
    with duckdb.connect() as con:
        con.execute(
            "create table grades (object_key varchar, hazard_source_code varchar, alpha double,"
            " s_value double, r_value double, inputs varchar)"
        )
        con.executemany("insert into grades values (?, ?, ?, ?, ?, ?)", rows)
        return sorted(key for key, *_ in con.execute(sql).fetchall())


def test_nan_and_infinite_grades_fail_and_finite_or_empty_ones_pass() -> None:
    nan, inf = float("nan"), float("inf")
    rows = [
        ("graded", "HS1", 2.0, 3.5, 210.0, "氯"),
        ("unknown_substance", "HS2", 1.0, None, None, "?"),
        ("nan_s", "HS3", 1.0, nan, nan, "q NaN"),
        ("infinite_s", "HS4", 1.0, inf, inf, "Q 0"),
        ("negative_infinite_r", "HS5", 1.0, 2.0, -inf, "q -inf"),
    ]
    assert failing_installations(rows) == ["infinite_s", "nan_s", "negative_infinite_r"]
