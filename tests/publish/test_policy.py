"""The sharing policy: the repository's loads as documented, and a wrong one is a clear error with its line."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.publish.assets import (
    DEPARTMENTS,
    build_extract_asset,
    build_manifest_check,
    extract_key,
)
from pipelines.lib.contracts import contracts_dir
from pipelines.lib.publish.policy import PolicyError, load_policy, policy_path
from pipelines.lib.resources import DATA_DIR_RESOURCE_KEY, DataDirResource

POLICY_TEXT = policy_path(contracts_dir()).read_text(encoding="utf-8")
DISPLAY = "contracts/sharing/policy.yaml"


def test_repository_policy_grants_what_the_readme_says(policy, contracts) -> None:
    assert policy.version == "1.5.0"
    # Every department the policy grants has contracts; one with contracts need not be granted.
    assert set(policy.departments) <= set(DEPARTMENTS)
    treatments = {d: g.personal for d, g in policy.departments.items()}
    assert treatments == {
        "traffic_police": "clear",
        "market_regulation": "masked",
        "fire_rescue": "pseudonymised",
        "emergency_management": "pseudonymised",
        "ecology_environment": "pseudonymised",
        "command_centre": "pseudonymised",
        "meteorology": "pseudonymised",
        "water": "pseudonymised",
        "natural_resources": "pseudonymised",
        "housing_construction": "pseudonymised",
        "public_security": "pseudonymised",
        "health": "pseudonymised",
        "citizen_hotline": "pseudonymised",
    }
    assert {d for d, g in policy.departments.items() if g.csv} == {
        "market_regulation",
        "ecology_environment",
    }
    for grant in policy.departments.values():
        assert grant.purpose
        for table in grant.tables:
            classifications = {c.name: c.classification for c in contracts[table.table].columns}
            assert "sensitive" not in {classifications[c] for c in table.columns}
    traffic = {t.table: t for t in policy.departments["traffic_police"].tables}
    assert traffic["dim_person"].rows == "own"
    assert traffic["dim_organisation"].columns == (
        "organisation_key",
        "uscc",
        "name",
        "organisation_type",
        "place_key",
        "county_code",
    )
    # Ecology and fire/rescue get no person table; the identity hash goes to nobody.
    assert "dim_person" not in {t.table for t in policy.departments["ecology_environment"].tables}
    emergency = {t.table: t for t in policy.departments["emergency_management"].tables}
    assert "id_number_hash" not in emergency["dim_person"].columns
    assert "name" in emergency["dim_person"].columns  # delivered, masked (empty): see test_masking
    # Each department its own share of the dispatch loop; the command centre every department's.
    for department, grant in policy.departments.items():
        rows = {t.table: t.rows for t in grant.tables}
        expected = "all" if department == "command_centre" else "own"
        assert rows["dispatch_assignments"] == rows["dispatch_assessment"] == expected


def test_a_department_with_contracts_but_not_in_the_policy_is_granted_nothing(
    tmp_path, contracts
) -> None:
    """A department onboarded (a folder of contracts/feeds/) before the policy grants it anything."""
    new = "urban_management"
    policy = load_policy(policy_path(contracts_dir()), contracts, (*DEPARTMENTS, new))
    assert new not in policy.departments
    # Its extract asset runs and publishes nothing: only the policy gives a department data.
    result = dg.materialize(
        [build_extract_asset(new), build_manifest_check(new)],
        resources={DATA_DIR_RESOURCE_KEY: DataDirResource(root=str(tmp_path))},
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node(f"extracts__{new}")
    assert materialization.metadata["granted"].value is False
    assert materialization.metadata["tables"].value == 0
    (check,) = result.get_asset_check_evaluations()
    assert check.asset_key == extract_key(new)
    assert check.passed and check.metadata["extract"].value == "none (nothing granted)"
    assert not (tmp_path / "extracts" / new).exists()


def _load(tmp_path: Path, text: str, contracts):
    path = tmp_path / "contracts" / "sharing" / "policy.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return load_policy(path, contracts, DEPARTMENTS, root=tmp_path)


def _first_changed_line(before: str, after: str) -> int:
    pairs = zip(before.splitlines(), after.splitlines(), strict=False)
    return next(number for number, (old, new) in enumerate(pairs, start=1) if old != new)


def _with_ecology(classification: str, *table_lines: str) -> str:
    """The repository's policy with its last department, ecology_environment, granted as given."""
    head = POLICY_TEXT[: POLICY_TEXT.index("  ecology_environment:\n")]
    block = [
        "  ecology_environment:",
        "    purpose: Pollution control.",
        f"    classification: {classification}",
        "    personal: pseudonymised",
        "    tables:",
        *(f"      {line}" for line in table_lines),
    ]
    return head + "\n".join(block) + "\n"


def _error_line(tmp_path: Path, contracts, text: str, message: str) -> int:
    """The line of the one error containing `message`, checking it names the file."""
    with pytest.raises(PolicyError) as raised:
        _load(tmp_path, text, contracts)
    messages = [m for m in raised.value.messages if message in m]
    assert len(messages) == 1, raised.value.messages
    match = re.match(rf"^{re.escape(DISPLAY)}:(\d+): ", messages[0])
    assert match, messages[0]
    return int(match.group(1))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  fire_rescue:\n",
            "  fire_brigade:\n",
            "unknown department 'fire_brigade': departments are the folders of contracts/feeds/",
        ),
        ("version: 1.5.0\n", "version: 1.0\n", "version is required, as a string"),
        (
            "    personal: masked\n",
            "    personal: clear\n",
            "personal: clear goes with classification: personal",
        ),
        (
            "    csv: true\n    tables:\n      dim_organisation",
            "    csv: true\n    tabels:\n      dim_organisation",
            "'tabels' is not allowed here",
        ),
    ],
    ids=["unknown department", "numeric version", "clear below personal", "misspelt key"],
)
def test_a_wrong_department_is_an_error_naming_file_and_line(
    tmp_path, contracts, old, new, message
) -> None:
    assert POLICY_TEXT.count(old) == 1, old
    text = POLICY_TEXT.replace(old, new)
    # The line reported is the line that was made wrong.
    assert _error_line(tmp_path, contracts, text, message) == _first_changed_line(POLICY_TEXT, text)


@pytest.mark.parametrize(
    ("grant", "message"),
    [
        ("dim_organisatoin: all", "unknown table 'dim_organisatoin'"),
        (
            "dim_organisation: {columns: [name, organisation_phone]}",
            "unknown column dim_organisation.organisation_phone",
        ),
        ("dim_organisation: {columns: [name, name]}", "column 'name' is listed twice"),
        (
            "dim_person: {columns: [person_key, id_number_hash]}",
            "dim_person.id_number_hash is sensitive",
        ),
        ("fct_event: {rows: mine}", "rows must be one of all, own"),
        ("dim_admin_division: {rows: own}", "dim_admin_division has no department of its own"),
        (
            "dim_organisation: {columns: [name, source_mentions]}",
            "dim_organisation.source_mentions is internal, above the department's classification public",
        ),
    ],
    ids=[
        "unknown table",
        "unknown column",
        "column twice",
        "sensitive column",
        "unknown row scope",
        "own rows of reference data",
        "above the level",
    ],
)
def test_a_wrong_table_grant_is_an_error_naming_file_and_line(
    tmp_path, contracts, grant, message
) -> None:
    text = _with_ecology("public", "dim_place: all", grant)
    assert _error_line(tmp_path, contracts, text, message) == len(
        text.splitlines()
    )  # the grant's line


def test_every_problem_is_reported_at_once(tmp_path, contracts) -> None:
    text = _with_ecology("internal", "dim_organisatoin: all", "dim_place: {columns: [addresss]}")
    text = text.replace("  fire_rescue:\n", "  fire_brigade:\n")
    with pytest.raises(PolicyError) as raised:
        _load(tmp_path, text, contracts)
    assert len(raised.value.messages) == 3
    assert str(raised.value).count(DISPLAY + ":") == 3


def test_all_columns_means_up_to_the_level(tmp_path, contracts) -> None:
    policy = _load(tmp_path, _with_ecology("public", "dim_organisation: all"), contracts)
    (grant,) = policy.departments["ecology_environment"].tables
    public = [c.name for c in contracts["dim_organisation"].columns if c.classification == "public"]
    assert grant.columns == tuple(public)
