"""The warehouse's dbt docs site, published with the reports after each analytics copy.

`dbt docs generate --static --no-compile` on the profile's `docs` target, handed the warehouse
build's parse of the project (pipelines/lib/dbt_docs_generate.py): the catalog (column types)
comes from the analytics copy, opened read-only, so this step never touches the live warehouse
file and needs no turn in the `warehouse` pool. No compiled SQL goes into the site (it would carry
whatever the models render from the environment): the manifest is the parser's, and the project
is not parsed again. The page is published offline-safe by `pipelines/lib/dbt_docs.py`. A run
that changed neither the dbt project, nor the code, nor the published columns keeps the site it
finds.
"""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.
import subprocess
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.defs import groups
from pipelines.defs.automation.conditions import REFRESH_AFTER_INGESTION
from pipelines.defs.warehouse.assets import analytics_copy, export_dbt_environment
from pipelines.lib import run_state
from pipelines.lib.dbt_docs import docs_inputs, publish_dbt_docs, site_made_from
from pipelines.lib.dbt_manifest_age import parsed_project
from pipelines.lib.resources import DataDirResource

_SHOWN_LINES = 20


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
        _generate(context, dbt, paths.dbt_target, paths.dbt_docs_target)
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


def _generate(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, build_target: Path, target: Path
) -> None:
    """dbt docs generate in a process of its own; its output goes to the run's log."""
    if parsed_project(build_target) != run_state.dbt_project_digest():
        # The docs describe the warehouse as built, from the build's parse: not a project edited since.
        raise dg.Failure(
            description="the dbt project changed after the warehouse was last built, or it never "
            "was: build it first (safecity run), then the docs"
        )
    command = [sys.executable, "-m", "pipelines.lib.dbt_docs_generate", dbt.project_dir]
    command += [dbt.profiles_dir or dbt.project_dir, str(build_target), str(target)]
    result = subprocess.run(command, capture_output=True, text=True)
    lines = (result.stdout + result.stderr).strip().splitlines()
    for line in lines:
        context.log.debug(line)
    if result.returncode != 0:
        raise dg.Failure(
            description="dbt docs generate failed: "
            + " | ".join(lines[-_SHOWN_LINES:])
            + f" (the whole output is in the run's log; dbt's own in {target / 'dbt.log'})"
        )
