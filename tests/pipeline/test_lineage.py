"""The asset graph reads as the pipeline does: groups that follow the flow, labels that say what
a node is, a description on every asset and check, owners and row counts on the dbt models,
and dbt in two named steps around one linkage step."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.definitions import defs
from pipelines.defs import groups
from pipelines.defs.feeds import DEPARTMENTS, FEED_CONTRACTS
from pipelines.defs.ingest.assets import bronze_key, landing_key
from pipelines.defs.linkage.assets import link_entities
from pipelines.defs.publish.assets import PUBLISH_GROUP, extract_key
from pipelines.defs.warehouse.assets import (
    DBT_MODELS,
    dbt_entities_and_marts,
    dbt_mentions,
    dbt_test_description,
    logged_row_count,
)
from pipelines.defs.warehouse.project import DBT_PROJECT
from pipelines.lib.dagster_home import DAGSTER_HOME_DIRNAME
from pipelines.lib.entity_kinds import ENTITY_KINDS

GRAPH = defs.resolve_asset_graph()
KEYS = GRAPH.get_all_asset_keys()
DBT_KEYS = {key for step in DBT_MODELS for key in step.keys}
OWNER = re.compile(r"^(team:\w+|[^@\s]+@[^@\s]+\.\w+)$")


def _label(key: dg.AssetKey) -> str:
    return key.path[-1]


def test_landing_and_bronze_nodes_are_labelled_apart() -> None:
    for contract in FEED_CONTRACTS.values():
        assert _label(landing_key(contract)) == f"{contract.feed}_deliveries"
        assert bronze_key(contract).path == ["bronze", contract.department, contract.feed]
    landing = {_label(k) for k in KEYS if GRAPH.get(k).group_name == groups.LANDING}
    elsewhere = {_label(k) for k in KEYS if GRAPH.get(k).group_name != groups.LANDING}
    # A feed several departments deliver under one name (handling_feedback) is one label.
    feeds = {contract.feed for contract in FEED_CONTRACTS.values()}
    assert len(landing) == len(feeds) + 1  # and the landing inventory
    assert not landing & elsewhere


def test_no_two_assets_of_a_group_share_a_label() -> None:
    labels: dict[tuple[str | None, str], list[str]] = defaultdict(list)
    for key in KEYS:
        labels[(GRAPH.get(key).group_name, _label(key))].append(key.to_user_string())
    # Except the deliveries of a feed several departments deliver under one name, by design one
    # feed in the shared picture (int_shared__<feed>): their keys still name the department.
    shared = {
        f"{feed}_deliveries"
        for feed, count in Counter(c.feed for c in FEED_CONTRACTS.values()).items()
        if count > 1
    }
    assert shared  # handling_feedback at least
    assert [
        keys
        for (group, label), keys in labels.items()
        if len(keys) > 1 and not (group == groups.LANDING and label in shared)
    ] == []


def test_groups_follow_the_flow() -> None:
    names = {GRAPH.get(key).group_name for key in KEYS}
    assert names == set(groups.STAGE_GROUPS) | set(DEPARTMENTS)
    for contract in FEED_CONTRACTS.values():
        assert GRAPH.get(bronze_key(contract)).group_name == contract.department
    # marts -> analytics copy -> extracts reads in the group view: the copy is published.
    assert PUBLISH_GROUP == groups.PUBLISH
    assert GRAPH.get(dg.AssetKey("analytics_copy")).group_name == PUBLISH_GROUP
    for department in DEPARTMENTS:
        assert GRAPH.get(extract_key(department)).group_name == PUBLISH_GROUP
    # The one map is drawn from the analytics copy, once it is published.
    assert GRAPH.get(dg.AssetKey("one_map")).group_name == PUBLISH_GROUP
    assert dg.AssetKey("analytics_copy") in GRAPH.get(dg.AssetKey("one_map")).parent_keys
    assert {GRAPH.get(key).group_name for key in link_entities.keys} == {groups.LINKAGE}


def test_every_asset_and_check_has_a_description() -> None:
    assert [k.to_user_string() for k in KEYS if not (GRAPH.get(k).description or "").strip()] == []
    specs = [spec for assets_def in GRAPH.assets_defs for spec in assets_def.check_specs]
    specs += [spec for checks_def in defs.asset_checks or [] for spec in checks_def.check_specs]
    assert {spec.key for spec in specs} == set(GRAPH.asset_check_keys)
    assert [s.key.to_user_string() for s in specs if not (s.description or "").strip()] == []


def test_every_dbt_model_has_an_owner() -> None:
    assert DBT_KEYS
    owners = {key: GRAPH.get(key).owners for key in DBT_KEYS}
    assert [key.to_user_string() for key, names in owners.items() if not names] == []
    assert {name for names in owners.values() for name in names if not OWNER.match(name)} == set()
    # A department's mart is its department's (dbt_project/models/marts/_marts.yml).
    assert owners[dg.AssetKey(["main", "fire_response_times"])] == ["team:fire_rescue"]


def test_a_dbt_test_without_a_description_is_described_by_what_it_tests() -> None:
    test = {
        "name": "not_null_fct_event_event_key",
        "test_metadata": {"name": "not_null"},
        "column_name": "event_key",
        "attached_node": "model.safecity.fct_event",
    }
    assert dbt_test_description(test) == "dbt test not_null of column event_key in fct_event"
    assert dbt_test_description({**test, "description": "Every event has a key."}) == (
        "Every event has a key."
    )


def test_dbt_runs_in_two_named_steps_around_one_linkage_step() -> None:
    steps = {
        assets_def.node_def.name for assets_def in GRAPH.assets_defs if assets_def.keys & DBT_KEYS
    }
    assert steps == {"dbt_mentions", "dbt_entities_and_marts"}
    assert link_entities.node_def.name == "link_entities"
    assert link_entities.keys == {dg.AssetKey(["linkage", f"{kind}s"]) for kind in ENTITY_KINDS}
    # Linkage reads only what the first step builds; the second reads linkage.
    linkage_parents = {p for key in link_entities.keys for p in GRAPH.get(key).parent_keys}
    assert linkage_parents - link_entities.keys <= dbt_mentions.keys
    assert not any(
        GRAPH.get_ancestor_asset_keys(key) & link_entities.keys for key in dbt_mentions.keys
    )
    assert all(
        GRAPH.get_ancestor_asset_keys(key) & link_entities.keys
        for key in dbt_entities_and_marts.keys
    )


def test_the_row_count_a_model_s_post_hook_logs_is_read_from_dbt_s_events() -> None:
    logged = {
        "info": {"name": "JinjaLogInfo", "msg": "safecity row_count 1234"},
        "data": {"node_info": {"unique_id": "model.safecity.fct_event"}},
    }
    assert logged_row_count(logged) == ("model.safecity.fct_event", 1234)
    assert logged_row_count({**logged, "info": {"name": "JinjaLogInfo", "msg": "hello"}}) is None
    assert logged_row_count({**logged, "info": {"name": "LogModelResult", "msg": "OK"}}) is None
    # Every model and seed runs the hook (dbt_project.yml).
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))["nodes"]
    built = [n for n in manifest.values() if n["resource_type"] in ("model", "seed")]
    assert built and all(
        any("log_row_count()" in hook["sql"] for hook in n["config"]["post-hook"]) for n in built
    )


def test_every_dbt_model_materialised_carries_its_row_count(built_city: Path) -> None:
    with dg.DagsterInstance.from_config(str(built_city / DAGSTER_HOME_DIRNAME)) as instance:
        figures = {}
        for key in DBT_KEYS:
            event = instance.get_latest_materialization_event(key)
            assert event is not None and event.asset_materialization is not None, key
            metadata = event.asset_materialization.metadata
            figures[key] = (metadata["unique_id"].value, metadata["dagster/row_count"].value)
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))["nodes"]
    with duckdb.connect(str(built_city / "warehouse.duckdb"), read_only=True) as connection:
        for key, (unique_id, rows) in figures.items():
            node = manifest[unique_id]
            [(count,)] = connection.execute(
                f'select count(*) from "{node["schema"]}"."{node["alias"]}"'
            ).fetchall()
            assert rows == count, key
