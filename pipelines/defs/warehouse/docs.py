"""The warehouse's dbt docs site, published with the reports after each analytics copy.

`dbt parse`, then `dbt docs generate --static --no-compile`, on the profile's `docs` target: the
catalog (column types) comes from the analytics copy, opened read-only, so this step never
touches the live warehouse file and needs no turn in the `warehouse` pool. No compiled SQL goes
into the site (it would carry whatever the models render from the environment): the manifest
is the parser's, which `--no-compile` reads from the target folder instead of writing its own.
The page is published offline-safe by `pipelines/lib/dbt_docs.py`. A run that changed neither
the dbt project, nor the code, nor the published columns keeps the site it finds (a daily run
saves dbt's two processes, some 5 to 8 seconds).
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.
import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.defs import groups
from pipelines.defs.automation.conditions import REFRESH_AFTER_INGESTION
from pipelines.defs.warehouse.assets import analytics_copy, export_dbt_environment
from pipelines.lib.dbt_docs import docs_inputs, publish_dbt_docs, site_made_from
from pipelines.lib.resources import DataDirResource

DOCS_TARGET = "docs"
DBT_PARSE_ARGS = ["parse", "--target", DOCS_TARGET]
DBT_DOCS_ARGS = ["docs", "generate", "--static", "--no-compile", "--target", DOCS_TARGET]


@dg.asset(
    key=["reports", "dbt_docs"],
    deps=[analytics_copy],
    group_name=groups.PUBLISH,
    kinds={"dbt", "html"},
    automation_condition=REFRESH_AFTER_INGESTION,
    description=(
        "The warehouse's dbt docs site: every model, seed and test with its description, columns "
        "and lineage, one self-contained page that works offline (reports/dbt_docs/static_index.html)."
    ),
)
def dbt_docs(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, data_dir: DataDirResource
) -> dg.MaterializeResult:
    paths = data_dir.paths
    inputs = docs_inputs(paths.analytics)
    site = site_made_from(paths.dbt_docs, inputs)
    regenerated = site is None
    if site is None:
        export_dbt_environment(paths.root)
        for args in (DBT_PARSE_ARGS, DBT_DOCS_ARGS):
            dbt.cli(args, target_path=paths.dbt_docs_target).wait()
        site = publish_dbt_docs(paths.dbt_docs_target, paths.dbt_docs, inputs)
    context.log.info(
        f"dbt docs: {site.models} models, {site.catalogued} tables catalogued, in {site.page}"
        + ("" if regenerated else " (kept: dbt project, code and published columns unchanged)")
    )
    return dg.MaterializeResult(
        metadata={
            "page": dg.MetadataValue.path(str(site.page)),
            "page_url": dg.MetadataValue.url(site.page.as_uri()),
            "models": site.models,
            "regenerated": regenerated,
            "catalogued_tables": site.catalogued,
            "remote_loaders_removed": ", ".join(site.removed_loaders) or "none",
        }
    )
