"""dbt parses the project once per city, not once per data directory.

`make install` parses the project with the built-in city's vars, and a run in a new data
directory starts from that parse (dagster-dbt copies its partial-parse state into the run's
target). dbt parses everything again when the profile (it hashes the connection settings) or
a file's env_var changes: neither may name the data directory.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pipelines.lib.city_profile import load_city_profile
from pipelines.lib.dbt_args import dbt_parse_args, dbt_vars_args
from tests.marts.dbt_harness import DBT_PROJECT, run_dbt

CITY = load_city_profile(Path("contracts/city.yaml"))
STATE = "partial_parse.msgpack"


# dbt says what it parsed at debug level; the project writes dbt.log at info.
DEBUG_LOG = ("--log-level-file", "debug")


def _parse_log(data_dir: Path) -> str:
    return (data_dir / "dbt_logs" / "dbt.log").read_text(encoding="utf-8")


def test_another_data_directory_of_the_city_parses_nothing_again(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    run_dbt(first, "parse", *DEBUG_LOG, *dbt_vars_args(CITY))
    (second / "dbt_target").mkdir(parents=True)
    shutil.copyfile(first / "dbt_target" / STATE, second / "dbt_target" / STATE)

    run_dbt(second, "parse", *DEBUG_LOG, *dbt_vars_args(CITY))

    log = _parse_log(second)
    assert "Unable to do partial parsing" not in log, log[-2000:]
    assert "Partial parsing enabled, no changes found, skipping parsing" in log, log[-2000:]


def test_make_install_leaves_a_parse_a_new_data_directory_keeps(tmp_path):
    """The project's own state, as `make install` left it (pipelines/lib/dbt_parse.py): a data
    directory of the city started from it parses nothing again, neither the seeds (which
    dagster-dbt's own preparation marks as changed) nor the models reading the reference tables
    (whose folder a run gives dbt)."""
    if not (DBT_PROJECT / "target" / STATE).is_file():
        raise AssertionError("no dbt_project/target/partial_parse.msgpack: run `make install`")
    # as `make install` (the same data directory's city)
    run_dbt(tmp_path, *dbt_parse_args(), *DEBUG_LOG)
    log = _parse_log(tmp_path)
    assert "Unable to do partial parsing" not in log, log[-2000:]
    assert "Partial parsing enabled, no changes found, skipping parsing" in log, log[-2000:]


def test_the_day_a_daily_build_starts_from_parses_nothing_again(tmp_path, monkeypatch):
    """Every daily build gives dbt another first day to rebuild (SAFECITY_REPROCESS_SINCE).
    The tests of the days built read it when they run (macros/where_subquery.sql), not when
    dbt parses their YAML: a new day is no change to the project."""
    run_dbt(tmp_path, *dbt_parse_args())
    (tmp_path / "dbt_logs" / "dbt.log").unlink()

    monkeypatch.setenv("SAFECITY_REPROCESS_SINCE", "2026-10-05")
    run_dbt(tmp_path, *dbt_parse_args(), *DEBUG_LOG)

    log = _parse_log(tmp_path)
    assert "Partial parsing enabled, no changes found, skipping parsing" in log, log[-2000:]
