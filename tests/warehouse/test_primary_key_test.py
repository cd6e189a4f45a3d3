"""The project's `primary_key` dbt test (dbt_project/tests/generic/primary_key.sql), which stands
for `unique` and `not_null` together on a key column: it fails on a key two rows share and on a
row without a key, each a failing row, and passes on a proper key. Run by dbt on a crafted table
in place of a model it tests (`risk_places.place_key`)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.city_profile import city_profile
from pipelines.lib.dbt_args import dbt_vars_args
from tests.marts.dbt_harness import dbt_process

SELECT = "risk_places,test_name:primary_key"


def _failures(data_dir: Path, keys: list[str | None]) -> tuple[int, list[int]]:
    """dbt's exit code, and the failing rows of each primary_key test it ran on `risk_places`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as connection:
        connection.execute("CREATE OR REPLACE TABLE main.risk_places (place_key VARCHAR)")
        connection.executemany("INSERT INTO main.risk_places VALUES (?)", [[k] for k in keys])
    result = dbt_process(
        data_dir, "test", "--select", SELECT, *dbt_vars_args(city_profile(data_dir))
    )
    run = json.loads((data_dir / "dbt_target" / "run_results.json").read_text(encoding="utf-8"))
    return result.returncode, [r["failures"] for r in run["results"]]


@pytest.mark.parametrize(
    ("keys", "failing_rows"),
    [
        (["p1", "p1", "p2"], 1),  # one key held twice
        (["p1", None, "p2"], 1),  # a row without a key
        (["p1", None, None, "p2"], 1),  # rows without a key: one failing row, the null key
        (["p1", "p1", None, "p2", "p2"], 3),
    ],
)
def test_a_shared_or_missing_key_fails(tmp_path, keys, failing_rows) -> None:
    returncode, failures = _failures(tmp_path, keys)
    assert returncode != 0
    assert failures == [failing_rows]


def test_a_proper_key_passes(tmp_path) -> None:
    returncode, failures = _failures(tmp_path, ["p1", "p2", "p3"])
    assert (returncode, failures) == (0, [0])
