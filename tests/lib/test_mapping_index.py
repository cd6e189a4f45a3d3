"""The repository's mappings read together: every feed mapped, today's warehouse vocabularies, cross-checks.

The mappings must say exactly what today's hand-written dbt SQL makes of each feed, since
the warehouse generated from them must equal today's. Where a warehouse contract listed a
vocabulary (fct_event, the bridges, dim_object; now resolved from this index by `enumFrom`),
the index is held to that list (`warehouse_vocabulary`); where only SQL says it, to the set
that SQL has today, written out with the file it comes from.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.lib.contracts import load_feed_contracts
from pipelines.lib.contracts.check import check_contracts
from pipelines.lib.contracts.loader import shared_vocabulary
from pipelines.lib.contracts.mapping_index import MappingIndex, mapping_index
from pipelines.lib.contracts.tables import load_table_contracts
from pipelines.lib.contracts.vocabulary import NATIONAL_EVENT_CATEGORIES
from tests.lib.warehouse_vocabulary import todays

REPO_CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


@pytest.fixture(scope="module")
def index() -> MappingIndex:
    vocabulary = shared_vocabulary(REPO_CONTRACTS)
    assert vocabulary is not None
    return mapping_index(load_feed_contracts(REPO_CONTRACTS), vocabulary, REPO_CONTRACTS.parent)


def enum(table: str, column: str) -> tuple[str, ...]:
    """The accepted values a warehouse table contract lists itself, sorted."""
    columns = {c.name: c for c in load_table_contracts(REPO_CONTRACTS)[table].columns}
    return tuple(sorted(columns[column].enum))


def test_every_repository_feed_is_mapped_and_valid(index: MappingIndex) -> None:
    files = sorted((REPO_CONTRACTS / "feeds").glob("*/*.odcs.yaml"))
    feeds = load_feed_contracts(REPO_CONTRACTS)
    assert feeds.problems == ()
    assert sorted(f"{d}/{f}" for d, f in feeds) == [f"{p.parent.name}/{p.stem[:-5]}" for p in files]
    # Read by hand-written models, not mapped into the POLE-O model: the notices the command
    # centre sent, and the handling feedback every department delivers (int_shared__handling_feedback).
    assert index.unmapped == (
        ("command_centre", "supervision_notices"),
        ("ecology_environment", "handling_feedback"),
        ("emergency_management", "handling_feedback"),
        ("fire_rescue", "handling_feedback"),
        ("market_regulation", "handling_feedback"),
        ("traffic_police", "handling_feedback"),
    )
    assert [(m.department, m.feed) for m in index.feeds] == sorted(set(feeds) - set(index.unmapped))
    assert index.problems == ()
    report = check_contracts(REPO_CONTRACTS)
    assert report.problems == [] and report.ok


def test_event_types_categories_and_departments_are_fct_events(index: MappingIndex) -> None:
    assert index.event_types == todays("fct_event", "event_type")
    assert index.event_departments == todays("fct_event", "source_department")
    # Every department has events today but the command centre, whose instruction log only
    # mentions the organisations and places it instructs on.
    assert set(index.departments) - set(index.event_departments) == {"command_centre"}
    # Every one of the four national categories has events (social security from the 110
    # alarms, public health from food safety and the 120 call-outs).
    assert set(enum("fct_event", "category")) == set(NATIONAL_EVENT_CATEGORIES)
    assert set(index.categories) == set(NATIONAL_EVENT_CATEGORIES)


def test_roles_and_kinds_are_those_of_todays_warehouse(index: MappingIndex) -> None:
    assert index.roles["organisation"] == todays("bridge_event_organisation", "role")
    assert index.roles["person"] == todays("bridge_event_person", "role")
    assert index.roles["object"] == todays("bridge_event_object", "role")
    assert index.object_kinds == todays("dim_object", "kind")
    # No warehouse contract lists place roles: today's int_place_mentions.sql gives these.
    assert index.roles["place"] == (
        "accident_site",
        "depot_site",
        "detector_site",
        "discharge_site",
        "fire_station_site",
        "gauge_site",
        "hazard_device_site",
        "hazard_site",
        "incident_site",
        "inspected_premises",
        "installation_site",
        "instructed_site",
        "lifeline_device_site",
        "premises",
        "registered_address",
        "shelter_site",
        "station_site",
        "team_base",
        "water_source_site",
        "waterlogging_site",
        "weather_station_site",
    )


def test_relations_and_flags_say_what_todays_role_lists_say(index: MappingIndex) -> None:
    assert index.relation_roles("represents", "person") == todays(
        "bridge_person_organisation", "role"
    )
    # bridge_person_organisation.sql:4 and linkage/persons.py:64 join these.
    assert index.relation_roles("represents", "organisation") == ("licensee", "registered")
    assert index.relation_roles("premises", "place") == todays("bridge_organisation_place", "role")
    # bridge_organisation_place.sql:6 also lists responsible_unit, but none of its records has
    # a place of the four: it adds no row. Its unit is at the accident site for linkage only.
    assert index.relation_roles("premises", "organisation") == (
        "fire_station",
        "inspected",
        "licensee",
        "operator",
        "permit_holder",
        "registered",
    )
    # linkage/organisations.py:93: the roles whose record's place is evidence of the organisation.
    evidence = {*index.relation_roles("premises", "organisation")}
    evidence |= {*index.relation_roles("site", "organisation")}
    assert evidence == {
        "fire_station",
        "licensee",
        "inspected",
        "registered",
        "operator",
        "permit_holder",
        "responsible_unit",
        "involved_unit",
        "instructed_unit",
        "reported_unit",
    }
    assert index.relation_roles("owns", "organisation") == (
        "home_station",
        "operator",
    )  # dim_object.sql:7
    assert index.relation_roles("locatedAt", "object") == (
        "depot",
        "detector",
        "gauge",
        "hazard_device",
        "hazard_point",
        "installation",
        "lifeline_device",
        "monitored_asset",
        "rescue_team",
        "shelter",
        "station",
        "water_source",
        "waterlogging_point",
        "weather_station",
    )
    assert index.responders == (
        "fire_station",
        "home_station",
        "receiving_hospital",
        "responding_station",
    )  # fct_event.sql:15
    assert index.registers == ("registered",)  # dim_organisation.sql:33
    with pytest.raises(KeyError, match="a represents relation has no place end"):
        index.relation_roles("represents", "place")


# --- cross-feed checks: one failing case each, with its file and line -------------------


@pytest.fixture
def contracts(tmp_path: Path) -> Path:
    copy = tmp_path / "contracts"
    shutil.copytree(REPO_CONTRACTS, copy)
    return copy


def insert_after(contracts: Path, feed: str, anchor: str, added: str) -> int:
    """`added` as the line after `anchor` (exactly once in the file); the line it is on."""
    path = contracts / "feeds" / f"{feed}.odcs.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(anchor) == 1, anchor
    position = text.index(anchor) + len(anchor)
    path.write_text(text[:position] + added + text[position:], encoding="utf-8")
    return text[:position].count("\n") + 1


def line_of(contracts: Path, feed: str, needle: str) -> int:
    text = (contracts / "feeds" / f"{feed}.odcs.yaml").read_text(encoding="utf-8")
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


def shown(feed: str) -> str:
    return f"contracts/feeds/{feed}.odcs.yaml"


def test_a_register_role_is_a_register_in_every_feed(contracts: Path) -> None:
    feed, register = "fire_rescue/fire_inspections", "emergency_management/enterprises"
    line = insert_after(
        contracts,
        feed,
        "county: county_code, type: unit_type}\n",
        "    - {kind: organisation, role: registered, name: unit_name}\n",
    )
    first = line_of(contracts, register, "- kind: organisation\n      role: registered")
    assert check_contracts(contracts).problems == [
        f"{shown(feed)}:{line}: mapping.mentions[1].register: organisation role 'registered' is "
        f"not a register here but a register in {shown(register)}:{first}: one role, one "
        "meaning (give both the same register, or rename one role)"
    ]


def test_a_responder_role_is_a_responder_in_every_feed(contracts: Path) -> None:
    # work_accidents comes first (emergency_management): its use is taken as meant.
    feed, first_feed = "fire_rescue/fire_incidents", "emergency_management/work_accidents"
    first = insert_after(
        contracts,
        first_feed,
        "identifiers: {uscc: uscc}, county: county_code}\n",
        "    - {kind: organisation, role: responding_station, name: enterprise_name}\n",
    )
    line = line_of(contracts, feed, "role: responding_station")
    assert check_contracts(contracts).problems == [
        f"{shown(feed)}:{line - 1}: mapping.mentions[1].responder: organisation role "
        f"'responding_station' is a responder here but not a responder in "
        f"{shown(first_feed)}:{first}: one role, one meaning (give both the same responder, "
        "or rename one role)"
    ]


def test_an_object_role_names_one_object_kind(contracts: Path) -> None:
    feed, first_feed = "traffic_police/traffic_flow", "ecology_environment/monitoring_stations"
    path = contracts / "feeds" / f"{feed}.odcs.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("role: detector, ", "role: station, ").replace(
            "object: detector,", "object: station,"
        ),
        encoding="utf-8",
    )
    line = line_of(contracts, feed, "role: station, objectKind: traffic_detector")
    first = line_of(contracts, first_feed, "role: station, objectKind: monitoring_station")
    assert check_contracts(contracts).problems == [
        f"{shown(feed)}:{line}: mapping.mentions[0].objectKind: object role 'station' is a "
        f"traffic_detector here but a monitoring_station in {shown(first_feed)}:{first}: one "
        "role, one meaning (rename one role)"
    ]


def test_a_derived_events_model_belongs_to_one_feed(contracts: Path) -> None:
    feed, first_feed = (
        "ecology_environment/monitoring_stations",
        "ecology_environment/air_quality_hourly",
    )
    line = insert_after(
        contracts,
        feed,
        "    - {type: locatedAt, object: station, place: station_site}\n",
        "    derivedEvents:\n"
        "    - {model: int_air_quality_episode_events, types: [air_quality_episode]}\n",
    )
    first = line_of(contracts, first_feed, "- {model: int_air_quality_episode_events")
    assert check_contracts(contracts).problems == [
        f"{shown(feed)}:{line + 1}: mapping.derivedEvents[0].model: "
        f"int_air_quality_episode_events is named by {shown(first_feed)}:{first} already: its "
        "events would be counted twice (name it in one feed)"
    ]


def test_an_invalid_feed_is_left_out_of_the_index(contracts: Path) -> None:
    path = contracts / "feeds/ecology_environment/air_quality_hourly.odcs.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("types: [air_quality_episode]", "types: [smog]"), "utf-8")
    vocabulary = shared_vocabulary(contracts)
    assert vocabulary is not None
    feeds = load_feed_contracts(contracts)
    index = mapping_index(feeds, vocabulary, contracts.parent)
    assert ("ecology_environment", "air_quality_hourly") not in feeds
    assert "air_quality_episode" not in index.event_types
    assert index.problems == ()  # its own problem is the loader's, reported once
