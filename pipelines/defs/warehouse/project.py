"""The dbt project, prepared once: its manifest is built by `make install` (dbt parse), not at import.

Under `dagster dev` (prepare_if_dev) the project is parsed again when one of its files is newer
than the manifest, so model edits show without a reinstall; otherwise loading the code location
starts no dbt process. `dagster dev` marks every process it starts (code server, run workers,
step processes) as one of its own, so parsing on every load cost a `dbt parse` per process.
"""

import importlib.metadata
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from pipelines.lib import settings
from pipelines.lib.dbt_args import dbt_parse_args
from pipelines.lib.dbt_manifest_age import manifest_is_current


def dbt_project_dir() -> Path:
    """`$SAFECITY_DBT_PROJECT_DIR`, else `dbt_project/` in the working directory (the repository root)."""
    return settings.dbt_project_dir()


def prepare_if_changed(project: DbtProject) -> None:
    """`project.prepare_if_dev()` (dbt deps and dbt parse, under `dagster dev` only), when the
    manifest is missing or older than a file of the project."""
    if manifest_is_current(project.manifest_path, Path(project.project_dir)):
        return
    project.prepare_if_dev()


class WarehouseDbtResource(DbtCliResource):
    """dagster-dbt's dbt resource without two costs of each `dbt` invocation, neither of which
    the warehouse assets use:

    - `dbt --version` (a whole dbt process, once per process) to learn dbt's version: the dbt
      run is this environment's (pipelines/defs/warehouse/__init__.py), so its version is the
      installed dbt-core's;
    - an in-process dbt adapter (imports dbt-core and loads its macros, every invocation), which
      dagster-dbt needs only for `fetch_row_counts` / `fetch_column_metadata`.

    Both override private methods of DbtCliResource (dagster-dbt 0.29):
    tests/warehouse/test_dbt_resource.py fails when an upgrade changes them.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


DBT_PROJECT = DbtProject(
    project_dir=dbt_project_dir(),
    profiles_dir=dbt_project_dir(),
    prepare_project_cli_args=dbt_parse_args(),
)
prepare_if_changed(DBT_PROJECT)
