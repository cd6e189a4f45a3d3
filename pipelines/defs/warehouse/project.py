"""The dbt project, prepared once: its manifest is built by `make install` (dbt parse), not at import.

`dagster dev` re-parses it on load (prepare_if_dev), so model edits show without a reinstall.
"""

from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.lib import settings


def dbt_project_dir() -> Path:
    """`$SAFECITY_DBT_PROJECT_DIR`, else `dbt_project/` in the working directory (the repository root)."""
    return settings.dbt_project_dir()


DBT_PROJECT = DbtProject(project_dir=dbt_project_dir(), profiles_dir=dbt_project_dir())
DBT_PROJECT.prepare_if_dev()
