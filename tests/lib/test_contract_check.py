"""`safecity contract check`: every problem of every contract file at once, and its exit code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines import cli
from pipelines.lib.contracts import CONTRACTS_DIR_ENV, ContractError

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def contracts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repository's contracts, used by the command through the environment."""
    copy = tmp_path / "contracts"
    shutil.copytree(REPO_ROOT / "contracts", copy)
    monkeypatch.setenv(CONTRACTS_DIR_ENV, str(copy))
    monkeypatch.chdir(tmp_path)  # files are named from here, as from a repository root
    return copy


def replace(path: Path, old: str, new: str) -> int:
    """Edit one place of a contract; the line it is on."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_the_repository_contracts_pass(contracts: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["contract", "check"]) == 0
    out = capsys.readouterr().out
    assert out == (
        "checked 42 feed contract(s), the shared vocabulary, 15 table contract(s), the sharing policy, the map's layers: "
        "no problems\n"
    )


def test_every_problem_of_every_file_is_printed(
    contracts: Path, capsys: pytest.CaptureFixture
) -> None:
    fire = contracts / "feeds/fire_rescue/fire_incidents.odcs.yaml"
    pattern_line = replace(fire, r"pattern: ^JQ\d{13}$", r"pattern: ^JQ\d{13}\Z")
    replace(fire, "    role: owner", "    role: steward")
    team_line = fire.read_text(encoding="utf-8").splitlines().index("team:") + 1
    food = contracts / "feeds/market_regulation/food_inspections.odcs.yaml"
    class_line = replace(food, "        classification: personal", "        classification: secret")
    table = contracts / "warehouse/dim_place.odcs.yaml"
    table_line = (
        replace(table, "  - name: place_key\n", "  - name: place_key\n    colour: red\n") + 1
    )
    policy = contracts / "sharing/policy.yaml"
    policy_line = replace(
        policy,
        "    classification: internal\n    # Legal representatives",
        "    classification: top_secret\n    # Legal representatives",
    )

    assert cli.main(["contract", "check"]) == 1
    fire_file = "contracts/feeds/fire_rescue/fire_incidents.odcs.yaml"
    assert capsys.readouterr().out.splitlines() == [
        f"{fire_file}:{team_line}: team: at least one team member with role 'owner' is required",
        f"{fire_file}:{pattern_line}: schema[0].properties[0].logicalTypeOptions.pattern: "
        r"pattern '^JQ\d{13}\Z': unrecognized escape sequence at '\Z' (ingestion runs patterns "
        r"in polars' Rust regex engine: no look-around, no back-references, \z or $ for the end)",
        f"contracts/feeds/market_regulation/food_inspections.odcs.yaml:{class_line}: "
        "schema[0].properties[8].classification: classification must be one of "
        "['internal', 'personal', 'public', 'sensitive'], not 'secret'",
        # The table is invalid, yet the policy's grants of it are checked against what it
        # says: no "unknown table" echo of the one mistake.
        f"contracts/warehouse/dim_place.odcs.yaml:{table_line}: schema[0].properties[0]: "
        "'colour' is not allowed (misspelt key?)",
        f"contracts/sharing/policy.yaml:{policy_line}: departments.market_regulation.classification: "
        "classification must be one of public, internal, personal",
        "checked 42 feed contract(s), the shared vocabulary, 15 table contract(s), the sharing policy, the map's layers: "
        "5 problem(s) in "
        "4 file(s); fix them and check again (an invalid feed contract's feed is not ingested)",
    ]


def test_paths_are_checked_as_what_their_place_says(
    contracts: Path, capsys: pytest.CaptureFixture
) -> None:
    fire = contracts / "feeds/fire_rescue/fire_incidents.odcs.yaml"
    replace(fire, r"pattern: ^JQ\d{13}$", r"pattern: ^JQ(?=\d)\d{13}$")
    assert cli.main(["contract", "check", str(fire), "contracts/sharing/policy.yaml"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert (
        lines[0].startswith("contracts/feeds/fire_rescue/fire_incidents.odcs.yaml:")
        and "look-around" in lines[0]
    )
    assert lines[1].startswith(
        "checked contracts/feeds/fire_rescue/fire_incidents.odcs.yaml, contracts/sharing/policy.yaml: "
        "1 problem(s) in 1 file(s)"
    )


def test_the_fixture_contracts_pass_and_a_missing_path_is_a_problem(
    capsys: pytest.CaptureFixture,
) -> None:
    fixtures = REPO_ROOT / "tests/fixtures/contracts"
    assert cli.main(["contract", "check", str(fixtures)]) == 0
    assert capsys.readouterr().out.endswith(": no problems\n")
    assert cli.main(["contract", "check", str(fixtures / "nowhere.odcs.yaml")]) == 1
    assert (
        capsys.readouterr().out.splitlines()[0]
        == f"{fixtures / 'nowhere.odcs.yaml'}: no such file or folder"
    )


def test_the_cli_prints_every_line_of_a_contract_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def broken(*_args: object) -> None:
        raise ContractError(["a.odcs.yaml:3: name: first problem", "b.odcs.yaml:9: team: second"])

    monkeypatch.setattr("pipelines.lib.contracts.check.check_contracts", broken)
    assert cli.main(["contract", "check"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: a.odcs.yaml:3: name: first problem",
        "error: b.odcs.yaml:9: team: second",
    ]
