"""Contracts of the shared warehouse tables (`contracts/warehouse/<table>.odcs.yaml`).

Loaded and validated like the feed contracts (ODCS JSON Schema, then house rules,
every problem as `file:line: key: message`); dbt's model contracts and tests are
generated from them (`pipelines/lib/dbt_models/warehouse_schema.py`).

A column whose values are the feeds' vocabulary (event types, roles, object kinds, the
departments) does not list them: its custom property `enumFrom` names the vocabulary, and
its `enum` is resolved here from the mappings of the valid feed contracts (`mapping_index`).
A broken feed contract leaves its own values out; it never stops the tables from loading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from pipelines.lib.contracts.folder_state import folder_state
from pipelines.lib.contracts.loader import load_feed_contracts, shared_vocabulary
from pipelines.lib.contracts.mapping_index import MappingIndex, mapping_index
from pipelines.lib.contracts.odcs_schema import validate_odcs_schema
from pipelines.lib.contracts.shapes import CustomProperties, entries, mapping
from pipelines.lib.contracts.shared_vocabulary import VOCABULARY_FILE, SharedVocabulary
from pipelines.lib.contracts.vocabulary import (
    ENUM_FROM,
    SUPPORTED_TYPE_OPTIONS,
    TABLE_PROPERTY_CUSTOM_PROPERTIES,
)
from pipelines.lib.contracts.yaml_source import (
    ContractError,
    KeyPath,
    Problems,
    display_path,
    parse_yaml,
)

CLASSIFICATIONS = ("public", "internal", "personal", "sensitive")
SUFFIX = ".odcs.yaml"
# fct_event.category lists the national standard's categories itself (it is not the feeds'
# to extend): each event type of the shared vocabulary must have one of them.
EVENT_CATEGORY = ("fct_event", "category")


@dataclass(frozen=True)
class Column:
    name: str
    logical_type: str
    physical_type: str
    required: bool
    unique: bool
    primary_key: bool
    classification: str
    description: str | None
    enum: tuple[str, ...]  # as listed, or resolved from `enumFrom` (then sorted)
    references: tuple[str, str] | None  # (table, column)
    # logicalTypeOptions, as for feeds: the published extracts' quality suites check them.
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class TableContract:
    path: Path
    name: str
    version: str
    owner: str
    description: str | None
    columns: tuple[Column, ...]


class _FeedVocabularies:
    """What `enumFrom` and the category check read, each loaded once and only when asked.

    Loading the feed contracts takes a second or so: a folder whose tables name no
    vocabulary does not pay for it, and `safecity contract check` passes the index it built.
    """

    def __init__(self, contracts_dir: Path, index: MappingIndex | None) -> None:
        self._contracts_dir = contracts_dir
        self._given = index

    @cached_property
    def vocabulary(self) -> SharedVocabulary | None:
        return shared_vocabulary(self._contracts_dir)

    @cached_property
    def index(self) -> MappingIndex | None:
        """The valid feeds' mappings read together; None without a valid vocabulary."""
        if self._given is not None:
            return self._given
        if self.vocabulary is None:
            return None
        feeds = load_feed_contracts(self._contracts_dir)  # the invalid ones are left out
        return mapping_index(feeds, self.vocabulary, self._contracts_dir.parent)


def load_table_contracts(
    contracts_dir: Path, index: MappingIndex | None = None
) -> dict[str, TableContract]:
    """Every contract under `contracts_dir/warehouse/`; all problems raised together.

    `index` is the feeds' mapping index when the caller has it already; by default it
    is built from the valid feed contracts of `contracts_dir`, and the result is parsed once
    per process for as long as no file under `contracts_dir` changes (a run's publishing and
    quality steps ask for it once per department: some seconds each).
    """
    if index is None:
        folder = contracts_dir.absolute()
        return dict(_load_unchanged(folder, folder_state(folder)))
    return _load(contracts_dir, index)


def _load(contracts_dir: Path, index: MappingIndex | None) -> dict[str, TableContract]:
    tables, messages = check_table_contracts(contracts_dir, index)
    if messages:
        raise ContractError(messages)
    return tables


@lru_cache(maxsize=4)
def _load_unchanged(
    contracts_dir: Path, state: tuple[tuple[str, str], ...]
) -> dict[str, TableContract]:
    """Loaded once per state of the folder (an error is raised again each time: not cached)."""
    return _load(contracts_dir, None)


def check_table_contracts(
    contracts_dir: Path, index: MappingIndex | None = None
) -> tuple[dict[str, TableContract], list[str]]:
    """Every problem of every file, and the tables as far as they could be read.

    A table whose contract has problems is still returned when its columns could be
    read, so that what refers to it (relationships, the sharing policy) is checked
    against what it says instead of reporting it unknown: one cause, one message.
    Only an empty list of problems makes the tables valid (`load_table_contracts`).
    """
    root = contracts_dir.parent
    vocabularies = _FeedVocabularies(contracts_dir, index)
    paths = sorted((contracts_dir / "warehouse").glob(f"*{SUFFIX}"))
    tables: dict[str, TableContract] = {}
    messages: list[str] = []
    where: dict[tuple[str, str], str] = {}  # (table, column) -> "file:line" of its relationships
    for path in paths:
        problems = Problems(display_path(path, root))
        document = parse_yaml(path.read_text(encoding="utf-8"), problems)
        if isinstance(document, dict) and not problems.messages:
            problems.settle(validate_odcs_schema(document, problems))
            table = _compile(path, document, vocabularies, problems)
            if table is not None:
                _categories_listed(table, vocabularies.vocabulary, problems)
                tables[table.name] = table
                for position, column in enumerate(table.columns):
                    line = problems.line_of(("schema", 0, "properties", position, "relationships"))
                    where[(table.name, column.name)] = f"{problems.display}:{line}"
        messages += problems.sorted_messages()
    files = {path.name.removesuffix(SUFFIX) for path in paths}
    return tables, messages + _unknown_references(tables, files, where)


def _unknown_references(
    tables: dict[str, TableContract], files: set[str], where: dict[tuple[str, str], str]
) -> list[str]:
    """References must name a contracted table and column.

    A reference to a table whose file could not be read is not reported again: that
    file's problem is the cause, and it is reported.
    """
    messages = []
    for table in tables.values():
        for column in table.columns:
            if column.references is None:
                continue
            target, target_column = column.references
            if target not in tables and target in files:
                continue  # a file that could not be read at all: its problem is reported
            if target in tables and target_column in {c.name for c in tables[target].columns}:
                continue
            messages.append(
                f"{where[(table.name, column.name)]}: {column.name}: "
                f"relationship to unknown {target}.{target_column}"
            )
    return messages


def _compile(
    path: Path, doc: dict[str, Any], vocabularies: _FeedVocabularies, problems: Problems
) -> TableContract | None:
    name = path.name.removesuffix(SUFFIX)
    if doc.get("name") != name:
        problems.add(("name",), f"must be the file's table name {name!r}")
    owners = [
        member.get("username")
        for _, member in entries(mapping(doc.get("team")).get("members"))
        if member.get("role") == "owner"
    ]
    if not owners:
        problems.add(("team",), "needs a member with role: owner")
    schema = doc.get("schema")
    if not isinstance(schema, list) or len(schema) != 1 or not isinstance(schema[0], dict):
        problems.add(("schema",), "exactly one schema object (the table)")
        return None
    columns = [
        _column(prop, ("schema", 0, "properties", index), vocabularies, problems)
        for index, prop in entries(schema[0].get("properties"))
    ]
    return TableContract(
        path=path,
        name=name,
        version=str(doc.get("version")),
        owner=str(owners[0]) if owners else "",
        description=(doc.get("description") or {}).get("purpose"),
        columns=tuple(columns),
    )


def _column(
    prop: dict[str, Any], at: KeyPath, vocabularies: _FeedVocabularies, problems: Problems
) -> Column:
    if prop.get("classification") not in CLASSIFICATIONS:
        problems.add(at, f"classification must be one of {', '.join(CLASSIFICATIONS)}")
    logical_type = prop.get("logicalType", "string")
    options = mapping(prop.get("logicalTypeOptions"))
    for key in sorted(set(options) - SUPPORTED_TYPE_OPTIONS.get(logical_type, frozenset())):
        problems.add(
            (*at, "logicalTypeOptions"),
            f"{key!r} is not supported for {logical_type} properties (it would not be enforced)",
            at=(*at, "logicalTypeOptions", key),
        )
    if isinstance(options.get("pattern"), str):
        # Table patterns run in the quality suites, on pandas: Python's `re` is their engine.
        try:
            re.compile(options["pattern"])
        except re.error as error:
            problems.add((*at, "logicalTypeOptions", "pattern"), f"invalid pattern: {error}")
    return Column(
        name=str(prop.get("name")),
        logical_type=logical_type,
        physical_type=prop.get("physicalType", "VARCHAR"),
        required=bool(prop.get("required")),
        unique=bool(prop.get("unique")),
        primary_key=bool(prop.get("primaryKey")),
        classification=prop.get("classification", ""),
        description=prop.get("description"),
        enum=_enum(prop, at, logical_type, vocabularies, problems),
        references=_references(prop, at, problems),
        pattern=options.get("pattern"),
        min_length=options.get("minLength"),
        max_length=options.get("maxLength"),
        minimum=float(options["minimum"]) if "minimum" in options else None,
        maximum=float(options["maximum"]) if "maximum" in options else None,
    )


def _references(prop: dict[str, Any], at: KeyPath, problems: Problems) -> tuple[str, str] | None:
    references = None
    for _, relationship in entries(prop.get("relationships")):
        target = str(relationship.get("to", ""))
        if relationship.get("type") != "foreignKey" or target.count(".") != 1:
            problems.add(
                (*at, "relationships"),
                "a relationship is {type: foreignKey, to: <table>.<column>}",
            )
        else:
            table, column = target.split(".")
            references = (table, column)
    return references


def _enum(
    prop: dict[str, Any],
    at: KeyPath,
    logical_type: str,
    vocabularies: _FeedVocabularies,
    problems: Problems,
) -> tuple[str, ...]:
    """The column's accepted values: its `enum` as listed, or the vocabulary `enumFrom` names."""
    custom = CustomProperties.read(prop, at, TABLE_PROPERTY_CUSTOM_PROPERTIES, problems)
    if "enumFrom" not in custom:
        return tuple(str(e.get("value")) for _, e in entries(prop.get("enum")))
    name, where = custom.value("enumFrom"), custom.at("enumFrom")
    if name not in ENUM_FROM:
        problems.add(
            where,
            f"enumFrom {name!r} is not a vocabulary of the feeds' mappings "
            f"(known: {', '.join(ENUM_FROM)})",
        )
        return ()
    if "enum" in prop:
        problems.add(
            where,
            f"give enum or enumFrom, not both: the values of {name} come from the feed "
            "contracts' mappings (remove the enum list)",
        )
        return ()
    if logical_type != "string":
        problems.add(where, f"{name} are strings: the column must be logicalType string")
        return ()
    index = vocabularies.index
    if index is None:
        problems.add(
            where,
            f"{name} cannot be resolved: the feeds' mappings need a valid "
            f"contracts/{VOCABULARY_FILE} (`safecity contract check` names its problems)",
        )
        return ()
    return _resolved(str(name), index)


def _resolved(name: str, index: MappingIndex) -> tuple[str, ...]:
    """The sorted values of one of ENUM_FROM (a stable generated dbt file)."""
    if name == "eventTypes":
        return index.event_types
    if name == "eventDepartments":
        return index.event_departments
    if name == "objectKinds":
        return index.object_kinds
    group, *rest = name.split(".")
    if group == "roles":
        return index.roles[rest[0]]
    relation_type, kind = rest
    return index.relation_roles(relation_type, kind)


def _categories_listed(
    table: TableContract, vocabulary: SharedVocabulary | None, problems: Problems
) -> None:
    """Every event type of the shared vocabulary has a category fct_event.category lists."""
    if table.name != EVENT_CATEGORY[0] or vocabulary is None:
        return  # without a valid vocabulary no mapping is valid, and that is reported
    for index, column in enumerate(table.columns):
        if column.name != EVENT_CATEGORY[1] or not column.enum:
            continue
        for event_type in vocabulary.event_types.values():
            if event_type.category not in column.enum:
                problems.add(
                    ("schema", 0, "properties", index, "enum"),
                    f"{vocabulary.display}: event type {event_type.name!r} has category "
                    f"{event_type.category!r}, which this list lacks (it lists "
                    f"{', '.join(column.enum)}): give the type one of these",
                )
