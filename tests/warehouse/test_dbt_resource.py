"""The warehouse's dbt resource and project load without starting dbt.

`WarehouseDbtResource` overrides two private methods of dagster-dbt's DbtCliResource
(pipelines/defs/warehouse/project.py). These tests fail when an upgrade of dagster-dbt renames
them or stops calling them from `cli`, so the override cannot silently stop working.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster_dbt import DbtCliResource, DbtProject

from pipelines.defs.warehouse import DBT_EXECUTABLE
from pipelines.defs.warehouse.project import (
    DBT_PROJECT,
    WarehouseDbtResource,
    prepare_if_changed,
)
from pipelines.lib.dbt_manifest_age import newest_project_change

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_dagster_dbt_still_calls_the_overridden_private_methods() -> None:
    # cli() starts `dbt --version` through `self._cli_version` and builds the in-process adapter
    # through `self._initialize_dbt_core_adapter(args)`: the two things the subclass replaces.
    source = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in source
    assert "self._initialize_dbt_core_adapter(args)" in source
    base_version = inspect.getattr_static(DbtCliResource, "_cli_version")
    assert "--version" in inspect.getsource(base_version.func)
    assert inspect.signature(DbtCliResource._initialize_dbt_core_adapter).parameters.keys() == {
        "self",
        "args",
    }
    # The adapter is what fetch_row_counts / fetch_column_metadata need: the assets use neither.
    pipelines = REPO_ROOT / "pipelines"
    for path in pipelines.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert ".fetch_row_counts(" not in text and ".fetch_column_metadata(" not in text, path


def test_the_pinned_version_is_the_one_dbt_reports() -> None:
    resource = WarehouseDbtResource(
        project_dir=DBT_PROJECT,
        profiles_dir=str(DBT_PROJECT.profiles_dir),
        dbt_executable=DBT_EXECUTABLE,
    )
    output = subprocess.run(
        [DBT_EXECUTABLE, "--version"], capture_output=True, text=True, check=True
    ).stdout
    reported = re.search(r"installed:\s*(\d+\.\d+\.\d+)", output)
    assert reported is not None, output
    assert str(resource._cli_version) == reported.group(1)
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def _copy_project(tmp_path: Path) -> Path:
    project = tmp_path / "dbt_project"
    project.mkdir()
    (project / "dbt_project.yml").write_text("name: tiny\nversion: '1'\nconfig-version: 2\n")
    (project / "models").mkdir()
    (project / "models" / "a.sql").write_text("select 1 as a\n")
    return project


def test_dev_parses_only_when_the_project_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_dir = _copy_project(tmp_path)
    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")  # what `dagster dev` sets for its processes
    project = DbtProject(project_dir=project_dir)
    parses: list[Path] = []

    def parse(self: object, prepared: DbtProject) -> None:  # dbt parse, as far as this test sees
        parses.append(Path(prepared.project_dir))
        _write_manifest(prepared)

    monkeypatch.setattr(type(project.preparer), "prepare", parse)

    prepare_if_changed(project)  # no manifest yet
    assert parses == [project_dir]
    prepare_if_changed(project)  # manifest newer than every file
    assert parses == [project_dir]

    later = time.time() + 5
    os.utime(project_dir / "models" / "a.sql", (later, later))  # a model edited
    prepare_if_changed(project)
    assert len(parses) == 2

    (project_dir / "logs").mkdir()  # what dbt writes does not count
    (project_dir / "logs" / "dbt.log").write_text("")
    for written in (project_dir / "logs", project_dir / "logs" / "dbt.log", project_dir):
        os.utime(written, (later + 3, later + 3))
    prepare_if_changed(project)
    assert len(parses) == 2

    (project_dir / "models" / "b.sql").write_text("select 2 as b\n")  # a model added
    os.utime(project_dir / "models", (later + 5, later + 5))
    os.utime(project_dir / "models" / "b.sql", (later + 5, later + 5))
    prepare_if_changed(project)
    assert len(parses) == 3


def _write_manifest(project: DbtProject) -> None:
    project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
    project.manifest_path.write_text("{}")
    newest = newest_project_change(Path(project.project_dir))
    os.utime(project.manifest_path, (newest + 1, newest + 1))


def test_outside_dagster_dev_nothing_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_dir = _copy_project(tmp_path)
    monkeypatch.delenv("DAGSTER_IS_DEV_CLI", raising=False)
    project = DbtProject(project_dir=project_dir)
    parses: list[Path] = []
    monkeypatch.setattr(type(project.preparer), "prepare", lambda self, p: parses.append(p))
    prepare_if_changed(project)
    assert parses == []


def test_the_code_location_loads_under_dagster_dev_without_dbt(tmp_path: Path) -> None:
    """Importing the definitions as `dagster dev`'s processes do starts no dbt process when the
    manifest is current (a `dbt` on PATH that fails shows any attempt)."""
    assert DBT_PROJECT.manifest_path.stat().st_mtime >= newest_project_change(
        Path(DBT_PROJECT.project_dir)
    ), "the dbt manifest is older than the dbt project: run `make install` (dbt parse)"
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake = fake_bin / "dbt"
    fake.write_text("#!/bin/sh\necho 'dbt started' >&2\nexit 3\n")
    fake.chmod(0o755)
    env = {
        **os.environ,
        "DAGSTER_IS_DEV_CLI": "1",
        "PATH": os.pathsep.join([str(fake_bin), os.environ.get("PATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import pipelines.definitions"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "dbt started" not in result.stderr
