"""Tests for pipelines.lib.contracts: loading, validating and compiling ODCS feed contracts.

Broken contracts are made by editing the reference contract's text, so each
test shows exactly the mistake it is about and the line it must be reported at.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.lib.contracts import (
    CONTRACTS_DIR_ENV,
    ContractError,
    FeedContract,
    Landing,
    contracts_dir,
    load_contract,
    load_feed_contracts,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = REPO_ROOT / "contracts/feeds/market_regulation/food_inspections.odcs.yaml"
REFERENCE_TEXT = REFERENCE.read_text(encoding="utf-8")


def edited(old: str, new: str, text: str = REFERENCE_TEXT) -> str:
    # Exactly one occurrence, so a changed reference fails here rather than
    # silently testing an unbroken contract.
    assert text.count(old) == 1, f"not exactly once in the reference: {old!r}"
    return text.replace(old, new)


def write_contract(
    root: Path, text: str, department: str = "market_regulation", feed: str = "food_inspections"
) -> Path:
    path = root / "contracts" / "feeds" / department / f"{feed}.odcs.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line containing `needle`."""
    hits = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def load_errors(tmp_path: Path, text: str) -> list[str]:
    path = write_contract(tmp_path, text)
    with pytest.raises(ContractError) as raised:
        load_contract(path, root=tmp_path)
    assert str(raised.value) == "\n".join(raised.value.messages)
    return list(raised.value.messages)


FILE = "contracts/feeds/market_regulation/food_inspections.odcs.yaml"


# --- the reference contract ------------------------------------------------------


@pytest.fixture(scope="module")
def reference() -> FeedContract:
    return load_contract(REFERENCE, root=REPO_ROOT)


def test_reference_identity_owner_and_landing(reference: FeedContract) -> None:
    assert reference.id == "urn:safecity:feed:market_regulation:food_inspections"
    assert reference.version == "1.0.0"
    assert (reference.department, reference.feed) == ("market_regulation", "food_inspections")
    assert reference.owner == "food-safety-data@scjg.chengdu.example"
    assert reference.description is not None and "日常监督检查" in reference.description
    assert reference.landing == Landing(
        format="csv", encoding="gb18030", file="food_inspections_{yyyymmdd}.csv"
    )
    assert reference.coordinates is None
    assert reference.quarantine_threshold == 0.05


def test_reference_fields_and_key(reference: FeedContract) -> None:
    assert [f.name for f in reference.fields] == [
        "inspection_id",
        "licence_no",
        "business_name",
        "address",
        "county_code",
        "inspection_date",
        "result",
        "findings",
        "inspectors",
    ]
    assert reference.key == ("inspection_id",)

    inspection_id = reference.field("inspection_id")
    assert (inspection_id.required, inspection_id.unique) == (True, True)
    assert inspection_id.primary_key_position == 1
    assert inspection_id.pattern == r"^JC\d{13}$"
    assert inspection_id.line == line_of(REFERENCE_TEXT, "- name: inspection_id")

    address = reference.field("address")
    assert (address.required, address.primary_key_position) == (False, None)
    assert address.source == "经营地址"
    assert address.source_aliases == ("经营场所",)
    assert address.max_length == 300

    inspection_date = reference.field("inspection_date")
    assert (inspection_date.logical_type, inspection_date.physical_type) == ("date", "DATE")
    assert inspection_date.source_formats == ("%Y/%m/%d", "%Y-%m-%d", "%Y年%m月%d日", "%Y%m%d")
    assert inspection_date.not_after_delivery is True
    assert inspection_date.timezone is None  # dates have no time zone

    assert reference.field("result").enum == ("符合", "基本符合", "不符合")
    assert reference.field("result").source_aliases == ("检查结论",)
    assert reference.field("county_code").standard == "admin_county"
    assert reference.field("inspectors").classification == "personal"
    assert reference.field("business_name").business_name == "经营者名称"
    with pytest.raises(KeyError):
        reference.field("no_such_field")


def test_reference_sla(reference: FeedContract) -> None:
    assert reference.sla.frequency_days == 1.0
    assert reference.sla.latency_days == 1.0
    assert reference.sla.latency_element == "inspection_date"


def test_sla_in_hours_is_converted_to_days(tmp_path: Path) -> None:
    text = edited(
        "  - property: latency\n    value: 1\n    unit: d",
        "  - property: latency\n    value: 6\n    unit: h",
    )
    contract = load_contract(write_contract(tmp_path, text))
    assert contract.sla.latency_days == pytest.approx(0.25)


def test_a_timestamp_without_a_zone_of_its_own_is_in_the_citys(tmp_path: Path) -> None:
    text = edited(
        "        logicalType: date\n        physicalType: DATE",
        "        logicalType: timestamp\n        physicalType: TIMESTAMPTZ",
    )
    contract = load_contract(write_contract(tmp_path, text))
    # None: ingestion reads it in the city profile's time zone (tests/ingest/test_city_profile_in_ingestion.py).
    assert contract.field("inspection_date").timezone is None


# --- schema errors -----------------------------------------------------------------


def test_misspelt_odcs_key_names_its_own_line(tmp_path: Path) -> None:
    text = edited(
        "        required: true\n        unique: true",
        "        requird: true\n        unique: true",
    )
    errors = load_errors(tmp_path, text)
    line = line_of(text, "requird:")
    # Only the misspelt key: not also the keys jsonschema calls "unevaluated" around it.
    assert errors == [
        f"{FILE}:{line}: schema[0].properties[0]: 'requird' is not allowed (misspelt key?)"
    ]


def test_broken_custom_property_entry_is_the_only_error(tmp_path: Path) -> None:
    # jsonschema also calls the property's sound keys (name, businessName...)
    # "unevaluated" once a subschema fails; only the real mistake is reported.
    text = edited("            value: 检查人员", "            valu: 检查人员")
    errors = load_errors(tmp_path, text)
    entry = line_of(text, "valu: 检查人员") - 1  # the `- property: source` line above
    assert errors == [
        (
            f"{FILE}:{entry}: schema[0].properties[8].customProperties[0]: "
            "'value' is a required property"
        ),
        (
            f"{FILE}:{line_of(text, 'valu: 检查人员')}: schema[0].properties[8].customProperties[0]: "
            "'valu' is not allowed (misspelt key?)"
        ),
    ]


def test_misspelt_key_in_team_member_is_found_inside_one_of(tmp_path: Path) -> None:
    # `team` is oneOf(object, deprecated list): the error must be the object branch's.
    text = edited("    - username: food", "    - usrname: food")
    errors = load_errors(tmp_path, text)
    line = line_of(text, "usrname:")
    assert f"{FILE}:{line}: team.members[0]: 'usrname' is not allowed (misspelt key?)" in errors
    assert all("is not of type" not in e and "not valid under" not in e for e in errors)


@pytest.mark.parametrize(
    "owner", ["owner@water_affairs.example", "food safety team", "data@localhost"]
)
def test_an_owner_the_ui_cannot_show_is_named_with_its_line(tmp_path: Path, owner: str) -> None:
    """Dagster refuses such an asset owner for the whole code location: the contract says so first."""
    text = edited("food-safety-data@scjg.chengdu.example", owner)
    errors = load_errors(tmp_path, text)
    assert errors == [
        f"{FILE}:{line_of(text, owner)}: team.members[0].username: {owner!r} must be an email "
        "address, its domain of letters, digits, '.' and '-' (no '_'; e.g. "
        "data@urban-management.example): the UI shows it as the feed's owner"
    ]


def test_wrong_value_type_names_the_key(tmp_path: Path) -> None:
    text = edited("        unique: true", "        unique: yes please")
    errors = load_errors(tmp_path, text)
    line = line_of(text, "unique: yes please")
    assert errors == [
        f"{FILE}:{line}: schema[0].properties[0].unique: must be of type 'boolean', not string"
    ]


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    text = edited("        unique: true", "        unique: true\n        unique: false")
    errors = load_errors(tmp_path, text)
    assert errors == [
        f"{FILE}:{line_of(text, 'unique: false')}: schema[0].properties[0].unique: duplicate key"
    ]


def test_a_duplicate_key_beside_a_yaml_error_is_named_once(tmp_path: Path) -> None:
    # libyaml reads the file first; where it fails, the Python parser reads it again for its words.
    text = edited("        unique: true", "        unique: true\n        unique: !secret false")
    errors = load_errors(tmp_path, text)
    assert [e for e in errors if e.endswith("duplicate key")] == [
        f"{FILE}:{line_of(text, 'unique: !secret')}: schema[0].properties[0].unique: duplicate key"
    ]
    assert any("(yaml)" in e and "!secret" in e for e in errors), errors


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = edited("version: 1.0.0", "version: [1.0.0")
    errors = load_errors(tmp_path, text)
    assert len(errors) == 1 and errors[0].startswith(f"{FILE}:")
    assert "(yaml)" in errors[0]


# --- house rules -------------------------------------------------------------------


def test_misspelt_custom_property_lists_the_known_names(tmp_path: Path) -> None:
    text = edited(
        "          - property: sourceAliases\n            value: [经营场所]",
        "          - property: sourceAlias\n            value: [经营场所]",
    )
    errors = load_errors(tmp_path, text)
    assert len(errors) == 1
    line = line_of(text, "property: sourceAlias")
    assert errors[0].startswith(
        f"{FILE}:{line}: schema[0].properties[3].customProperties[1]: "
        "unknown custom property 'sourceAlias'"
    )
    assert "sourceAliases" in errors[0] and "sourceFormats" in errors[0]


def test_misspelt_contract_level_custom_property(tmp_path: Path) -> None:
    text = edited("  - property: quarantineThreshold", "  - property: quarantineTreshold")
    errors = load_errors(tmp_path, text)
    assert errors[0].startswith(
        f"{FILE}:{line_of(text, 'quarantineTreshold')}: customProperties[1]: "
        "unknown custom property 'quarantineTreshold'"
    )


def test_property_without_classification_names_its_line(tmp_path: Path) -> None:
    text = edited("        classification: personal\n", "")
    errors = load_errors(tmp_path, text)
    line = line_of(text, "- name: inspectors")
    assert len(errors) == 1
    assert errors[0].startswith(
        f"{FILE}:{line}: schema[0].properties[8]: classification must be one of"
    )


def test_unknown_classification_is_rejected(tmp_path: Path) -> None:
    text = edited("        classification: personal", "        classification: secret")
    errors = load_errors(tmp_path, text)
    assert errors[0].startswith(
        f"{FILE}:{line_of(text, 'classification: secret')}: schema[0].properties[8].classification:"
    )


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ("      role: owner", "      role: steward", "team", "role 'owner'"),
        (
            (
                "  - property: frequency\n    value: 1\n    unit: d\n"
                "    description: One file per day, header-only when there were no inspections.\n"
            ),
            "",
            "slaProperties",
            "'frequency' is required",
        ),
        (
            "  - property: latency\n    value: 1\n    unit: d",
            "  - property: latency\n    value: 1\n    unit: w",
            "slaProperties[1]",
            "unit must be one of",
        ),
        (
            "  name: market_regulation\n  members",
            "  name: traffic_police\n  members",
            "team.name",
            "department folder",
        ),
        ("domain: market_regulation", "domain: market", "domain", "department folder"),
    ],
    ids=["no-owner", "no-frequency-sla", "bad-sla-unit", "team-not-folder", "domain-not-team"],
)
def test_team_and_sla_rules(tmp_path: Path, old: str, new: str, key: str, message: str) -> None:
    errors = load_errors(tmp_path, edited(old, new))
    assert len(errors) == 1
    assert f": {key}: " in errors[0] and message in errors[0]


def test_missing_sla_section_is_rejected(tmp_path: Path) -> None:
    start = REFERENCE_TEXT.index("slaProperties:")
    end = REFERENCE_TEXT.index("customProperties:")
    errors = load_errors(tmp_path, REFERENCE_TEXT[:start] + REFERENCE_TEXT[end:])
    assert [e.split(": ", 2)[2] for e in errors] == [
        "SLA property 'frequency' is required",
        "SLA property 'latency' is required",
    ]


def test_date_without_source_formats_names_its_line(tmp_path: Path) -> None:
    text = edited(
        '          - property: sourceFormats\n            value: ["%Y/%m/%d", "%Y-%m-%d", "%Y年%m月%d日", "%Y%m%d"]\n',
        "",
    )
    errors = load_errors(tmp_path, text)
    assert errors == [
        (
            f"{FILE}:{line_of(text, '- name: inspection_date')}: schema[0].properties[5]: "
            "custom property 'sourceFormats' is required for date properties"
        )
    ]


def test_epoch_ms_must_stand_alone(tmp_path: Path) -> None:
    text = edited('value: ["%Y/%m/%d", "%Y-%m-%d",', 'value: ["epoch_ms", "%Y-%m-%d",')
    errors = load_errors(tmp_path, text)
    assert "'epoch_ms' alone" in errors[0]


def test_not_after_delivery_only_on_dates(tmp_path: Path) -> None:
    text = edited(
        "            value: 检查人员",
        "            value: 检查人员\n          - property: notAfterDelivery\n            value: true",
    )
    errors = load_errors(tmp_path, text)
    assert errors[0].startswith(
        f"{FILE}:{line_of(text, 'value: true', occurrence=2)}: schema[0].properties[8].customProperties[1].value:"
    )


def test_top_level_property_needs_source(tmp_path: Path) -> None:
    text = edited(
        "        customProperties:\n          - property: source\n            value: 检查人员\n", ""
    )
    errors = load_errors(tmp_path, text)
    assert errors == [
        (
            f"{FILE}:{line_of(text, '- name: inspectors')}: schema[0].properties[8]: "
            "custom property 'source' is required"
        )
    ]


def without_mapping(text: str) -> str:
    """The contract without its `mapping` (the last contract-level custom property)."""
    start, end = text.index("  - property: mapping\n"), text.index("\nschema:\n")
    return text[:start] + text[end + 1 :]


def test_property_names_are_snake_case_and_unique(tmp_path: Path) -> None:
    # The mapping names both properties; its own messages are tested in test_contract_mapping.
    text = edited(
        "      - name: findings", "      - name: inspectors", without_mapping(REFERENCE_TEXT)
    )
    text = edited("      - name: licence_no", "      - name: licenceNo", text)
    errors = load_errors(tmp_path, text)
    assert [e.split(": ", 1)[1] for e in errors] == [
        "schema[0].properties[1].name: property name 'licenceNo' must be snake_case",
        "schema[0].properties[8].name: property name 'inspectors' is used twice",
    ]


def test_exactly_one_schema_object(tmp_path: Path) -> None:
    errors = load_errors(tmp_path, REFERENCE_TEXT + "  - name: second\n    logicalType: object\n")
    assert errors == [
        f"{FILE}:{line_of(REFERENCE_TEXT, 'schema:')}: schema: a feed contract has exactly one schema object, not 2"
    ]


def test_landing_is_required_and_checked(tmp_path: Path) -> None:
    no_day = edited("file: food_inspections_{yyyymmdd}.csv", "file: food_inspections.csv")
    assert "exactly one {yyyymmdd}" in load_errors(tmp_path, no_day)[0]
    jsonl_encoding = edited("      format: csv", "      format: jsonl")
    assert "encoding applies to csv only" in load_errors(tmp_path, jsonl_encoding)[0]
    missing = edited(
        "  - property: landing\n    value:\n      format: csv\n      encoding: gb18030\n"
        "      file: food_inspections_{yyyymmdd}.csv\n",
        "",
    )
    assert "custom property 'landing' is required" in load_errors(tmp_path, missing)[0]


def test_unsupported_type_option_is_not_silently_ignored(tmp_path: Path) -> None:
    text = edited("          maxLength: 200", "          maxLength: 200\n          format: email")
    errors = load_errors(tmp_path, text)
    assert errors == [
        (
            f"{FILE}:{line_of(text, 'format: email')}: schema[0].properties[2].logicalTypeOptions: "
            "'format' is not supported for string properties (it would not be enforced)"
        )
    ]


COORDINATES = """\
  - property: coordinates
    value:
      system: GCJ02
      longitude: lng
      latitude: business_name
"""


def test_coordinates_must_name_number_properties(tmp_path: Path) -> None:
    text = edited(
        "customProperties:\n  - property: landing",
        "customProperties:\n" + COORDINATES + "  - property: landing",
    )
    errors = load_errors(tmp_path, text)
    assert errors == [
        (
            f"{FILE}:{line_of(text, 'longitude: lng')}: customProperties[0].value.longitude: "
            "longitude must name a number property, not 'lng'"
        ),
        (
            f"{FILE}:{line_of(text, 'latitude: business_name')}: customProperties[0].value.latitude: "
            "latitude must name a number property, not 'business_name'"
        ),
    ]


NUMBER_PROPERTIES = """\
      - name: lng
        logicalType: number
        physicalType: DOUBLE
        classification: public
        logicalTypeOptions:
          minimum: 73
          maximum: 136
        customProperties:
          - property: source
            value: 经度
      - name: lat
        logicalType: number
        physicalType: DOUBLE
        classification: public
        customProperties:
          - property: source
            value: 纬度
"""


def test_coordinates_and_number_ranges_compile(tmp_path: Path) -> None:
    text = edited(
        "customProperties:\n  - property: landing",
        "customProperties:\n" + COORDINATES + "  - property: landing",
    )
    text = edited("latitude: business_name", "latitude: lat", text) + NUMBER_PROPERTIES
    contract = load_contract(write_contract(tmp_path, text))
    assert contract.coordinates is not None
    assert (
        contract.coordinates.system,
        contract.coordinates.longitude,
        contract.coordinates.latitude,
    ) == ("GCJ02", "lng", "lat")
    assert (contract.field("lng").minimum, contract.field("lng").maximum) == (73.0, 136.0)


ARRAY_PROPERTY = """\
      - name: samples
        logicalType: array
        physicalType: STRUCT[]
        classification: internal
        items:
          logicalType: object
          properties:
            - name: sample_no
              logicalType: string
              physicalType: VARCHAR
              required: true
              classification: internal
              customProperties:
                - property: source
                  value: sample.no
            - name: taken_at
              logicalType: timestamp
              physicalType: TIMESTAMPTZ
              classification: internal
              logicalTypeOptions:
                defaultTimezone: Asia/Urumqi
              customProperties:
                - property: source
                  value: sample.time
                - property: sourceFormats
                  value: epoch_ms
        customProperties:
          - property: source
            value: samples
"""


def test_array_items_compile_to_nested_fields(tmp_path: Path) -> None:
    contract = load_contract(write_contract(tmp_path, REFERENCE_TEXT + ARRAY_PROPERTY))
    samples = contract.field("samples")
    assert samples.logical_type == "array"
    assert [(f.name, f.source, f.required) for f in samples.items] == [
        ("sample_no", "sample.no", True),
        ("taken_at", "sample.time", False),
    ]
    assert samples.items[1].source_formats == ("epoch_ms",)
    assert samples.items[1].timezone == "Asia/Urumqi"


def test_array_item_property_rules_apply(tmp_path: Path) -> None:
    text = REFERENCE_TEXT + edited(
        "              classification: internal\n              customProperties:\n                - property: source\n                  value: sample.no",
        "              customProperties:\n                - property: source\n                  value: sample.no",
        ARRAY_PROPERTY,
    )
    errors = load_errors(tmp_path, text)
    assert len(errors) == 1
    assert (
        ": schema[0].properties[9].items.properties[0]: classification must be one of" in errors[0]
    )


def test_array_items_must_be_objects_with_properties(tmp_path: Path) -> None:
    # ODCS itself rejects item properties under non-object items (SchemaItemProperty)...
    text = REFERENCE_TEXT + edited(
        "          logicalType: object\n", "          logicalType: string\n", ARRAY_PROPERTY
    )
    assert load_errors(tmp_path, text) == [
        (
            f"{FILE}:{line_of(text, '          properties:')}: schema[0].properties[9].items: "
            "'properties' is not allowed (misspelt key?)"
        )
    ]
    # ...and the house rule rejects object items without properties.
    start = ARRAY_PROPERTY.index("          properties:")
    end = ARRAY_PROPERTY.index(
        "        customProperties:\n          - property: source\n            value: samples"
    )
    text = REFERENCE_TEXT + ARRAY_PROPERTY[:start] + ARRAY_PROPERTY[end:]
    assert load_errors(tmp_path, text) == [
        (
            f"{FILE}:{line_of(text, '        items:')}: schema[0].properties[9].items: "
            "array properties need items with logicalType: object and properties"
        )
    ]


def test_all_problems_of_a_file_are_reported_together(tmp_path: Path) -> None:
    text = edited("        classification: personal\n", "")
    text = edited("      role: owner", "      role: steward", text)
    text = edited("    value: 0.05", "    value: 5", text)
    errors = load_errors(tmp_path, text)
    assert len(errors) == 3
    lines = [int(e.split(":")[1]) for e in errors]
    assert lines == sorted(lines)  # in file order


# --- Landing -----------------------------------------------------------------------


def test_landing_day_of_and_filename() -> None:
    landing = Landing(format="csv", encoding="utf-8", file="food_inspections_{yyyymmdd}.csv")
    assert landing.day_of("food_inspections_20240315.csv") == date(2024, 3, 15)
    assert landing.filename(date(2024, 3, 15)) == "food_inspections_20240315.csv"
    for name in [
        "food_inspections_20240231.csv",  # no such day
        "food_inspections_2024031.csv",
        "food_inspections_20240315.csv.tmp",
        "old_food_inspections_20240315.csv",
        "food_inspections_20240315.xlsx",
        "food_inspections_2024-03-15.csv",
    ]:
        assert landing.day_of(name) is None, name


def test_landing_pattern_characters_are_literal() -> None:
    landing = Landing(format="jsonl", encoding="utf-8", file="a+b.{yyyymmdd}.jsonl")
    assert landing.day_of("a+b.20240101.jsonl") == date(2024, 1, 1)
    assert landing.day_of("aab.20240101.jsonl") is None
    assert landing.day_of("a+bx20240101.jsonl") is None


# --- many files --------------------------------------------------------------------


def test_load_feed_contracts_keys_by_department_and_feed(tmp_path: Path) -> None:
    write_contract(tmp_path, REFERENCE_TEXT)
    write_contract(tmp_path, REFERENCE_TEXT, feed="food_inspections_copy")
    contracts = load_feed_contracts(tmp_path / "contracts")
    assert sorted(contracts) == [
        ("market_regulation", "food_inspections"),
        ("market_regulation", "food_inspections_copy"),
    ]


def test_load_feed_contracts_keeps_the_valid_and_reports_every_invalid_file(
    tmp_path: Path,
) -> None:
    write_contract(tmp_path, REFERENCE_TEXT)  # a good one is served despite the others
    write_contract(tmp_path, edited("      role: owner", "      role: steward"), feed="no_owner")
    write_contract(tmp_path, edited("        classification: personal\n", ""), feed="no_class")
    (tmp_path / "contracts/feeds/market_regulation/stray.yaml").write_text("a: 1\n")
    contracts = load_feed_contracts(tmp_path / "contracts")
    assert list(contracts) == [("market_regulation", "food_inspections")]
    assert [(c.path, c.department, c.feed, len(c.messages)) for c in contracts.invalid] == [
        (
            "contracts/feeds/market_regulation/no_class.odcs.yaml",
            "market_regulation",
            "no_class",
            1,
        ),
        (
            "contracts/feeds/market_regulation/no_owner.odcs.yaml",
            "market_regulation",
            "no_owner",
            1,
        ),
        ("contracts/feeds/market_regulation/stray.yaml", "market_regulation", "stray", 1),
    ]
    assert contracts.problems[2].startswith("contracts/feeds/market_regulation/stray.yaml:1:")
    assert all(m.startswith(f"{c.path}:") for c in contracts.invalid for m in c.messages)
    assert contracts.departments == ("market_regulation",)


def test_departments_include_those_whose_only_contract_is_invalid(tmp_path: Path) -> None:
    write_contract(tmp_path, REFERENCE_TEXT)
    broken = edited("      role: owner", "      role: steward")
    broken = broken.replace("market_regulation", "fire_rescue")
    write_contract(tmp_path, broken, department="fire_rescue", feed="fire_checks")
    contracts = load_feed_contracts(tmp_path / "contracts")
    assert list(contracts) == [("market_regulation", "food_inspections")]
    assert contracts.departments == ("fire_rescue", "market_regulation")


def test_load_feed_contracts_needs_the_folder(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="contracts folder not found"):
        load_feed_contracts(tmp_path / "nowhere")


def test_contracts_dir_from_env_or_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONTRACTS_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert contracts_dir() == tmp_path / "contracts"
    monkeypatch.setenv(CONTRACTS_DIR_ENV, str(tmp_path / "elsewhere"))
    assert contracts_dir() == tmp_path / "elsewhere"


def test_repository_contracts_all_load() -> None:
    contracts = load_feed_contracts(REPO_ROOT / "contracts")
    assert ("market_regulation", "food_inspections") in contracts
