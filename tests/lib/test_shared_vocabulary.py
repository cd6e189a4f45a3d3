"""contracts/vocabulary.yaml: today's values load, and every mistake is named with its line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines import cli
from pipelines.lib.contracts import CONTRACTS_DIR_ENV, ContractError
from pipelines.lib.contracts.css_colours import CSS_COLOUR_NAMES, is_css_colour
from pipelines.lib.contracts.shared_vocabulary import (
    feed_departments,
    load_shared_vocabulary,
    vocabulary_path,
)
from pipelines.lib.contracts.vocabulary import NATIONAL_EVENT_CATEGORIES
from tests.lib.warehouse_vocabulary import todays

REPO_CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"

VALID = """\
version: 1.0.0
eventTypes:
  fire: {category: accident_disaster, proximity: true, mapColour: darkred}
  hidden_hazard: {category: accident_disaster, rectifiable: true}
objectKinds:
  vehicle: {codePrefix: V, code: plate}
departments:
  fire_rescue: {name: 消防救援机构}
organisationTypes:
  fire_station: {uniqueName: true}
  school: {}
"""


def write(tmp_path: Path, text: str) -> Path:
    """A contracts folder with the vocabulary and one department (fire_rescue)."""
    contracts = tmp_path / "contracts"
    (contracts / "feeds" / "fire_rescue").mkdir(parents=True)
    path = vocabulary_path(contracts)
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(ContractError) as error:
        load_shared_vocabulary(path, feed_departments(path.parent))
    return list(error.value.messages)


def test_the_repository_vocabulary_holds_what_the_warehouse_uses() -> None:
    vocabulary = load_shared_vocabulary(
        vocabulary_path(REPO_CONTRACTS), feed_departments(REPO_CONTRACTS)
    )
    # The warehouse's types and kinds (resolved from the mappings by `enumFrom`) are today's.
    assert tuple(sorted(vocabulary.event_types)) == todays("fct_event", "event_type")
    assert tuple(sorted(vocabulary.object_kinds)) == todays("dim_object", "kind")
    fct_event = yaml.safe_load((REPO_CONTRACTS / "warehouse/fct_event.odcs.yaml").read_text())
    columns = {c["name"]: c for c in fct_event["schema"][0]["properties"]}
    assert [v["value"] for v in columns["category"]["enum"]] == list(NATIONAL_EVENT_CATEGORIES)
    assert set(vocabulary.department_names) == set(feed_departments(REPO_CONTRACTS))
    assert vocabulary.event_types["hidden_hazard"].rectifiable
    assert vocabulary.event_types["food_inspection_failure"].category == "public_health"
    assert vocabulary.object_kinds["vehicle"].code_normaliser == "plate"
    assert vocabulary.organisation_types["fire_station"].unique_name
    assert any(t.map_colour for t in vocabulary.event_types.values())  # the one map has incidents


def test_a_valid_vocabulary_compiles(tmp_path: Path) -> None:
    vocabulary = load_shared_vocabulary(write(tmp_path, VALID), ["fire_rescue"])
    assert vocabulary.display == "contracts/vocabulary.yaml"
    assert vocabulary.event_types["fire"].proximity
    assert not vocabulary.event_types["fire"].rectifiable
    assert vocabulary.event_types["fire"].map_colour == "darkred"
    assert vocabulary.event_types["hidden_hazard"].map_colour is None  # not on the map
    assert vocabulary.object_kinds["vehicle"].code_prefix == "V"
    assert vocabulary.department_name("fire_rescue") == "消防救援机构"
    assert vocabulary.department_name("gas_utility") == "gas_utility"  # not listed: identifier
    assert vocabulary.organisation_types["fire_station"].unique_name
    assert not vocabulary.organisation_types["school"].unique_name


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "version: 1.0.0",
            "version: 1.0",
            "contracts/vocabulary.yaml:1: version: version is required, as a string "
            "(quote a number)",
        ),
        (
            "  fire: {category: accident_disaster,",
            "  fire: {category: disaster,",
            "contracts/vocabulary.yaml:3: eventTypes.fire.category: category must be a national "
            "category of emergency events (natural_disaster, accident_disaster, public_health, "
            "social_security), not 'disaster'",
        ),
        (
            "proximity: true,",
            "proximity: yes please,",
            "contracts/vocabulary.yaml:3: eventTypes.fire.proximity: proximity must be true or "
            "false",
        ),
        (
            "mapColour: darkred}",
            "mapColour: dark red}",
            "contracts/vocabulary.yaml:3: eventTypes.fire.mapColour: mapColour must be a CSS "
            "colour name (e.g. darkred) or a hex code (#rgb or #rrggbb), not 'dark red'; leave "
            "it out to keep the type off the map",
        ),
        (
            "mapColour: darkred}",
            "mapColour: '#8b00'}",
            "contracts/vocabulary.yaml:3: eventTypes.fire.mapColour: mapColour must be a CSS "
            "colour name (e.g. darkred) or a hex code (#rgb or #rrggbb), not '#8b00'; leave "
            "it out to keep the type off the map",
        ),
        (
            "  fire: {",
            "  Fire: {",
            "contracts/vocabulary.yaml:3: eventTypes.Fire: 'Fire' must be snake_case",
        ),
        (
            "rectifiable: true}",
            "rectifyable: true}",
            "contracts/vocabulary.yaml:4: eventTypes.hidden_hazard: 'rectifyable' is not allowed "
            "in an event type (misspelt key?)",
        ),
        (
            "{codePrefix: V, code: plate}",
            "{codePrefix: VH, code: plate}",
            "contracts/vocabulary.yaml:6: objectKinds.vehicle.codePrefix: codePrefix must be one "
            "capital letter, not 'VH'",
        ),
        (
            "{codePrefix: V, code: plate}",
            "{codePrefix: V, code: vin}",
            "contracts/vocabulary.yaml:6: objectKinds.vehicle.code: code must be one of plate "
            "(or left out to keep codes as delivered), not 'vin'",
        ),
        (
            "  fire_rescue: {name: 消防救援机构}",
            "  fire_rescu: {name: 消防救援机构}",
            "contracts/vocabulary.yaml:8: departments.fire_rescu: unknown department "
            "'fire_rescu': departments are the folders of contracts/feeds/ (fire_rescue)",
        ),
        (
            "  fire_rescue: {name: 消防救援机构}",
            "  fire_rescue: {name: ' '}",
            "contracts/vocabulary.yaml:8: departments.fire_rescue.name: name (the display name) "
            "is required",
        ),
        (
            "{uniqueName: true}",
            "{uniqueName: yes please}",
            "contracts/vocabulary.yaml:10: organisationTypes.fire_station.uniqueName: uniqueName "
            "must be true or false",
        ),
        (
            "version: 1.0.0\n",
            "version: 1.0.0\ncolours: {}\n",
            "contracts/vocabulary.yaml:2: (root): 'colours' is not allowed in the vocabulary "
            "(misspelt key?)",
        ),
    ],
)
def test_each_mistake_is_named_with_its_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert VALID.count(old) == 1
    assert problems(tmp_path, VALID.replace(old, new)) == [message]


@pytest.mark.parametrize("colour", ["darkred", "rebeccapurple", "#8b0000", "#F00"])
def test_a_map_colour_is_a_css_name_or_hex_code(tmp_path: Path, colour: str) -> None:
    text = VALID.replace("mapColour: darkred", f"mapColour: '{colour}'")
    vocabulary = load_shared_vocabulary(write(tmp_path, text), ["fire_rescue"])
    assert vocabulary.event_types["fire"].map_colour == colour


def test_the_css_colour_names_are_the_standard_ones() -> None:
    from matplotlib.colors import CSS4_COLORS  # an independent copy of the CSS Color 4 names

    assert set(CSS_COLOUR_NAMES) == set(CSS4_COLORS)
    assert not is_css_colour("DarkRed") and not is_css_colour(7) and not is_css_colour("#ggg")


def test_missing_sections_and_a_shared_prefix_are_all_reported_at_once(tmp_path: Path) -> None:
    text = "version: 1.0.0\nobjectKinds:\n  vehicle: {codePrefix: V}\n  valve: {codePrefix: V}\n"
    assert problems(tmp_path, text) == [
        "contracts/vocabulary.yaml:1: (root): eventTypes is required: a mapping of name -> entry",
        "contracts/vocabulary.yaml:4: objectKinds.valve.codePrefix: codePrefix 'V' is vehicle's "
        "already: object keys would collide",
    ]


def test_contract_check_checks_the_vocabulary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    path = write(tmp_path, VALID.replace("category: accident_disaster, proximity", "proximity"))
    monkeypatch.setenv(CONTRACTS_DIR_ENV, str(path.parent))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["contract", "check", "contracts/vocabulary.yaml"]) == 1
    out = capsys.readouterr().out
    assert (
        "contracts/vocabulary.yaml:3: eventTypes.fire.category: category must be a national "
        "category of emergency events (natural_disaster, accident_disaster, public_health, "
        "social_security), not None"
    ) in out
