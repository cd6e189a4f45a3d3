"""An incremental model is built again in full when its code changed since its table was built
(macros/incremental.sql, `model_code_comment`): its own SQL, the models it selects from, and the
project's macros it calls, also through another macro; not when an unrelated macro changed.

On a copy of the dbt project, with int_subject_events (built by event) on crafted parents:
an event's rows are marked after the first build, and a build that keeps them was incremental.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from tests.marts.dbt_harness import DBT_PROJECT, build_models, run_models
from tests.marts.test_subject_events import MODELS, _parents

MODEL = "intermediate.int_subject_events"


def _copy_project(tmp_path: Path) -> Path:
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT, project, ignore=shutil.ignore_patterns("target", "logs"))
    return project


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _mark_rows(data_dir: Path) -> None:
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as connection:
        connection.execute(f"update {MODEL} set relation = 'kept' where event_key = 'E7'")


def _marked_rows(data_dir: Path) -> int:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        row = connection.execute(f"select count(*) from {MODEL} where relation = 'kept'").fetchone()
    assert row is not None
    return int(row[0])


def test_a_changed_macro_the_model_calls_builds_it_again_in_full(tmp_path):
    project = _copy_project(tmp_path)
    data_dir = tmp_path / "data"
    build_models(data_dir, _parents(), MODELS, project=project).close()
    _mark_rows(data_dir)
    assert _marked_rows(data_dir) > 0

    # A macro the model never calls: the next build is incremental, the marked rows stay.
    _edit(project / "macros" / "normalised_identifiers.sql", "-%}", "-%}{#- edited -#}")
    run_models(data_dir, MODELS, project=project)
    assert _marked_rows(data_dir) > 0

    # cell_x, called by pairs_within, which the model calls: built in full, the marks gone.
    cell_x = "{% macro cell_x(longitude, metres) -%}"
    _edit(project / "macros" / "distance.sql", cell_x, cell_x + "{#- edited -#}")
    run_models(data_dir, MODELS, project=project)
    assert _marked_rows(data_dir) == 0

    # A model it selects from, whose SQL changed.
    _mark_rows(data_dir)
    inputs = project / "models" / "intermediate" / "int_subject_event_inputs.sql"
    inputs.write_text(inputs.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    run_models(data_dir, MODELS, project=project)
    assert _marked_rows(data_dir) == 0
