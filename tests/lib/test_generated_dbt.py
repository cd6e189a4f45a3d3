"""The dbt files generated from the feed contracts: current in the repository, and complete for a
feed the code has never seen. Rendered in memory, so no dbt run is needed."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import jinja2
import pytest
import yaml

from pipelines.lib.contracts import load_feed_contracts
from pipelines.lib.contracts.dbt_sources import GENERATED, main, render
from pipelines.lib.contracts.loader import shared_vocabulary

REPO_ROOT = Path(__file__).resolve().parents[2]
REPO_CONTRACTS = REPO_ROOT / "contracts"


def _sources(text: str) -> dict[str, dict]:
    return {source["name"]: source for source in yaml.safe_load(text)["sources"]}


def test_the_checked_in_dbt_sources_are_current() -> None:
    contracts = load_feed_contracts(REPO_CONTRACTS)
    assert contracts.problems == ()
    expected = render(contracts, shared_vocabulary(REPO_CONTRACTS))
    assert (REPO_ROOT / GENERATED).read_text(encoding="utf-8") == expected, (
        "stale: run `uv run python -m pipelines.lib.contracts.dbt_sources`"
    )


def test_every_valid_feed_is_a_source_table_of_its_department() -> None:
    contracts = load_feed_contracts(REPO_CONTRACTS)
    sources = _sources(render(contracts, shared_vocabulary(REPO_CONTRACTS)))
    tables = {(d, t["name"]) for d, s in sources.items() for t in s["tables"]}
    assert tables == set(contracts)
    for department, source in sources.items():
        assert f"/bronze/{department}/{{name}}/*/*.parquet'" in source["meta"]["external_location"]
        for table in source["tables"]:
            contract = contracts[(department, table["name"])]
            assert table["description"] == contract.description
            assert table["meta"]["dagster"]["asset_key"] == ["bronze", department, table["name"]]


def _new_department(contracts: Path) -> None:
    """A feed of a department neither the code nor the vocabulary knows: market regulation's
    sampling contract, renamed."""
    text = (contracts / "feeds/market_regulation/food_sampling.odcs.yaml").read_text("utf-8")
    text = (
        text.replace("market_regulation", "urban_management")
        .replace("food_sampling", "case_reports")
        .replace("case_reports_failure", "food_sampling_failure")  # an event type it may name
    )
    (contracts / "feeds/urban_management").mkdir()
    (contracts / "feeds/urban_management/case_reports.odcs.yaml").write_text(text, "utf-8")


def test_a_new_feed_contract_gets_its_source_with_no_yaml_by_hand(tmp_path: Path) -> None:
    contracts_dir = tmp_path / "contracts"
    shutil.copytree(REPO_CONTRACTS, contracts_dir)
    _new_department(contracts_dir)
    contracts = load_feed_contracts(contracts_dir)
    assert contracts.problems == ()

    source = _sources(render(contracts, shared_vocabulary(contracts_dir)))["urban_management"]

    # Not in the vocabulary's display names: the department is named by its identifier only.
    assert source["description"] == (
        "Bronze feeds of urban management, held to contracts/feeds/urban_management/."
    )
    assert "/bronze/urban_management/{name}/" in source["meta"]["external_location"]
    assert source["tables"] == [
        {
            "name": "case_reports",
            "description": contracts[("urban_management", "case_reports")].description,
            "meta": {"dagster": {"asset_key": ["bronze", "urban_management", "case_reports"]}},
        }
    ]


@pytest.mark.parametrize(
    "words",
    ["Counts {{ 7 * 7 }} and {% if x %}", "Keys `{permit_no}` {# not a comment #}", "{{{"],
)
def test_a_contract_description_is_shown_as_written_never_run_by_dbt(words: str) -> None:
    contracts = load_feed_contracts(REPO_CONTRACTS)
    key = ("fire_rescue", "fire_incidents")
    changed = {key: dataclasses.replace(contracts[key], description=words)}
    table = _sources(render(changed, None))["fire_rescue"]["tables"][0]
    # dbt renders every description with Jinja before it is shown.
    assert jinja2.Environment().from_string(table["description"]).render() == words


def test_nothing_is_written_while_a_contract_is_invalid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A feed left out of the sources would break every dbt model that reads it."""
    contracts_dir = tmp_path / "contracts"
    shutil.copytree(REPO_CONTRACTS, contracts_dir)
    broken = contracts_dir / "feeds/fire_rescue/fire_incidents.odcs.yaml"
    broken.write_text(broken.read_text("utf-8").replace("version:", "versions:", 1), "utf-8")
    generated = tmp_path / GENERATED
    generated.parent.mkdir(parents=True)
    generated.write_text("as it was", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAFECITY_CONTRACTS_DIR", str(contracts_dir))

    with pytest.raises(SystemExit) as exited:
        main()

    assert exited.value.code == 1
    assert generated.read_text(encoding="utf-8") == "as it was"
    errors = capsys.readouterr().err
    assert "fire_incidents.odcs.yaml" in errors
    assert "safecity contract check" in errors


def test_main_writes_the_sources_of_the_contracts_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contracts_dir = tmp_path / "contracts"
    shutil.copytree(REPO_CONTRACTS, contracts_dir)
    _new_department(contracts_dir)
    (tmp_path / GENERATED).parent.mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAFECITY_CONTRACTS_DIR", str(contracts_dir))

    main()

    written = _sources((tmp_path / GENERATED).read_text(encoding="utf-8"))
    assert "urban_management" in written
    assert set(written) == set(_sources((REPO_ROOT / GENERATED).read_text("utf-8"))) | {
        "urban_management"
    }
