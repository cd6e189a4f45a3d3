"""Run some of the project's dbt models on crafted parent tables: the real SQL and the real
reference tables, on inputs chosen to sit exactly on a standard's boundaries."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import duckdb

from pipelines.lib.city_profile import city_profile
from pipelines.lib.dbt_args import dbt_vars_args

DBT_PROJECT = Path("dbt_project").resolve()


def config_seed(name: str) -> str:
    """A parent table's SELECT of one of the project's config seeds (`seeds/config/NAME.csv`),
    the reference table a model reads."""
    return f"SELECT * FROM read_csv('{DBT_PROJECT / 'seeds' / 'config' / name}.csv', header = true)"


def build_models(
    data_dir: Path, parents: dict[str, str], select: list[str], project: Path = DBT_PROJECT
) -> duckdb.DuckDBPyConnection:
    """Create each parent relation (schema.table -> SELECT) in a fresh warehouse, run `select`, open it read-only."""
    data_dir.mkdir(parents=True, exist_ok=True)
    warehouse = data_dir / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        for relation, query in parents.items():
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {relation.split('.')[0]}")
            connection.execute(f"CREATE TABLE {relation} AS {query}")
    run_models(data_dir, select, project=project)
    return duckdb.connect(str(warehouse), read_only=True)


def run_models(
    data_dir: Path, select: list[str], *options: str, project: Path = DBT_PROJECT
) -> None:
    """`dbt run --select SELECT OPTIONS` with the city's vars, as every run passes them
    (contracts/city.yaml here)."""
    run_dbt(
        data_dir,
        "run",
        "--select",
        *select,
        *options,
        *dbt_vars_args(city_profile(data_dir)),
        project=project,
    )


def run_dbt(data_dir: Path, command: str, *options: str, project: Path = DBT_PROJECT) -> None:
    """`dbt COMMAND OPTIONS` on the project (see `dbt_process`), which must succeed."""
    result = dbt_process(data_dir, command, *options, project=project)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def dbt_process(
    data_dir: Path, command: str, *options: str, project: Path = DBT_PROJECT
) -> subprocess.CompletedProcess[str]:
    """`dbt COMMAND OPTIONS` on the project (or a copy of it: `project`), for the data directory
    `data_dir` (target and logs in it).

    The target starts from the project's partial-parse state, as dagster-dbt starts a run's:
    with the vars `make install` parsed with, dbt parses only what changed since.
    """
    target = data_dir / "dbt_target"
    installed = DBT_PROJECT / "target" / "partial_parse.msgpack"
    if installed.is_file() and not (target / installed.name).exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(installed, target / installed.name)
    env = {
        **os.environ,
        "SAFECITY_DATA_DIR": str(data_dir),
        "SAFECITY_REFERENCE_DIR": str(files("pipelines.reference")),
        "DO_NOT_TRACK": "1",
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "dbt.cli.main",
            command,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(target),
            "--log-path",
            str(data_dir / "dbt_logs"),
            *options,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
