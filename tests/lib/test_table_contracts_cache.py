"""The warehouse table contracts are parsed once per process while their folder is unchanged (a
run's publishing and quality steps ask for them once per department), and again as soon as any
file under the contracts folder changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.lib.contracts import tables
from pipelines.lib.contracts.tables import load_table_contracts
from pipelines.lib.contracts.yaml_source import ContractError

REPOSITORY_CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


def test_parsed_once_while_unchanged_and_again_after_any_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contracts = tmp_path / "contracts"
    shutil.copytree(REPOSITORY_CONTRACTS, contracts)
    parsed = []
    check = tables.check_table_contracts
    monkeypatch.setattr(tables, "check_table_contracts", lambda *a: parsed.append(a) or check(*a))

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


def test_a_broken_contract_is_reported_every_time_not_remembered(tmp_path: Path) -> None:
    contracts = tmp_path / "contracts"
    shutil.copytree(REPOSITORY_CONTRACTS, contracts)
    fct_event = contracts / "warehouse" / "fct_event.odcs.yaml"
    good = fct_event.read_text("utf-8")
    fct_event.write_text(good.replace("kind: DataContract", "kind: NotAContract"), "utf-8")
    for _ in range(2):
        with pytest.raises(ContractError):
            load_table_contracts(contracts)
    fct_event.write_text(good, "utf-8")
    assert "fct_event" in load_table_contracts(contracts)
