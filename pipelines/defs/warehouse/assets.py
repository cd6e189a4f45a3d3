"""The warehouse: one Dagster asset per dbt model, dbt tests as asset checks, then the analytics copy.

Every step that writes warehouse.duckdb runs in the `warehouse` pool (size 1: one
writer, docs/architecture.md). After a successful build the analytics copy is published
atomically; analysts and notebooks open that, never the live file.
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.
from collections.abc import Iterator, Mapping
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from pipelines.defs.automation.conditions import FRESHNESS, REFRESH_AFTER_INGESTION
from pipelines.defs.warehouse.project import DBT_PROJECT
from pipelines.lib import settings
from pipelines.lib.analytics import publish_analytics_copy, table_row_counts
from pipelines.lib.city_profile import city_profile
from pipelines.lib.dbt_args import (
    dbt_build_args,
    earliest_day_written_after,
    wants_full_refresh,
)
from pipelines.lib.resources import DataDirResource

WAREHOUSE_POOL = "warehouse"


class WarehouseTranslator(DagsterDbtTranslator):
    """Models grouped by layer (staging, intermediate, warehouse, marts), configuration seeds in
    their own group; sources map to the bronze assets."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            layer = dbt_resource_props["fqn"][1]
            return layer if layer in ("warehouse", "marts", "config") else f"warehouse_{layer}"
        return super().get_group_name(dbt_resource_props)

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition | None:
        # Every model is refreshed after an ingestion (pipelines/defs/automation/conditions.py); a model
        # without dependencies (seeds, reference and contract tables) never fires.
        return REFRESH_AFTER_INGESTION

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        # dagster-dbt describes a check by the test's `meta.description`; the project writes dbt's
        # own `description` on every test (the YAML, and the generated warehouse contracts).
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return dg.AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=manifest["nodes"][unique_id].get("description") or None,
            additional_deps=spec.additional_deps,
            blocking=spec.blocking,
            metadata=spec.metadata,
            automation_condition=spec.automation_condition,
        )


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=WarehouseTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
    ),
    pool=WAREHOUSE_POOL,
)
def warehouse_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, data_dir: DataDirResource
) -> Iterator:
    paths = data_dir.paths
    export_dbt_environment(paths.root)
    built_at = paths.warehouse.stat().st_mtime if paths.warehouse.exists() else None
    args = dbt_build_args(
        full_refresh=wants_full_refresh(context.run.tags),
        reprocess_since=earliest_day_written_after(
            paths.bronze.glob("*/*/date=*/*.parquet"), built_at
        ),
        city=city_profile(paths.root),
    )
    yield from dbt.cli(args, context=context, target_path=paths.dbt_target).stream()


def export_dbt_environment(data_dir_root: Path) -> None:
    """dbt reads the data directory and the reference tables from the environment
    (profiles.yml, the sources): this run's, for every dbt process started after."""
    settings.export(settings.DATA_DIR, str(data_dir_root))
    if not settings.is_set(settings.REFERENCE_DIR):
        settings.export(settings.REFERENCE_DIR, str(reference_dir()))


def reference_dir() -> Traversable:
    from importlib.resources import files

    return files("pipelines.reference")


@dg.asset(
    deps=[warehouse_models],
    group_name="warehouse",
    pool=WAREHOUSE_POOL,
    kinds={"duckdb"},
    automation_condition=REFRESH_AFTER_INGESTION,
    freshness_policy=FRESHNESS,
    description="The read-only copy analysts and notebooks open (analytics.duckdb), published atomically after each good build.",
)
def analytics_copy(
    context: dg.AssetExecutionContext, data_dir: DataDirResource
) -> dg.MaterializeResult:
    paths = data_dir.paths
    publish_analytics_copy(paths.warehouse, paths.analytics)
    counts = table_row_counts(paths.analytics)
    context.log.info(
        "published " + ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(paths.analytics)),
            "tables": len(counts),
            **{f"rows/{table}": rows for table, rows in counts.items()},
        }
    )
