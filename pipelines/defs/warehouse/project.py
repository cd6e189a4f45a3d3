"""The dbt project, prepared once: its manifest is built by `make install` (dbt parse), not at import.

`dagster dev` re-parses it on load (prepare_if_dev), so model edits show without a reinstall.
"""

import os
from pathlib import Path

from dagster_dbt import DbtProject


def dbt_project_dir() -> Path:
    """`$SAFECITY_DBT_PROJECT_DIR`, else `dbt_project/` in the working directory (the repository root)."""
    return Path(os.environ.get("SAFECITY_DBT_PROJECT_DIR", "dbt_project")).absolute()


DBT_PROJECT = DbtProject(project_dir=dbt_project_dir(), profiles_dir=dbt_project_dir())
DBT_PROJECT.prepare_if_dev()
