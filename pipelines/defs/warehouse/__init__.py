"""Warehouse stage: the dbt project's models and tests, and the analytics copy."""

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.defs.warehouse.assets import analytics_copy, warehouse_models
from pipelines.defs.warehouse.project import DBT_PROJECT

defs = dg.Definitions(
    assets=[warehouse_models, analytics_copy],
    resources={"dbt": DbtCliResource(project_dir=DBT_PROJECT, profiles_dir=str(DBT_PROJECT.profiles_dir))},
)
