"""The warehouse table contracts and the feed contracts are parsed once per process while their
folder is unchanged (the code location, the tables' vocabularies, a run's publishing and quality
steps once per department all ask for them), and again as soon as any file under the contracts
folder changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.lib.contracts import loader, tables
from pipelines.lib.contracts.loader import load_feed_contracts
from pipelines.lib.contracts.tables import load_table_contracts
from pipelines.lib.contracts.yaml_source import ContractError

REPOSITORY_CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


@pytest.fixture
def contracts(tmp_path: Path) -> Path:
    """A copy of the repository's contracts, to edit."""
    copy = tmp_path / "contracts"
    shutil.copytree(REPOSITORY_CONTRACTS, copy)
    return copy


def calls_of(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[tuple]:
    """The calls made to `module.name` from now on (their arguments), each still made."""
    calls: list[tuple] = []
    function = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *args: calls.append(args) or function(*args))
    return calls


def test_parsed_once_while_unchanged_and_again_after_any_change(
    contracts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = calls_of(monkeypatch, tables, "check_table_contracts")

    first = load_table_contracts(contracts)
    again = load_table_contracts(contracts)
    assert again == first and len(parsed) == 1
    again.pop("fct_event")  # a caller's copy: the next caller still gets every table
    assert "fct_event" in load_table_contracts(contracts) and len(parsed) == 1

    fct_event = contracts / "warehouse" / "fct_event.odcs.yaml"
    text = fct_event.read_text("utf-8")
    fct_event.write_text(
        text.replace(
            "description: 'Hash of the source record", "description: 'Hash of the record!!!", 1
        ),
        "utf-8",
    )
    changed = load_table_contracts(contracts)
    assert len(parsed) == 2
    (column,) = [
        c
        for c in changed["fct_event"].columns
        if (c.description or "").startswith("Hash of the record!!!")
    ]
    assert column.name in {c.name for c in first["fct_event"].columns}

    # A feed contract is part of the folder too (the tables' vocabularies come from the feeds).
    feed = next((contracts / "feeds").rglob("*.odcs.yaml"))
    feed.write_text(feed.read_text("utf-8") + "\n", "utf-8")
    load_table_contracts(contracts)
    assert len(parsed) == 3


def test_a_broken_contract_is_reported_every_time_not_remembered(contracts: Path) -> None:
    fct_event = contracts / "warehouse" / "fct_event.odcs.yaml"
    good = fct_event.read_text("utf-8")
    fct_event.write_text(good.replace("kind: DataContract", "kind: NotAContract"), "utf-8")
    for _ in range(2):
        with pytest.raises(ContractError):
            load_table_contracts(contracts)
    fct_event.write_text(good, "utf-8")
    assert "fct_event" in load_table_contracts(contracts)


def test_feed_contracts_parsed_once_while_unchanged(
    contracts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = calls_of(monkeypatch, loader, "load_contract")

    first = load_feed_contracts(contracts)
    load_table_contracts(contracts)  # the tables' vocabularies: the same parse
    assert load_feed_contracts(contracts) is first
    assert len(parsed) == len(first) > 10

    feed = contracts / "feeds" / "traffic_police" / "traffic_accidents.odcs.yaml"
    text = feed.read_text("utf-8")
    feed.write_text(text.replace("\nkind: DataContract", "\nkind: NotAContract", 1), "utf-8")
    broken = load_feed_contracts(contracts)
    assert ("traffic_police", "traffic_accidents") not in broken
    assert [i.feed for i in broken.invalid] == ["traffic_accidents"]
    assert len(parsed) == 2 * len(first)
