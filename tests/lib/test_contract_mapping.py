"""The `mapping` custom property: valid mappings compile, and every mistake is named with its line.

The mappings are added to copies of the repository's contracts, their own mappings taken out,
so each case checks one rule against real properties, enums, standards and coordinates.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from pipelines.lib.contracts import (
    CONTRACTS_DIR_ENV,
    ContractError,
    load_contract,
    load_feed_contracts,
)
from pipelines.lib.contracts.model import (
    CasualtyGrade,
    ColumnValue,
    Condition,
    ConstantValue,
    EventTypeClassified,
    EventTypeMap,
    FeedContract,
    FirstOf,
    LatestRecords,
    Prefix,
    Relation,
    Split,
    Sum,
    Template,
    TemplateSlot,
)
from pipelines.lib.contracts.shared_vocabulary import (
    feed_departments,
    load_shared_vocabulary,
    vocabulary_path,
)

REPO_CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
# What the messages list as known: the repository's vocabulary, however it grows.
VOCABULARY = load_shared_vocabulary(
    vocabulary_path(REPO_CONTRACTS), feed_departments(REPO_CONTRACTS)
)
KNOWN_EVENT_TYPES = ", ".join(sorted(VOCABULARY.event_types))
KNOWN_OBJECT_KINDS = ", ".join(sorted(VOCABULARY.object_kinds))
FOOD = "feeds/market_regulation/food_inspections.odcs.yaml"
TRAFFIC = "feeds/traffic_police/traffic_accidents.odcs.yaml"
FOOD_AT = "customProperties[2].value"  # after landing and quarantineThreshold
TRAFFIC_AT = "customProperties[3].value"  # after landing, coordinates and quarantineThreshold

FOOD_MAPPING = """\
mentions:
- kind: organisation
  role: inspected
  name: business_name
  identifiers: {licence_no: licence_no}
  county: county_code
- {kind: place, role: inspected_premises, address: address, county: county_code}
relations:
- {type: premises, organisation: inspected, place: inspected_premises}
event:
  type: food_inspection_failure
  when: {column: result, equals: 不符合}
  time: inspection_date
  place: inspected_premises
  county: county_code
  description: findings
"""

TRAFFIC_MAPPING = """\
mentions:
- {kind: place, role: accident_site, address: address, county: county_code, point: [longitude, latitude]}
- kind: person
  role: driver
  each: vehicles
  name: driver_name
  identityNumber: driver_id_number
  phone: driver_phone
- {kind: object, role: involved_vehicle, objectKind: vehicle, each: vehicles, code: plate_no, name: vehicle_type}
event:
  type: traffic_accident
  time: occurred_at
  severity: {casualtyGrade: {deaths: deaths}}
  deaths: deaths
  injuries: injuries
  place: accident_site
  county: county_code
  description: cause
"""


@pytest.fixture
def contracts(tmp_path: Path) -> Path:
    """A copy of the repository's contracts, vocabulary included, without their mappings."""
    copy = tmp_path / "contracts"
    shutil.copytree(REPO_CONTRACTS, copy)
    for path in (copy / "feeds").glob("*/*.odcs.yaml"):
        remove_mapping(path)
    return copy


def remove_mapping(path: Path) -> None:
    """The contract without its `mapping`, the last contract-level custom property."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.lstrip(" ") == "- property: mapping\n"]
    if starts:
        schema = lines.index("schema:\n")
        assert starts == [starts[0]] and starts[0] < schema, path
        path.write_text("".join([*lines[: starts[0]], *lines[schema:]]), encoding="utf-8")


def add_mapping(contracts: Path, feed: str, mapping: str) -> Path:
    """The contract with `mapping` as its last contract-level custom property."""
    path = contracts / feed
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index("customProperties:\n")
    schema = lines.index("schema:\n")
    item = lines[start + 1]
    indent = " " * (len(item) - len(item.lstrip(" ")))  # the file's list indentation
    value = textwrap.indent(mapping, indent + "    ")
    block = f"{indent}- property: mapping\n{indent}  value:\n{value}"
    path.write_text("".join([*lines[:schema], block, *lines[schema:]]), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """The line of `needle` within the mapping (which starts at `property: mapping`)."""
    text = path.read_text(encoding="utf-8")
    start = text.index("property: mapping")
    return text[: text.index(needle, start)].count("\n") + 1


def problems(path: Path) -> list[str]:
    with pytest.raises(ContractError) as error:
        load_contract(path, path.parents[3])
    return list(error.value.messages)


def test_contracts_without_a_mapping_stay_valid(contracts: Path) -> None:
    feeds = load_feed_contracts(contracts)
    assert feeds.problems == ()
    assert len(feeds) == len(list((contracts / "feeds").glob("*/*.odcs.yaml")))
    assert all(contract.mapping is None for contract in feeds.values())


def test_a_food_inspection_mapping_compiles(contracts: Path) -> None:
    contract = load_contract(add_mapping(contracts, FOOD, FOOD_MAPPING))
    mapping = contract.mapping
    assert mapping is not None
    inspected, premises = mapping.mentions
    assert (inspected.kind, inspected.role) == ("organisation", "inspected")
    assert inspected.attribute("name") == ColumnValue("business_name")
    assert inspected.attribute("county") == ColumnValue("county_code")
    assert inspected.identifiers == (("licence_no", ColumnValue("licence_no")),)
    assert mapping.mention("place", "inspected_premises") == premises
    assert premises.attribute("address") == ColumnValue("address")
    assert mapping.relations == (
        Relation("premises", "inspected", "inspected_premises", premises.line + 2),
    )
    event = mapping.event
    assert event is not None
    assert event.type == "food_inspection_failure"
    assert event.event_types == ("food_inspection_failure",)
    assert event.when == Condition("result", "equals", ("不符合",))
    assert (event.time, event.place, event.county) == (
        "inspection_date",
        "inspected_premises",
        "county_code",
    )
    assert event.description == ColumnValue("findings")
    assert (event.severity, event.deaths, event.due, mapping.records) == (None, None, None, None)


def test_a_traffic_accident_mapping_with_nested_vehicles_compiles(contracts: Path) -> None:
    contract = load_contract(add_mapping(contracts, TRAFFIC, TRAFFIC_MAPPING))
    mapping = contract.mapping
    assert mapping is not None
    site, driver, vehicle = mapping.mentions
    assert site.point == ("longitude", "latitude")
    assert (driver.kind, driver.each) == ("person", "vehicles")
    assert driver.attribute("identityNumber") == ColumnValue("driver_id_number")
    assert driver.attribute("phone") == ColumnValue("driver_phone")
    assert (vehicle.object_kind, vehicle.each) == ("vehicle", "vehicles")
    assert vehicle.attribute("code") == ColumnValue("plate_no")
    event = mapping.event
    assert event is not None
    assert event.severity == CasualtyGrade(deaths="deaths", serious_injuries=None)
    assert (event.deaths, event.injuries) == (ColumnValue("deaths"), ColumnValue("injuries"))
    assert (event.when, event.place) == (None, "accident_site")


def test_every_value_form_compiles(contracts: Path) -> None:
    mapping = FOOD_MAPPING.replace(
        "  description: findings",
        "  description: {template: '{business_name}: {findings?}'}",
    ).replace(
        "  identifiers: {licence_no: licence_no}",
        "  identifiers: {licence_no: {firstOf: [licence_no, {prefix: [inspection_id, 18]}]}}\n"
        "  type: {const: fire_station}",  # a type contracts/vocabulary.yaml lists
    )
    contract = load_contract(add_mapping(contracts, FOOD, mapping))
    assert contract.mapping is not None
    inspected = contract.mapping.mentions[0]
    assert inspected.identifiers == (
        ("licence_no", FirstOf((ColumnValue("licence_no"), Prefix("inspection_id", 18)))),
    )
    assert inspected.attribute("type") == ConstantValue("fire_station")
    assert contract.mapping.event is not None
    assert contract.mapping.event.description == Template(
        "{business_name}: {findings?}",
        (TemplateSlot("business_name", False), ": ", TemplateSlot("findings", True)),
    )


def test_a_sum_of_counts_and_a_casualty_grade_with_serious_injuries(contracts: Path) -> None:
    mapping = TRAFFIC_MAPPING.replace(
        "  injuries: injuries", "  injuries: {sum: [deaths, injuries]}"
    ).replace("{deaths: deaths}}", "{deaths: deaths, seriousInjuries: injuries}}")
    event = load_contract(add_mapping(contracts, TRAFFIC, mapping)).mapping.event  # type: ignore[union-attr]
    assert event is not None
    assert event.injuries == Sum(("deaths", "injuries"))
    assert event.severity == CasualtyGrade(deaths="deaths", serious_injuries="injuries")


# (contract, old text of the mapping, new text, text on the reported line, key path, message)
CASES = [
    (
        FOOD,
        "relations:",
        "relation:",
        "relation:",
        "",
        "'relation' is not allowed in a mapping (misspelt key?)",
    ),
    (
        FOOD,
        "- kind: organisation",
        "- kind: company",
        "kind: company",
        ".mentions[0].kind",
        "kind must be one of organisation, person, place, object, not 'company'",
    ),
    (
        FOOD,
        "  role: inspected\n",
        "  role: Inspected\n",
        "role: Inspected",
        ".mentions[0].role",
        "role must be a snake_case name, not 'Inspected'",
    ),
    (
        FOOD,
        "role: inspected_premises,",
        "role: inspected_premises, adress: address,",
        "adress",
        ".mentions[1]",
        "'adress' is not allowed in a place mention (misspelt key?)",
    ),
    (
        FOOD,
        "address: address, county",
        "county",
        "role: inspected_premises",
        ".mentions[1]",
        "a place mention needs address or point: without it nothing can be linked",
    ),
    (
        FOOD,
        "  name: business_name",
        "  name: shop_name",
        "name: shop_name",
        ".mentions[0].name",
        "'shop_name' is not a property",
    ),
    (
        FOOD,
        "  county: county_code\n- {",
        "  county: business_name\n- {",
        "county: business_name",
        ".mentions[0].county",
        "business_name has no `standard: admin_county`",
    ),
    (
        FOOD,
        "{licence_no: licence_no}",
        "{tax_no: licence_no}",
        "tax_no",
        ".mentions[0].identifiers.tax_no",
        "'tax_no' is not an identifier linkage knows (uscc, licence_no, permit_no)",
    ),
    (
        FOOD,
        "{licence_no: licence_no}",
        "{uscc: licence_no}",
        "uscc",
        ".mentions[0].identifiers.uscc",
        "licence_no has no `standard: uscc`",
    ),
    (
        FOOD,
        "county: county_code}\nrelations",
        "point: [longitude, latitude]}\nrelations",
        "point:",
        ".mentions[1].point",
        "a point needs the contract's `coordinates` custom property",
    ),
    (
        FOOD,
        "  name: business_name",
        "  each: address\n  name: business_name",
        "each: address",
        ".mentions[0].each",
        "each must name an array property with items, not 'address'",
    ),
    (
        FOOD,
        "  name: business_name",
        "  split: {column: business_name, separator: ';'}\n  name: business_name",
        "name: business_name",
        ".mentions[0].name",
        "with split, each part is the name: leave name out",
    ),
    (
        FOOD,
        "  role: inspected\n",
        "  role: inspected\n  responder: yes please\n",
        "responder",
        ".mentions[0].responder",
        "responder must be true or false",
    ),
    (
        FOOD,
        "address: address, county: county_code}",
        "address: address, county: county_code}\n- {kind: place, role: inspected, address: address}\n- {kind: place, role: inspected, address: findings}",
        "address: findings",
        ".mentions[3].role",
        "place role 'inspected' is used twice: one role, one meaning",
    ),
    (
        FOOD,
        "{type: premises,",
        "{type: premise,",
        "type: premise",
        ".relations[0].type",
        "type must be one of represents, premises, site, owns, locatedAt, not 'premise'",
    ),
    (
        FOOD,
        "place: inspected_premises}",
        "place: premise}",
        "place: premise}",
        ".relations[0].place",
        "no place mention 'premise' (declared: inspected_premises)",
    ),
    (
        FOOD,
        "place: inspected_premises}",
        "place: inspected_premises, person: owner}",
        "person: owner",
        ".relations[0]",
        "'person' is not allowed in a premises relation (misspelt key?)",
    ),
    (
        FOOD,
        "  type: food_inspection_failure",
        "  type: food_failure",
        "type: food_failure",
        ".event.type",
        f"'food_failure' is not an event type of contracts/vocabulary.yaml (known: {KNOWN_EVENT_TYPES}): add it there",
    ),
    (FOOD, "  time: inspection_date\n", "", "event:", ".event", "an event needs time"),
    (
        FOOD,
        "  time: inspection_date",
        "  time: findings",
        "time: findings",
        ".event.time",
        "findings must be a date or timestamp, not string",
    ),
    (
        FOOD,
        "equals: 不符合}",
        "equals: 不合格}",
        "when:",
        ".event.when.equals",
        "'不合格' is not a value of result (its enum: 符合, 基本符合, 不符合)",
    ),
    (
        FOOD,
        "{column: result, equals: 不符合}",
        "{column: result}",
        "when:",
        ".event.when",
        "a condition is {column, equals: v}, {column, in: [v, ...]} or {column, present: true}",
    ),
    (
        FOOD,
        "  type: food_inspection_failure",
        "  type: {map: result, values: {符合: food_inspection_failure, 不符合: food_inspection_failure}}",
        "type: {map",
        ".event.type.values",
        "result's value 基本符合 has no event type (every value of its enum needs one)",
    ),
    (
        FOOD,
        "  type: food_inspection_failure",
        "  type: {map: findings, values: {x: food_inspection_failure}}",
        "type: {map",
        ".event.type.map",
        "findings has no enum: map needs one, so every value has a type",
    ),
    (
        FOOD,
        "  type: food_inspection_failure",
        "  type: hidden_hazard",
        "event:",
        ".event",
        "hidden_hazard is rectifiable (contracts/vocabulary.yaml): give its deadline as due",
    ),
    (
        FOOD,
        "  place: inspected_premises\n",
        "  place: inspected_premises\n  due: inspection_date\n",
        "due:",
        ".event.due",
        "due is the deadline of a rectifiable finding; food_inspection_failure is not (rectifiable: true in contracts/vocabulary.yaml)",
    ),
    (
        FOOD,
        "  description: findings",
        "  deaths: findings",
        "deaths:",
        ".event.deaths",
        "findings must be a number, not string",
    ),
    (
        FOOD,
        "  description: findings",
        "  severity: {casualtyGrade: {injuries: findings}}",
        "severity:",
        ".event.severity.casualtyGrade",
        "casualtyGrade needs deaths (and may take seriousInjuries)",
    ),
    (
        FOOD,
        "  place: inspected_premises\n",
        "  place: inspected\n",
        "place: inspected\n",
        ".event.place",
        "no place mention 'inspected' (declared: inspected_premises)",
    ),
    (
        FOOD,
        "  description: findings",
        "  description: {template: '{findings} {'}",
        "description:",
        ".event.description.template",
        "braces belong to slots only: {property} or {property?}",
    ),
    (
        FOOD,
        "  description: findings",
        "  description: {prefix: [findings, 0]}",
        "description:",
        ".event.description.prefix",
        "prefix is [property, length], the length a whole number from 1, not ['findings', 0]",
    ),
    (
        FOOD,
        "  description: findings",
        "  description: {const: true}",
        "description:",
        ".event.description.const",
        "const is a text or a number, not True",
    ),
    (
        FOOD,
        "  description: findings",
        "  description: {concat: [findings]}",
        "description:",
        ".event.description",
        "a value is a property name or one of {const: ...}, {firstOf: ...}, {prefix: ...}, {template: ...}, not {'concat': ['findings']}",
    ),
    (
        FOOD,
        "relations:",
        "records: {latestPer: [licence_no], orderBy: inspection_date}\nrelations:",
        "latestPer",
        ".records.latestPer",
        "latestPer is the key (inspection_id) or its first properties, not ['licence_no']",
    ),
    (
        FOOD,
        "relations:",
        "derivedEvents: [{model: food_episodes, types: [food_inspection_failure]}]\nrelations:",
        "derivedEvents",
        ".derivedEvents[0].model",
        "model is an intermediate dbt model (snake_case, int_...), not 'food_episodes'",
    ),
    (
        TRAFFIC,
        "point: [longitude, latitude]",
        "point: [latitude, longitude]",
        "point:",
        ".mentions[0].point",
        "point is [longitude, latitude] as `coordinates` names them: [longitude, latitude], not ['latitude', 'longitude']",
    ),
    (
        TRAFFIC,
        "  name: driver_name",
        "  name: cause",
        "name: cause",
        ".mentions[1].name",
        "'cause' is not a property of vehicles's items (inside `each`, name the items' properties)",
    ),
    (
        TRAFFIC,
        "  identityNumber: driver_id_number",
        "  identityNumber: driver_name",
        "identityNumber",
        ".mentions[1].identityNumber",
        "driver_name has no `standard: identity_number`",
    ),
    (
        TRAFFIC,
        "objectKind: vehicle,",
        "objectKind: car,",
        "objectKind: car",
        ".mentions[2].objectKind",
        f"'car' is not an object kind of contracts/vocabulary.yaml (known: {KNOWN_OBJECT_KINDS}): add it there",
    ),
    (
        TRAFFIC,
        "  description: cause",
        "  description: vehicles",
        "description: vehicles",
        ".event.description",
        "vehicles is an array: map its items with `each: vehicles`",
    ),
    (
        TRAFFIC,
        "  injuries: injuries",
        "  injuries: {sum: [deaths, cause]}",
        "injuries: {sum",
        ".event.injuries.sum[1]",
        "cause must be a number, not string",
    ),
]


@pytest.mark.parametrize(("feed", "old", "new", "on_line", "key", "message"), CASES)
def test_each_mistake_is_named_with_its_line(
    contracts: Path, feed: str, old: str, new: str, on_line: str, key: str, message: str
) -> None:
    base = FOOD_MAPPING if feed == FOOD else TRAFFIC_MAPPING
    assert base.count(old) == 1, old
    path = add_mapping(contracts, feed, base.replace(old, new))
    at = FOOD_AT if feed == FOOD else TRAFFIC_AT
    line = line_of(path, on_line)
    assert problems(path) == [f"contracts/{feed}:{line}: {at}{key}: {message}"]


def test_a_bad_mapping_is_reported_with_the_contracts_other_problems(contracts: Path) -> None:
    path = add_mapping(
        contracts, FOOD, FOOD_MAPPING.replace("  time: inspection_date", "  time: when")
    )
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    value: 0.05", "    value: 5"), encoding="utf-8")
    feeds = load_feed_contracts(contracts)
    assert ("market_regulation", "food_inspections") not in feeds
    assert list(feeds.problems) == [
        f"contracts/{FOOD}:36: customProperties[1].value: quarantineThreshold must be a number "
        "from 0 to 1",
        f"contracts/{FOOD}:{line_of(path, 'time: when')}: {FOOD_AT}.event.time: 'when' is not "
        "a property",
    ]


def test_a_mapping_needs_the_shared_vocabulary(contracts: Path, tmp_path: Path) -> None:
    path = add_mapping(contracts, FOOD, FOOD_MAPPING)
    vocabulary_path(contracts).write_text("version: 1.0.0\n", encoding="utf-8")  # invalid
    assert problems(path) == [
        f"contracts/{FOOD}:{line_of(path, 'value:')}: {FOOD_AT}: a mapping needs the shared "
        "vocabulary (contracts/vocabulary.yaml), which is missing or has problems: "
        "`safecity contract check` lists them"
    ]
    # The vocabulary is needed by mappings only: the other feeds are served as before.
    feeds = load_feed_contracts(contracts)
    assert len(feeds) == len(list((contracts / "feeds").glob("*/*.odcs.yaml"))) - 1  # all but FOOD
    assert isinstance(feeds[("traffic_police", "traffic_accidents")], FeedContract)


FIRE = "feeds/fire_rescue/fire_incidents.odcs.yaml"
FIRE_MAPPING = """\
mentions:
- {kind: organisation, role: involved_unit, name: involved_unit, county: county_code}
- {kind: organisation, role: responding_station, split: {column: stations_sent, separator: ';'},
   type: {const: fire_station}, responder: true}
- {kind: place, role: incident_site, address: address, county: county_code, point: [longitude, latitude]}
relations: [{type: site, organisation: involved_unit, place: incident_site}]
event:
  type: {map: incident_type, values: {火灾: fire, 抢险救援: rescue, 社会救助: social_assistance}}
  time: alarm_at
  severity: {casualtyGrade: {deaths: deaths}}
  deaths: deaths
  injuries: injuries
  place: incident_site
  county: county_code
  description: {firstOf: [fire_cause, incident_type]}
"""


def test_a_type_per_value_and_several_stations_in_one_cell(contracts: Path) -> None:
    mapping = load_contract(add_mapping(contracts, FIRE, FIRE_MAPPING)).mapping
    assert mapping is not None
    station = mapping.mention("organisation", "responding_station")
    assert station is not None
    assert (station.split, station.responder, station.register) == (
        Split("stations_sent", ";"),
        True,
        False,
    )
    assert station.attribute("type") == ConstantValue("fire_station")
    assert mapping.event is not None
    assert mapping.event.type == EventTypeMap(
        "incident_type",
        (("火灾", "fire"), ("抢险救援", "rescue"), ("社会救助", "social_assistance")),
    )
    assert mapping.event.event_types == ("fire", "rescue", "social_assistance")
    assert mapping.relations[0].type == "site"


def test_a_constant_organisation_type_is_one_the_vocabulary_lists(contracts: Path) -> None:
    misspelt = FIRE_MAPPING.replace("const: fire_station", "const: fire_statoin")
    path = add_mapping(contracts, FIRE, misspelt)
    [problem] = problems(path)
    assert problem.startswith(f"contracts/{FIRE}:{line_of(path, 'fire_statoin')}: "), problem
    assert problem.endswith(
        ".mentions[1].type: 'fire_statoin' is not an organisation type of "
        "contracts/vocabulary.yaml (known: fire_station, hospital): add it there"
    ), problem


def test_readings_collapsed_per_detector_and_derived_events(contracts: Path) -> None:
    flow = add_mapping(
        contracts,
        "feeds/traffic_police/traffic_flow.odcs.yaml",
        "records: {latestPer: [detector_id], orderBy: interval_start}\n"
        "mentions:\n"
        "- {kind: object, role: detector, objectKind: traffic_detector, code: detector_id,"
        " name: road_name}\n"
        "- {kind: place, role: detector_site, point: [longitude, latitude]}\n"
        "relations: [{type: locatedAt, object: detector, place: detector_site}]\n",
    )
    mapping = load_contract(flow).mapping
    assert mapping is not None
    assert mapping.records == LatestRecords(("detector_id",), "interval_start")
    assert mapping.event is None
    air = add_mapping(
        contracts,
        "feeds/ecology_environment/air_quality_hourly.odcs.yaml",
        "derivedEvents:\n- {model: int_air_quality_episode_events, types: [air_quality_episode]}\n",
    )
    derived = load_contract(air).mapping.derived_events  # type: ignore[union-attr]
    assert [(d.model, d.types) for d in derived] == [
        ("int_air_quality_episode_events", ("air_quality_episode",))
    ]


MORE_CASES = [
    (
        FOOD,
        "relations:\n- {type: premises",
        "relations:\n- {type: premises, place: inspected_premises, organisation: inspected}\n- {type: premises",
        "{type: premises, organisation: inspected, place: inspected_premises}",
        ".relations[1]",
        "the same relation is given twice",
    ),
    (
        FOOD,
        "relations:\n- {type: premises",
        "relations:\n- {type: premises, organisation: inspected}\n- {type: premises",
        "organisation: inspected}",
        ".relations[0]",
        "a premises relation names the place mention's role as `place`",
    ),
    (
        FOOD,
        "  name: business_name",
        "  each: vehicles",
        "each: vehicles",
        ".mentions[0].each",
        "each must name an array property with items, not 'vehicles'",
    ),
    (
        FOOD,
        "role: inspected_premises,",
        "role: inspected_premises, split: {column: address, separator: ';'},",
        "split:",
        ".mentions[1].split",
        "split gives names: organisation and person mentions only",
    ),
    (
        FOOD,
        "  name: business_name",
        "  split: {column: business_name, separator: ''}",
        "split:",
        ".mentions[0].split.separator",
        "separator is the text between two names, e.g. ';'",
    ),
    (
        FOOD,
        "  when: {column: result, equals: 不符合}",
        "  when: {column: result, in: []}",
        "when:",
        ".event.when.in",
        "in must list one or more values",
    ),
    (
        FOOD,
        "  when: {column: result, equals: 不符合}",
        "  when: {column: findings, present: false}",
        "when:",
        ".event.when.present",
        "present must be true (a value is there)",
    ),
    (
        FOOD,
        "  type: food_inspection_failure",
        "  type: {map: result, values: {符合: food_inspection_failure, 基本符合: food_inspection_failure, 不符合: food_inspection_failure, 合格: food_inspection_failure}}",
        "type: {map",
        ".event.type.values.合格",
        "'合格' is not a value of result (its enum: 符合, 基本符合, 不符合)",
    ),
    (
        FOOD,
        "  description: findings",
        "  description: {firstOf: [findings]}",
        "description:",
        ".event.description.firstOf",
        "firstOf lists two or more values, the first not null is taken",
    ),
    (
        FOOD,
        "  description: findings",
        "  description: {template: findings}",
        "description:",
        ".event.description.template",
        "a template is text with {property} (or {property?}) slots",
    ),
    (
        FOOD,
        "  description: findings",
        "  injuries: {sum: [findings]}",
        "injuries:",
        ".event.injuries.sum",
        "sum lists two or more number properties",
    ),
    (
        FOOD,
        "  description: findings",
        "  major: {column: result, equals: 重大}",
        "major:",
        ".event.major.equals",
        "'重大' is not a value of result (its enum: 符合, 基本符合, 不符合)",
    ),
    (
        FOOD,
        "  county: county_code\n  description",
        "  county: address\n  description",
        "county: address",
        ".event.county",
        "address has no `standard: admin_county`",
    ),
    (
        FOOD,
        "relations:",
        "records: {latestPer: [inspection_id], orderBy: findings}\nrelations:",
        "records:",
        ".records.orderBy",
        "findings must be a date or timestamp, not string",
    ),
    (
        FOOD,
        "relations:",
        "derivedEvents: [{model: int_food_episodes, types: [food_episode]}]\nrelations:",
        "derivedEvents",
        ".derivedEvents[0].types[0]",
        f"'food_episode' is not an event type of contracts/vocabulary.yaml (known: {KNOWN_EVENT_TYPES}): add it there",
    ),
    (
        TRAFFIC,
        "objectKind: vehicle, ",
        "",
        "role: involved_vehicle",
        ".mentions[2]",
        "an object mention needs its objectKind (contracts/vocabulary.yaml)",
    ),
    (
        TRAFFIC,
        "  each: vehicles\n  name: driver_name",
        "  each: vehicles\n  split: {column: cause, separator: ';'}",
        "kind: person",
        ".mentions[1]",
        "each or split, not both: one mention per item, or per part of a cell",
    ),
    (
        TRAFFIC,
        "  place: accident_site",
        "  place: driver_site",
        "place: driver_site",
        ".event.place",
        "no place mention 'driver_site' (declared: accident_site)",
    ),
]


@pytest.mark.parametrize(("feed", "old", "new", "on_line", "key", "message"), MORE_CASES)
def test_each_further_mistake_is_named_with_its_line(
    contracts: Path, feed: str, old: str, new: str, on_line: str, key: str, message: str
) -> None:
    test_each_mistake_is_named_with_its_line(contracts, feed, old, new, on_line, key, message)


def test_a_place_is_one_per_record(contracts: Path) -> None:
    mapping = TRAFFIC_MAPPING.replace(
        "- kind: person\n",
        "- {kind: place, role: vehicle_site, each: vehicles, address: vehicle_type}\n- kind: person\n",
    )
    path = add_mapping(contracts, TRAFFIC, mapping)
    assert problems(path) == [
        f"contracts/{TRAFFIC}:{line_of(path, 'role: vehicle_site')}: {TRAFFIC_AT}.mentions[1].each: "
        "a place is one per record and role: each is for the other kinds"
    ]


def test_a_relation_joins_mentions_the_record_has_once(contracts: Path) -> None:
    mapping = (
        TRAFFIC_MAPPING
        + "relations:\n- {type: locatedAt, object: involved_vehicle, place: accident_site}\n"
    )
    path = add_mapping(contracts, TRAFFIC, mapping)
    assert problems(path) == [
        f"contracts/{TRAFFIC}:{line_of(path, 'type: locatedAt')}: {TRAFFIC_AT}.relations[0]: "
        "involved_vehicle is repeated (each or split): a relation joins mentions the record has once"
    ]


def test_the_time_of_an_event_is_never_null(contracts: Path) -> None:
    path = contracts / FOOD
    text = path.read_text(encoding="utf-8")
    optional_date = text.replace(
        "        physicalType: DATE\n        required: true\n", "        physicalType: DATE\n", 1
    )
    assert optional_date != text
    path.write_text(optional_date, encoding="utf-8")
    add_mapping(contracts, FOOD, FOOD_MAPPING)
    assert problems(path) == [
        f"contracts/{FOOD}:{line_of(path, 'time: inspection_date')}: {FOOD_AT}.event.time: "
        "inspection_date must be required: fct_event.occurred_at is"
    ]


def test_a_mapping_is_an_object_that_says_something(contracts: Path) -> None:
    path = add_mapping(contracts, FOOD, "relations: [{type: premises}]\n")
    assert problems(path) == [
        f"contracts/{FOOD}:{line_of(path, 'value:')}: {FOOD_AT}: mapping is an object with "
        "mentions, an event or derivedEvents"
    ]


def test_a_contract_outside_a_contracts_folder_uses_the_configured_vocabulary(
    contracts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = tmp_path / "drafts" / "market_regulation" / "food_inspections.odcs.yaml"
    draft.parent.mkdir(parents=True)
    shutil.copy(add_mapping(contracts, FOOD, FOOD_MAPPING), draft)
    monkeypatch.setenv(CONTRACTS_DIR_ENV, str(contracts))
    assert load_contract(draft).mapping is not None
    monkeypatch.setenv(CONTRACTS_DIR_ENV, str(tmp_path / "nowhere"))
    assert problems(draft)[0].endswith(
        f"{FOOD_AT}: a mapping needs the shared vocabulary (contracts/vocabulary.yaml), which "
        "is missing or has problems: `safecity contract check` lists them"
    )


HOTLINE = "feeds/citizen_hotline/hotline_reports.odcs.yaml"


def test_an_event_type_read_from_text_by_the_vocabularys_keywords(contracts: Path) -> None:
    mapping = load_contract(
        add_mapping(
            contracts,
            HOTLINE,
            "event: {type: {classify: content, otherwise: citizen_report}, time: called_at}\n",
        )
    ).mapping
    assert mapping is not None and mapping.event is not None
    classified = mapping.event.type
    assert isinstance(classified, EventTypeClassified)
    assert (classified.column, classified.otherwise) == ("content", "citizen_report")
    # Every type with keywords can come out of the text, and the fallback.
    with_keywords = {t.name for t in VOCABULARY.event_types.values() if t.keywords}
    assert {"fire", "traffic_accident", "food_safety_complaint"} <= with_keywords
    assert set(mapping.event.event_types) == with_keywords | {"citizen_report"}


def test_classify_reads_a_text_property_and_falls_back_to_a_known_type(contracts: Path) -> None:
    path = add_mapping(
        contracts,
        HOTLINE,
        "event: {type: {classify: called_at, otherwise: complaint}, time: called_at}\n",
    )
    found = problems(path)
    assert any(p.endswith("called_at is not text: classify reads a string property") for p in found)
    assert any("'complaint' is not an event type of contracts/vocabulary.yaml" in p for p in found)


def test_approximate_points_leave_the_place_to_the_address(contracts: Path) -> None:
    from pipelines.lib.dbt_models.feed_sql import FeedSql

    alarms = "feeds/public_security/police_alarms.odcs.yaml"
    place = "- {kind: place, role: incident_site, address: address, county: county_code, point: [longitude, latitude]}\n"
    path = add_mapping(contracts, alarms, f"mentions:\n{place}")
    contract = load_contract(path)
    assert contract.coordinates is not None and contract.coordinates.accuracy_m == 100
    mention = contract.mapping.mention("place", "incident_site")
    key = FeedSql(contract, VOCABULARY).location_key(mention)
    # The point only where the record gives no address.
    assert "case when address is null then longitude end" in key

    text = path.read_text(encoding="utf-8").replace("accuracyMetres: 100", "accuracyMetres: -5")
    path.write_text(text, encoding="utf-8")
    assert any(
        p.endswith(
            "value.accuracyMetres: accuracyMetres is how far (metres, > 0) a point may be "
            "from its place, not -5"
        )
        for p in problems(path)
    )
