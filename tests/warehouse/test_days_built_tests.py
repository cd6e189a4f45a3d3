"""A daily build tests the days it rebuilds: a key test whose `where` compares the delivery day
with `__first_day_built__` checks only the rows of SAFECITY_REPROCESS_SINCE and after, and
every row when it is unset (a full build). macros/where_subquery.sql puts the day in."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.lib.city_profile import city_profile
from pipelines.lib.dbt_args import dbt_vars_args
from tests.marts.dbt_harness import dbt_process

# The generated key test of the telemetry every department shares (_shared_feeds__models.yml).
MODEL = "int_shared__sensor_telemetry"
# A device's message delivered twice on 1 October (a repeated key), once on 2 October.
ROWS = """
    SELECT * FROM (VALUES
        ('emergency_management', 'D1', 'M1', DATE '2026-10-01'),
        ('emergency_management', 'D1', 'M1', DATE '2026-10-01'),
        ('emergency_management', 'D1', 'M2', DATE '2026-10-02')
    ) AS t(source_department, device_id, message_id, delivery_date)
"""


def _key_test(data_dir: Path) -> tuple[int, str]:
    result = dbt_process(
        data_dir,
        "test",
        "--select",
        MODEL,
        *dbt_vars_args(city_profile(data_dir)),
    )
    return result.returncode, result.stdout


def test_a_key_test_checks_the_days_built_and_every_day_in_a_full_build(tmp_path, monkeypatch):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        connection.execute("CREATE SCHEMA intermediate")
        connection.execute(f"CREATE TABLE intermediate.{MODEL} AS {ROWS}")

    monkeypatch.setenv("SAFECITY_REPROCESS_SINCE", "2026-10-02")
    code, output = _key_test(tmp_path)
    assert code == 0, output[-3000:]
    assert "PASS=1" in output, output[-3000:]
    compiled = next((tmp_path / "dbt_target" / "compiled").rglob("*.sql")).read_text()
    assert "delivery_date >= date '2026-10-02'" in compiled, compiled

    monkeypatch.setenv("SAFECITY_REPROCESS_SINCE", "2026-10-01")
    code, output = _key_test(tmp_path)
    assert code == 1 and "Got 1 result, configured to fail" in output, output[-3000:]

    monkeypatch.delenv("SAFECITY_REPROCESS_SINCE")
    code, output = _key_test(tmp_path)
    assert code == 1 and "Got 1 result, configured to fail" in output, output[-3000:]
