"""`enumFrom`: the warehouse contracts' vocabularies come from the feed contracts' mappings.

Resolved for the repository, they are today's lists; a new feed's roles, event type and
department appear without editing a warehouse contract; a broken feed contract leaves only
its own values out; every mistake in the property is named with its file and line.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from pipelines.lib.contracts import ContractError
from pipelines.lib.contracts.check import check_contracts
from pipelines.lib.contracts.tables import load_table_contracts
from pipelines.lib.contracts.vocabulary import ENUM_FROM, NATIONAL_EVENT_CATEGORIES
from tests.lib.warehouse_vocabulary import TODAYS_WAREHOUSE_VOCABULARY, todays

REPO_CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
FCT_EVENT = "contracts/warehouse/fct_event.odcs.yaml"


@pytest.fixture
def contracts(tmp_path: Path) -> Path:
    copy = tmp_path / "contracts"
    shutil.copytree(REPO_CONTRACTS, copy)
    return copy


def enum(contracts: Path, table: str, column: str) -> tuple[str, ...]:
    columns = {c.name: c for c in load_table_contracts(contracts)[table].columns}
    return columns[column].enum


def edit(path: Path, old: str, new: str) -> int:
    """Replace `old` (exactly once in the file) by `new`; the line `old` started on."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_the_repository_enums_resolve_to_todays_lists() -> None:
    tables = load_table_contracts(REPO_CONTRACTS)
    for table, column in TODAYS_WAREHOUSE_VOCABULARY:
        resolved = {c.name: c for c in tables[table].columns}[column].enum
        assert resolved == todays(table, column), (table, column)
        # The contract names the vocabulary instead of listing it.
        document = yaml.safe_load((REPO_CONTRACTS / f"warehouse/{table}.odcs.yaml").read_text())
        prop = {p["name"]: p for p in document["schema"][0]["properties"]}[column]
        assert "enum" not in prop, (table, column)
        assert [c["property"] for c in prop["customProperties"]] == ["enumFrom"]
    # The national categories stay a list of their own, in the standard's order.
    category = {c.name: c for c in tables["fct_event"].columns}["category"]
    assert category.enum == NATIONAL_EVENT_CATEGORIES


def test_a_new_feed_brings_its_roles_event_type_and_department(contracts: Path) -> None:
    """A gas utility's feed, onboarded by its contract and a vocabulary entry only."""
    source = contracts / "feeds/market_regulation/food_business_licences.odcs.yaml"
    path = contracts / "feeds/gas_utility/gas_supply_permits.odcs.yaml"
    path.parent.mkdir()
    text = source.read_text(encoding="utf-8")
    for old, new in [
        ("market_regulation", "gas_utility"),
        ("food_business_licences", "gas_supply_permits"),
        ("role: licensee", "role: gas_supplier"),
        ("organisation: licensee", "organisation: gas_supplier"),
        ("role: legal_representative", "role: safety_officer"),
        ("person: legal_representative", "person: safety_officer"),
        ("role: premises", "role: supply_station"),
        ("place: premises", "place: supply_station"),
    ]:
        assert old in text, old
        text = text.replace(old, new)
    anchor = "    relations:\n"
    assert text.count(anchor) == 1
    text = text.replace(
        anchor,
        "    - {kind: object, role: pressure_vessel, objectKind: hazard_installation, "
        "code: licence_no}\n"
        "    event: {type: gas_supply_incident, time: issue_date, county: county_code}\n" + anchor,
    )
    path.write_text(text, encoding="utf-8")
    edit(
        contracts / "vocabulary.yaml",
        "objectKinds:\n",
        "  gas_supply_incident: {category: accident_disaster}\n\nobjectKinds:\n",
    )
    report = check_contracts(contracts)
    assert report.problems == []  # the new feed is valid: its values are not left out

    def added(table: str, column: str, *new: str) -> None:
        assert enum(contracts, table, column) == tuple(sorted({*todays(table, column), *new}))

    added("fct_event", "event_type", "gas_supply_incident")
    added("fct_event", "source_department", "gas_utility")
    added("bridge_event_organisation", "role", "gas_supplier")
    added("bridge_event_person", "role", "safety_officer")
    added("bridge_event_object", "role", "pressure_vessel")
    added("bridge_person_organisation", "role", "safety_officer")
    added("bridge_organisation_place", "role", "supply_station")
    added("dim_object", "kind")  # an object kind the vocabulary had


def test_a_broken_feed_contract_leaves_out_only_its_own_values(contracts: Path) -> None:
    # The only feed giving air_quality_episode: unreadable.
    broken = contracts / "feeds/ecology_environment/air_quality_hourly.odcs.yaml"
    broken.write_text("this: is: not: yaml\n", encoding="utf-8")
    # The only feed with traffic detectors: a mapping mistake makes it invalid too.
    invalid = contracts / "feeds/traffic_police/traffic_flow.odcs.yaml"
    edit(invalid, "role: detector, objectKind: traffic_detector", "role: detector")
    tables = load_table_contracts(contracts)  # loads: the broken feeds are theirs to fix
    event_types = {c.name: c for c in tables["fct_event"].columns}["event_type"].enum
    assert event_types == tuple(
        t for t in todays("fct_event", "event_type") if t != "air_quality_episode"
    )
    object_kinds = {c.name: c for c in tables["dim_object"].columns}["kind"].enum
    assert object_kinds == tuple(k for k in todays("dim_object", "kind") if k != "traffic_detector")
    departments = {c.name: c for c in tables["fct_event"].columns}["source_department"].enum
    assert departments == todays("fct_event", "source_department")  # other feeds still give events


def test_an_unknown_enum_from_is_named_with_its_line(contracts: Path) -> None:
    line = edit(
        contracts / "warehouse/fct_event.odcs.yaml", "value: eventTypes", "value: eventType"
    )
    with pytest.raises(ContractError) as raised:
        load_table_contracts(contracts)
    assert list(raised.value.messages) == [
        f"{FCT_EVENT}:{line}: schema[0].properties[1].customProperties[0].value: enumFrom "
        f"'eventType' is not a vocabulary of the feeds' mappings (known: {', '.join(ENUM_FROM)})"
    ]
    # `safecity contract check` says the same, once.
    assert check_contracts(contracts).problems == list(raised.value.messages)


@pytest.mark.parametrize(
    ("old", "new", "below", "message"),
    [
        (
            "      value: objectKinds\n",
            "      value: objectKinds\n    enum:\n    - value: vehicle\n",
            2,  # at enumFrom's value
            "customProperties[0].value: give enum or enumFrom, not both: the values of "
            "objectKinds come from the feed contracts' mappings (remove the enum list)",
        ),
        (
            "      value: objectKinds\n",
            "      value: objectKinds\n    - property: enumFrom\n      value: eventTypes\n",
            3,  # at the second one
            "customProperties[1]: custom property 'enumFrom' given twice",
        ),
        (
            "    - property: enumFrom\n",
            "    - property: enumsFrom\n",
            1,
            "customProperties[0]: unknown custom property 'enumsFrom' (known: enumFrom)",
        ),
    ],
)
def test_enum_from_mistakes_are_named_with_their_line(
    contracts: Path, old: str, new: str, below: int, message: str
) -> None:
    path = contracts / "warehouse/dim_object.odcs.yaml"
    edit(path, old, new)
    lines = path.read_text(encoding="utf-8").splitlines()
    custom = lines.index("    customProperties:", lines.index("  - name: kind")) + 1
    with pytest.raises(ContractError) as raised:
        load_table_contracts(contracts)
    assert list(raised.value.messages) == [
        f"contracts/warehouse/dim_object.odcs.yaml:{custom + below}: schema[0].properties[1]."
        + message
    ]


def test_enum_from_needs_a_string_column(contracts: Path) -> None:
    path = contracts / "warehouse/bridge_person_organisation.odcs.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - name: source_mentions\n")
    anchor = "    classification: internal\n"
    position = text.index(anchor, start) + len(anchor)
    path.write_text(
        text[:position] + "    customProperties:\n    - property: enumFrom\n"
        "      value: roles.person\n" + text[position:],
        encoding="utf-8",
    )
    line = text[:position].count("\n") + 3
    with pytest.raises(ContractError) as raised:
        load_table_contracts(contracts)
    assert list(raised.value.messages) == [
        f"contracts/warehouse/bridge_person_organisation.odcs.yaml:{line}: "
        "schema[0].properties[3].customProperties[0].value: roles.person are strings: the "
        "column must be logicalType string"
    ]


def test_without_a_valid_vocabulary_enum_from_cannot_be_resolved(contracts: Path) -> None:
    path = contracts / "vocabulary.yaml"
    text = path.read_text("utf-8")
    path.write_text(
        re.sub(r"^version: .*\n", "", text, count=1, flags=re.M), "utf-8"
    )  # now invalid
    with pytest.raises(ContractError) as raised:
        load_table_contracts(contracts)
    needs = (
        "cannot be resolved: the feeds' mappings need a valid contracts/vocabulary.yaml "
        "(`safecity contract check` names its problems)"
    )
    # One message per column naming a vocabulary, at its enumFrom.
    assert len(raised.value.messages) == len(TODAYS_WAREHOUSE_VOCABULARY)
    assert all(m.endswith(needs) for m in raised.value.messages), raised.value.messages


def test_the_vocabulary_is_checked_against_the_national_categories(contracts: Path) -> None:
    line = edit(contracts / "warehouse/fct_event.odcs.yaml", "    - value: public_health\n", "")
    enum_line = line - 3  # `enum:`, then natural_disaster and accident_disaster
    with pytest.raises(ContractError) as raised:
        load_table_contracts(contracts)
    listed = "natural_disaster, accident_disaster, social_security"
    assert list(raised.value.messages) == [
        f"{FCT_EVENT}:{enum_line}: schema[0].properties[2].enum: contracts/vocabulary.yaml: "
        f"event type '{event_type}' has category 'public_health', which this list lacks (it "
        f"lists {listed}): give the type one of these"
        for event_type in (
            "food_inspection_failure",
            "food_sampling_failure",
            "medical_emergency",
            "poisoning",
            "injury",
            "food_safety_complaint",
        )
    ]
