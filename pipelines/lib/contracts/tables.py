"""Contracts of the shared warehouse tables (`contracts/warehouse/<table>.odcs.yaml`).

Loaded and validated like the feed contracts (ODCS JSON Schema, then house rules,
every problem as `file:line: key: message`); dbt's model contracts and tests are
generated from them (`pipelines/lib/contracts/dbt_schema.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.lib.contracts.loader import SUPPORTED_TYPE_OPTIONS
from pipelines.lib.contracts.odcs_schema import validate_odcs_schema
from pipelines.lib.contracts.yaml_source import ContractError, Problems, display_path, parse_yaml

CLASSIFICATIONS = ("public", "internal", "personal", "sensitive")
SUFFIX = ".odcs.yaml"


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
    enum: tuple[str, ...]
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


def load_table_contracts(contracts_dir: Path) -> dict[str, TableContract]:
    """Every contract under `contracts_dir/warehouse/`; all problems raised together."""
    root = contracts_dir.parent
    tables: dict[str, TableContract] = {}
    messages: list[str] = []
    for path in sorted((contracts_dir / "warehouse").glob(f"*{SUFFIX}")):
        problems = Problems(display_path(path, root))
        document = parse_yaml(path.read_text(encoding="utf-8"), problems)
        if isinstance(document, dict) and not problems.messages:
            validate_odcs_schema(document, problems)
        if not problems.messages and isinstance(document, dict):
            table = _compile(path, document, problems)
            if table is not None:
                tables[table.name] = table
        messages += problems.sorted_messages()
    for table in tables.values():  # references must name a contracted table and column
        for column in table.columns:
            if column.references is not None:
                target, target_column = column.references
                if target not in tables or target_column not in {
                    c.name for c in tables[target].columns
                }:
                    messages.append(
                        f"{display_path(table.path, root)}: {column.name}: relationship to unknown {target}.{target_column}"
                    )
    if messages:
        raise ContractError(messages)
    return tables


def _compile(path: Path, doc: dict[str, Any], problems: Problems) -> TableContract | None:
    name = path.name.removesuffix(SUFFIX)
    if doc.get("name") != name:
        problems.add(("name",), f"must be the file's table name {name!r}")
    owners = [
        m.get("username")
        for m in (doc.get("team") or {}).get("members", [])
        if m.get("role") == "owner"
    ]
    if not owners:
        problems.add(("team",), "needs a member with role: owner")
    schema = doc.get("schema") or []
    if len(schema) != 1:
        problems.add(("schema",), "exactly one schema object (the table)")
        return None
    columns = []
    for index, prop in enumerate(schema[0].get("properties") or []):
        at = ("schema", 0, "properties", index)
        if prop.get("classification") not in CLASSIFICATIONS:
            problems.add(at, f"classification must be one of {', '.join(CLASSIFICATIONS)}")
        references = None
        for relationship in prop.get("relationships") or []:
            target = str(relationship.get("to", ""))
            if relationship.get("type") != "foreignKey" or target.count(".") != 1:
                problems.add(
                    (*at, "relationships"),
                    "a relationship is {type: foreignKey, to: <table>.<column>}",
                )
            else:
                references = tuple(target.split("."))
        logical_type = prop.get("logicalType", "string")
        options = prop.get("logicalTypeOptions") or {}
        for key in sorted(set(options) - SUPPORTED_TYPE_OPTIONS.get(logical_type, frozenset())):
            problems.add(
                (*at, "logicalTypeOptions"),
                f"{key!r} is not supported for {logical_type} properties (it would not be enforced)",
            )
        if options.get("pattern") is not None:
            try:
                re.compile(options["pattern"])
            except re.error as error:
                problems.add((*at, "logicalTypeOptions", "pattern"), f"invalid pattern: {error}")
        columns.append(
            Column(
                name=prop["name"],
                logical_type=logical_type,
                physical_type=prop.get("physicalType", "VARCHAR"),
                required=bool(prop.get("required")),
                unique=bool(prop.get("unique")),
                primary_key=bool(prop.get("primaryKey")),
                classification=prop.get("classification", ""),
                description=prop.get("description"),
                enum=tuple(str(e["value"]) for e in prop.get("enum") or []),
                references=references,
                pattern=options.get("pattern"),
                min_length=options.get("minLength"),
                max_length=options.get("maxLength"),
                minimum=float(options["minimum"]) if "minimum" in options else None,
                maximum=float(options["maximum"]) if "maximum" in options else None,
            )
        )
    if problems.messages:
        return None
    return TableContract(
        path=path,
        name=name,
        version=str(doc.get("version")),
        owner=owners[0],
        description=(doc.get("description") or {}).get("purpose"),
        columns=tuple(columns),
    )
