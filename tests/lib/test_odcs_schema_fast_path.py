"""jsonschema-rs decides alone that a contract is valid (pipelines/lib/contracts/odcs_schema.py),
so it must never pass a document jsonschema rejects, nor reject one it passes: the two agree on
every contract of the repository, and on each of them with a misspelt key planted in every
mapping, or a value of the wrong type in place of every value (three contracts, every node)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipelines.lib.contracts.odcs_schema import _odcs_validator, is_valid_odcs

CONTRACTS = sorted(
    [
        *Path("contracts/feeds").glob("*/*.odcs.yaml"),
        *Path("contracts/warehouse").glob("*.odcs.yaml"),
    ]
)
# A feed with a mapping and quality rules, the largest feed, a warehouse table.
MUTATED = [
    Path("contracts/feeds/market_regulation/food_inspections.odcs.yaml"),
    Path("contracts/feeds/health/ambulance_dispatches.odcs.yaml"),
    Path("contracts/warehouse/fct_event.odcs.yaml"),
]


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _jsonschema_verdict(document: Any) -> bool:
    return not any(True for _ in _odcs_validator().iter_errors(document))


def _paths(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    yield path, node
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in children:
        yield from _paths(child, (*path, key))


def _at(document: Any, path: tuple) -> Any:
    for key in path:
        document = document[key]
    return document


def _mutations(document: Any) -> Iterator[tuple[str, Any]]:
    for path, node in list(_paths(document)):
        if isinstance(node, dict):
            mutated = copy.deepcopy(document)
            _at(mutated, path)["descripton"] = "a misspelt key"
            yield f"misspelt key under {path}", mutated
        if path:
            mutated = copy.deepcopy(document)
            wrong = 7 if isinstance(node, str) else "seven"
            _at(mutated, path[:-1])[path[-1]] = wrong
            yield f"{wrong!r} at {path}", mutated


def test_every_contract_of_the_repository_is_valid_to_both() -> None:
    assert len(CONTRACTS) >= 50
    verdicts = {str(p): (is_valid_odcs(_load(p)), _jsonschema_verdict(_load(p))) for p in CONTRACTS}
    assert {name: v for name, v in verdicts.items() if v != (True, True)} == {}


@pytest.mark.parametrize("path", MUTATED, ids=lambda p: p.stem)
def test_both_give_the_same_verdict_on_every_planted_mistake(path: Path) -> None:
    mutations = list(_mutations(_load(path)))
    disagreements = [
        (what, fast)
        for what, mutated in mutations
        if (fast := is_valid_odcs(mutated)) != _jsonschema_verdict(mutated)
    ]
    rejected = sum(1 for _, mutated in mutations if not is_valid_odcs(mutated))
    assert disagreements == []
    # Most planted mistakes are rejected, so the agreement is about mistakes, not valid documents.
    assert rejected > len(mutations) / 2


def test_a_yaml_date_falls_back_to_jsonschema() -> None:
    """A YAML date has no JSON type: the fast path declines, and jsonschema reports it."""
    document = _load(CONTRACTS[0])
    document["version"] = yaml.safe_load("2026-12-07")
    assert not is_valid_odcs(document)
    assert not _jsonschema_verdict(document)
