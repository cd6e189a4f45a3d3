"""The dbt docs site the tiny city's run publishes: every model in it, nothing fetched from the
network, made without writing the warehouse."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.definitions import defs
from pipelines.defs.warehouse import defs as warehouse_defs
from pipelines.defs.warehouse.docs import dbt_docs
from pipelines.lib import run_state
from pipelines.lib.dbt_docs import external_fetches
from pipelines.lib.dbt_manifest_age import PARSED_PROJECT, parsed_project
from pipelines.lib.resources import DATA_DIR_RESOURCE_KEY, DataDirResource

MODELS = {p.stem for p in Path("dbt_project/models").rglob("*.sql")}


def test_docs_are_published_after_the_analytics_copy() -> None:
    graph = defs.resolve_asset_graph()
    assert (
        dg.AssetKey("analytics_copy") in graph.get(dg.AssetKey(["reports", "dbt_docs"])).parent_keys
    )


def test_the_docs_site_lists_every_model_and_fetches_nothing(built_city) -> None:
    site = built_city / "reports" / "dbt_docs"
    page = (site / "static_index.html").read_text(encoding="utf-8")
    # The page is self-contained: the manifest is inside it, every model with its description.
    assert all(f'"model.safecity.{model}"' in page for model in MODELS)
    assert '"MANIFEST.JSON INLINE DATA"' not in page and '"CATALOG.JSON INLINE DATA"' not in page
    assert external_fetches(page) == []
    assert "cloudfront.net" not in page

    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert set(models) == MODELS
    assert all(model["description"] for model in models.values())
    # Parsed, never compiled: no SQL rendered from the environment is published, not even of the
    # models and tests the last dbt build ran.
    assert not any(
        "compiled" in node or "compiled_code" in node for node in manifest["nodes"].values()
    )
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False
    # The build's parse, handed to dbt docs generate: the project was not parsed again for the docs.
    built = json.loads((built_city / "dbt_target" / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["nodes"]) == set(built["nodes"])
    assert not (built_city / "dbt_target" / "docs" / "partial_parse.msgpack").exists()


def test_the_catalog_describes_every_published_table_from_the_analytics_copy(built_city) -> None:
    catalog = json.loads(
        (built_city / "reports" / "dbt_docs" / "catalog.json").read_text(encoding="utf-8")
    )
    with duckdb.connect(str(built_city / "analytics.duckdb"), read_only=True) as analytics:
        published = {
            name
            for (name,) in analytics.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }
    catalogued = {node["metadata"]["name"] for node in catalog["nodes"].values()}
    assert catalogued == published
    fct_event = next(n for n in catalog["nodes"].values() if n["metadata"]["name"] == "fct_event")
    assert fct_event["columns"]["event_key"]["type"] == "VARCHAR"


def test_making_the_docs_leaves_the_warehouse_file_alone(built_city) -> None:
    warehouse = (built_city / "warehouse.duckdb").stat().st_mtime
    analytics = (built_city / "analytics.duckdb").stat().st_mtime
    docs = (built_city / "reports" / "dbt_docs" / "static_index.html").stat().st_mtime
    assert warehouse <= analytics <= docs


def test_docs_are_made_only_from_a_parse_of_the_project_as_it_is(built_city, tmp_path) -> None:
    # The build recorded which project it parsed: this one.
    assert parsed_project(built_city / "dbt_target") == run_state.dbt_project_digest()

    city = tmp_path / "city"  # the built warehouse's parse and copy, without its docs
    shutil.copytree(built_city / "dbt_target", city / "dbt_target")
    shutil.copy2(built_city / "analytics.duckdb", city / "analytics.duckdb")
    (city / "dbt_target" / PARSED_PROJECT).write_text("a project edited since", encoding="utf-8")
    result = dg.materialize(
        [dbt_docs],
        resources={
            DATA_DIR_RESOURCE_KEY: DataDirResource(root=str(city)),
            "dbt": warehouse_defs.resources["dbt"],
        },
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    assert "dbt project changed after the warehouse was last built" in str(
        failure.step_failure_data.error
    )
    assert not (city / "reports" / "dbt_docs").exists()
