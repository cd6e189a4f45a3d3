"""The warehouse: one Dagster asset per dbt model, dbt tests as asset checks, then the analytics copy.

dbt runs in two steps, because the linkage stage (Python) sits between its models:
`dbt_mentions` builds every model that needs no linkage (staging, the mentions each linkage
kind reads, the configuration seeds), `dbt_entities_and_marts` everything that reads the
linkage clusters and what follows (resolution, dimensions, facts, bridges, marts). Each is
one `dbt build`: Dagster would otherwise split one multi-asset at every linkage asset, and
each extra step pays dbt's start-up and parse again.

Every step that writes warehouse.duckdb runs in the `warehouse` pool (size 1: one
writer, docs/architecture.md). After a successful build the analytics copy is published
atomically; analysts and notebooks open that, never the live file.
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.
import signal
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
    get_asset_key_for_model,
)

from pipelines.defs import groups
from pipelines.defs.automation.conditions import FRESHNESS, REFRESH_AFTER_INGESTION
from pipelines.defs.warehouse.project import DBT_PROJECT
from pipelines.lib import run_state, settings, warehouse_builds
from pipelines.lib.analytics import publish_analytics_copy, table_row_counts
from pipelines.lib.city_profile import city_profile
from pipelines.lib.dbt_args import (
    dbt_build_args,
    earliest_day_written_after,
    first_day_to_reprocess,
    wants_full_refresh,
)
from pipelines.lib.dbt_manifest_age import record_parsed_project
from pipelines.lib.preload import import_for_kinds
from pipelines.lib.resources import DataDirResource

WAREHOUSE_POOL = "warehouse"
# The dbt selection of the models that read what linkage wrote (the sources of
# models/intermediate/_linkage__sources.yml), and everything after them.
AFTER_LINKAGE = "source:linkage+"
# dbt's folders under models/ (and seeds/) -> the group of their assets.
_LAYER_GROUPS = {
    "config": groups.WAREHOUSE_CONFIG,
    "staging": groups.WAREHOUSE_STAGING,
    "intermediate": groups.WAREHOUSE_INTERMEDIATE,
    "warehouse": groups.WAREHOUSE,
    "marts": groups.MARTS,
}


class WarehouseTranslator(DagsterDbtTranslator):
    """Models grouped by layer (staging, intermediate, warehouse, marts), configuration seeds in
    their own group; sources map to the bronze assets. Owners come from the models' `meta.owner`
    (dbt_project.yml: the data platform team; a department's mart: the department's team)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            layer = dbt_resource_props["fqn"][1]
            return _LAYER_GROUPS.get(layer, f"warehouse_{layer}")
        return super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        owner = (dbt_resource_props.get("meta") or {}).get("owner")
        if owner:
            return [owner] if isinstance(owner, str) else list(owner)
        return super().get_owners(dbt_resource_props)

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
            description=dbt_test_description(manifest["nodes"][unique_id]),
            additional_deps=spec.additional_deps,
            blocking=spec.blocking,
            metadata=spec.metadata,
            automation_condition=spec.automation_condition,
        )


def dbt_test_description(test: Mapping[str, Any]) -> str:
    """A dbt test's description, or one made of what it tests: `dbt test not_null of column x in m`."""
    if test.get("description"):
        return test["description"]
    metadata = test.get("test_metadata") or {}
    what = metadata.get("name") or test["name"]
    column = test.get("column_name")
    model = (test.get("attached_node") or "").rsplit(".", 1)[-1]
    return " ".join(
        filter(
            None,
            [
                f"dbt test {what}",
                f"of column {column}" if column else "",
                f"in {model}" if model else "",
            ],
        )
    )


TRANSLATOR = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    exclude=AFTER_LINKAGE,
    pool=WAREHOUSE_POOL,
)
def dbt_mentions(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, data_dir: DataDirResource
) -> Iterator:
    """dbt before linkage: staging views, the mentions of every entity kind, configuration seeds."""
    yield from build_models(context, dbt, data_dir)


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    select=AFTER_LINKAGE,
    pool=WAREHOUSE_POOL,
)
def dbt_entities_and_marts(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, data_dir: DataDirResource
) -> Iterator:
    """dbt after linkage: resolved entities, dimensions, facts, bridges and the marts."""
    yield from build_models(context, dbt, data_dir)


DBT_MODELS = (dbt_mentions, dbt_entities_and_marts)


def model_key(model: str) -> dg.AssetKey:
    """The asset of a dbt model, whichever dbt step builds it (the key depends on the manifest
    and the translator only, which both steps share)."""
    key = get_asset_key_for_model([dbt_mentions], model)
    assert any(key in step.keys for step in DBT_MODELS), f"no dbt step builds {model}"
    return key


def build_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, data_dir: DataDirResource
) -> Iterator:
    paths = data_dir.paths
    export_dbt_environment(paths.root)
    step = context.op_def.name
    started = time.time()
    full_refresh = wants_full_refresh(context.run.tags)
    since = first_day_to_reprocess(
        full_refresh=full_refresh,
        reprocess_since=earliest_day_written_after(
            paths.bronze.glob("*/*/date=*/*.parquet"), warehouse_builds.last_start(paths, step)
        ),
    )
    if since is None:
        settings.unset(settings.REPROCESS_SINCE)
    else:
        settings.export(settings.REPROCESS_SINCE, since)
    args = dbt_build_args(full_refresh=full_refresh, city=city_profile(paths.root))
    project = run_state.dbt_project_digest()
    try:
        invocation = dbt.cli(args, context=context, target_path=paths.dbt_target)
        _import_ahead_while_dbt_starts(context, invocation)
        yield from with_row_counts(invocation)
    finally:  # this build's alone: no later step or dbt process in this one inherits it
        settings.unset(settings.REPROCESS_SINCE)
    warehouse_builds.record_start(paths, step, started)
    # Its parse, kept in the target folder, is of this project: what the dbt docs are made from.
    record_parsed_project(paths.dbt_target, project)


def _import_ahead_while_dbt_starts(
    context: dg.AssetExecutionContext, invocation: DbtCliInvocation
) -> None:
    """Import what a later step of the run needs while dbt starts in its own process
    (pipelines/lib/preload.py). An interrupt (SIGINT, SIGTERM) that arrives meanwhile is
    forwarded to dbt as dagster-dbt forwards one while it reads dbt's output: dbt must not
    outlive the step."""
    try:
        for module, seconds in import_for_kinds(_kinds_in_run(context)):
            context.log.info(
                f"imported {module} for a later step while dbt started ({seconds:.1f} s)"
            )
    except BaseException:
        invocation.process.send_signal(signal.SIGINT)
        invocation.process.wait(timeout=invocation.termination_timeout_seconds)
        raise


def _kinds_in_run(context: dg.AssetExecutionContext) -> set[str]:
    layer = context.job_def.asset_layer
    keys = context.run.asset_selection or layer.executable_asset_keys
    return {kind for key in keys for kind in layer.asset_graph.get(key).kinds}


def with_row_counts(invocation: DbtCliInvocation) -> Iterator[Any]:
    """dbt's events as `stream()` gives them, each model's and seed's materialisation with
    `dagster/row_count`: the count its post-hook logged just before (macros/row_count.sql).
    DuckDB lets no other process open the warehouse while dbt writes it, so dbt counts."""
    counts: dict[str, int] = {}
    for raw in invocation.stream_raw_events():
        if (counted := logged_row_count(raw.raw_event)) is not None:
            counts[counted[0]] = counted[1]
            continue
        for event in raw.to_default_asset_events(
            manifest=invocation.manifest,
            dagster_dbt_translator=invocation.dagster_dbt_translator,
            context=invocation.context,
            target_path=invocation.target_path,
            project=invocation.project,
        ):
            built = _unique_id(event)
            if built in counts:
                event = event.with_metadata({**event.metadata, "dagster/row_count": counts[built]})
            yield event


ROW_COUNT_LOG = "safecity row_count "


def logged_row_count(raw_event: Mapping[str, Any]) -> tuple[str, int] | None:
    """(the node, its rows) from the line `log_row_count` logs; None for any other dbt event."""
    info = raw_event.get("info", {})
    message = info.get("msg", "")
    if info.get("name") != "JinjaLogInfo" or not message.startswith(ROW_COUNT_LOG):
        return None
    unique_id = raw_event.get("data", {}).get("node_info", {}).get("unique_id")
    return (unique_id, int(message.removeprefix(ROW_COUNT_LOG))) if unique_id else None


def export_dbt_environment(data_dir_root: Path) -> None:
    """dbt reads the data directory and the reference tables from the environment
    (profiles.yml, the sources): this run's, for every dbt process started after."""
    settings.export(settings.DATA_DIR, str(data_dir_root))
    settings.export(settings.REFERENCE_DIR, settings.reference_dir())


@dg.asset(
    deps=list(DBT_MODELS),
    group_name=groups.PUBLISH,
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


def _unique_id(event: Any) -> str | None:
    """The dbt node a model's (or seed's) materialisation is of; None for any other event."""
    if isinstance(event, dg.Output) and "unique_id" in event.metadata:
        return str(event.metadata["unique_id"].value)
    return None
