"""Every dbt model and seed says what a row is and states its grain in tests; every test says
what it checks (Dagster shows it on the asset check). Read from a fresh `dbt parse`, so a model
added without its YAML fails here, not in review."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.marts.dbt_harness import run_dbt

KEY_TESTS = {"unique", "primary_key", "unique_combination_of_columns"}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict[str, Any]:
    target = tmp_path_factory.mktemp("dbt_parse")
    run_dbt(target, "parse")
    return json.loads((target / "dbt_target" / "manifest.json").read_text(encoding="utf-8"))


def _nodes(manifest: dict[str, Any], *kinds: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in manifest["nodes"].items() if v["resource_type"] in kinds}


def _tests_by_node(manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    tests = defaultdict(list)
    for test in _nodes(manifest, "test").values():
        if test.get("attached_node"):
            tests[test["attached_node"]].append(test)
    return tests


def test_every_model_and_seed_is_described(manifest) -> None:
    nodes = _nodes(manifest, "model", "seed")
    assert len(nodes) == len(list(Path("dbt_project/models").rglob("*.sql"))) + len(
        list(Path("dbt_project/seeds").rglob("*.csv"))
    )
    undescribed = sorted(v["name"] for v in nodes.values() if not v["description"].strip())
    assert undescribed == []


def test_every_model_and_seed_states_its_grain_with_a_key_test(manifest) -> None:
    tests = _tests_by_node(manifest)
    unkeyed = sorted(
        node["name"]
        for unique_id, node in _nodes(manifest, "model", "seed").items()
        if not {t["test_metadata"]["name"] for t in tests[unique_id] if t.get("test_metadata")}
        & KEY_TESTS
    )
    assert unkeyed == []


def test_every_test_says_what_it_checks(manifest) -> None:
    undescribed = sorted(
        t["name"] for t in _nodes(manifest, "test").values() if not t["description"].strip()
    )
    assert undescribed == []


def test_every_tested_column_is_described(manifest) -> None:
    """A key, a foreign key, a vocabulary: whatever a test is about, a reader is told what it is."""
    nodes = _nodes(manifest, "model", "seed")
    missing = sorted(
        f"{nodes[t['attached_node']]['name']}.{t['column_name']}"
        for t in _nodes(manifest, "test").values()
        if t.get("column_name") and t.get("attached_node") in nodes
        if not nodes[t["attached_node"]]["columns"]
        .get(t["column_name"], {})
        .get("description", "")
        .strip()
    )
    assert missing == []
