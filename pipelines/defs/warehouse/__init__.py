"""Warehouse stage: the dbt project's models and tests, the analytics copy, and the dbt docs site."""

import shutil
import sys
from pathlib import Path

import dagster as dg

from pipelines.defs.warehouse.assets import analytics_copy, dbt_entities_and_marts, dbt_mentions
from pipelines.defs.warehouse.docs import dbt_docs
from pipelines.defs.warehouse.project import DBT_PROJECT, WarehouseDbtResource

# The dbt installed beside this Python, so `.venv/bin/safecity run` works without the
# virtual environment on PATH.
DBT_EXECUTABLE = shutil.which("dbt", path=str(Path(sys.executable).parent)) or "dbt"

defs = dg.Definitions(
    assets=[dbt_mentions, dbt_entities_and_marts, analytics_copy, dbt_docs],
    resources={
        "dbt": WarehouseDbtResource(
            # A DbtProject is accepted (DbtCliResource's validator); the field is typed str.
            project_dir=DBT_PROJECT,  # type: ignore[arg-type]
            profiles_dir=str(DBT_PROJECT.profiles_dir),
            dbt_executable=DBT_EXECUTABLE,
        )
    },
)
