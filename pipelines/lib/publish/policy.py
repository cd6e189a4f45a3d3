"""The sharing policy (`contracts/sharing/policy.yaml`): what each department is granted.

Loaded against the warehouse contracts, so that a grant can only name a department that
exists (a folder of `contracts/feeds/`), a contracted table and its contracted columns.
Every problem is reported as `file:line: key.path: message`, all at once, with the feed
contracts' machinery (`pipelines/lib/contracts/loader.py`).

What a grant means for each column (clear, masked, pseudonymised, left out) is decided
in `masking.py`; which rows `rows: own` keeps, in `scope.py`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pipelines.lib.contracts.tables import TableContract
from pipelines.lib.contracts.yaml_source import (
    ContractError,
    KeyPath,
    Problems,
    display_path,
    parse_yaml,
)
from pipelines.lib.publish.scope import OWN_ROWS

POLICY_FILE = Path("sharing") / "policy.yaml"

# Ordered: a department granted a level receives every column classified at or below it.
LEVELS: tuple[str, ...] = ("public", "internal", "personal")
SENSITIVE = "sensitive"
PERSONAL_TREATMENTS: tuple[str, ...] = ("clear", "masked", "pseudonymised")
ROW_SCOPES: tuple[str, ...] = ("all", "own")
ALL = "all"

_TOP_KEYS = frozenset({"version", "departments"})
_DEPARTMENT_KEYS = frozenset({"purpose", "classification", "personal", "csv", "tables"})
_REQUIRED_DEPARTMENT_KEYS = ("purpose", "classification", "personal", "tables")
_GRANT_KEYS = frozenset({"columns", "rows"})

Level = Literal["public", "internal", "personal"]
PersonalTreatment = Literal["clear", "masked", "pseudonymised"]
RowScope = Literal["all", "own"]


class PolicyError(ContractError):
    """One or more policy problems; str() is one `file:line: key: message` per line."""


@dataclass(frozen=True)
class TableGrant:
    table: str
    columns: tuple[str, ...]  # in the contract's order; never a sensitive column
    rows: RowScope


@dataclass(frozen=True)
class DepartmentGrant:
    department: str
    purpose: str
    classification: Level
    personal: PersonalTreatment
    csv: bool
    tables: tuple[TableGrant, ...]


@dataclass(frozen=True)
class SharingPolicy:
    path: Path
    display: str  # the file as messages and manifests name it, e.g. contracts/sharing/policy.yaml
    version: str
    departments: dict[str, DepartmentGrant]


def policy_path(contracts_dir: Path) -> Path:
    return contracts_dir / POLICY_FILE


def level_allows(granted: str, classification: str) -> bool:
    """Whether a department granted `granted` receives a column of `classification` in clear."""
    return classification in LEVELS and LEVELS.index(classification) <= LEVELS.index(granted)


def load_policy(
    path: Path,
    contracts: Mapping[str, TableContract],
    departments: Collection[str],
    root: Path | None = None,
) -> SharingPolicy:
    """Load and validate the policy; a PolicyError lists every problem with its line.

    `departments` are the departments that exist (the folders of contracts/feeds/);
    `root` only shortens the file name in messages (default: the folder holding contracts/).
    """
    problems = Problems(display_path(path, root if root is not None else path.parent.parent.parent))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError([f"{problems.display}:1: (file): cannot read: {error}"]) from error
    document = parse_yaml(text, problems)
    if problems.messages:
        raise PolicyError(problems.sorted_messages())
    policy = _compile(path, document, contracts, sorted(departments), problems)
    if problems.messages or policy is None:
        raise PolicyError(problems.sorted_messages())
    return policy


def _compile(
    path: Path,
    doc: Any,
    contracts: Mapping[str, TableContract],
    departments: list[str],
    problems: Problems,
) -> SharingPolicy | None:
    if not isinstance(doc, dict):
        problems.add((), "the policy is a mapping with `version` and `departments`")
        return None
    _unknown_keys(doc, (), _TOP_KEYS, problems)
    version = doc.get("version")
    if not isinstance(version, str) or not version.strip():
        # `version: 1.0` would be read as a number and `1.10` would become 1.1.
        problems.add(("version",), "version is required, as a string (quote a number)")
    raw_departments = doc.get("departments")
    if not isinstance(raw_departments, dict):
        problems.add(("departments",), "departments is required: a mapping of department -> grant")
        return None
    grants: dict[str, DepartmentGrant] = {}
    for department, raw in raw_departments.items():
        at: KeyPath = ("departments", department)
        if department not in departments:
            problems.add(
                at,
                f"unknown department {department!r}: departments are the folders of contracts/feeds/ "
                f"({', '.join(departments)})",
            )
            continue
        grant = _department(str(department), raw, at, contracts, problems)
        if grant is not None:
            grants[department] = grant
    if problems.messages:
        return None
    return SharingPolicy(
        path=path, display=problems.display, version=str(version), departments=grants
    )


def _department(
    department: str,
    raw: Any,
    at: KeyPath,
    contracts: Mapping[str, TableContract],
    problems: Problems,
) -> DepartmentGrant | None:
    if not isinstance(raw, dict):
        problems.add(
            at, "a department's grant is a mapping (purpose, classification, personal, tables)"
        )
        return None
    _unknown_keys(raw, at, _DEPARTMENT_KEYS, problems)
    for key in _REQUIRED_DEPARTMENT_KEYS:
        if key not in raw:
            problems.add(at, f"{key!r} is required")
    purpose = raw.get("purpose")
    if "purpose" in raw and not (isinstance(purpose, str) and purpose.strip()):
        problems.add((*at, "purpose"), "purpose must say what the data is for")
    level = raw.get("classification")
    if level == SENSITIVE:
        problems.add(
            (*at, "classification"), "sensitive columns are never published: grant at most personal"
        )
        level = None
    elif "classification" in raw and level not in LEVELS:
        problems.add((*at, "classification"), f"classification must be one of {', '.join(LEVELS)}")
        level = None
    personal = raw.get("personal")
    if "personal" in raw and personal not in PERSONAL_TREATMENTS:
        problems.add((*at, "personal"), f"personal must be one of {', '.join(PERSONAL_TREATMENTS)}")
        personal = None
    if (
        level is not None
        and personal is not None
        and (level == "personal") != (personal == "clear")
    ):
        # Personal data in clear is exactly what a grant at `personal` level means;
        # saying one without the other is a contradiction the reader could misread.
        problems.add(
            (*at, "personal"),
            "personal: clear goes with classification: personal, and only with it",
        )
    csv = raw.get("csv", False)
    if not isinstance(csv, bool):
        problems.add((*at, "csv"), "csv must be true or false")
    raw_tables = raw.get("tables")
    if "tables" in raw and not isinstance(raw_tables, dict):
        problems.add((*at, "tables"), "tables is a mapping of table -> all | {columns, rows}")
        raw_tables = None
    tables = []
    for table, grant in (raw_tables or {}).items():
        table_grant = _table(str(table), grant, (*at, "tables", table), level, contracts, problems)
        if table_grant is not None:
            tables.append(table_grant)
    if level is None or personal is None or not isinstance(purpose, str) or raw_tables is None:
        return None
    return DepartmentGrant(
        department=department,
        purpose=" ".join(purpose.split()),
        classification=level,
        personal=personal,
        csv=bool(csv),
        tables=tuple(tables),
    )


def _table(
    table: str,
    raw: Any,
    at: KeyPath,
    level: str | None,
    contracts: Mapping[str, TableContract],
    problems: Problems,
) -> TableGrant | None:
    contract = contracts.get(table)
    if contract is None:
        problems.add(
            at,
            f"unknown table {table!r}: warehouse tables are those of contracts/warehouse/ "
            f"({', '.join(sorted(contracts))})",
        )
        return None
    if raw == ALL:
        raw = {}
    if not isinstance(raw, dict):
        problems.add(at, "a table is granted `all` or as {columns: all | [names], rows: all | own}")
        return None
    _unknown_keys(raw, at, _GRANT_KEYS, problems)
    rows = raw.get("rows", ALL)
    if rows not in ROW_SCOPES:
        problems.add((*at, "rows"), f"rows must be one of {', '.join(ROW_SCOPES)}")
        return None
    if rows == "own" and table not in OWN_ROWS:
        problems.add(
            (*at, "rows"), f"{table} has no department of its own (reference data): grant all rows"
        )
        return None
    by_name = {column.name: column for column in contract.columns}
    raw_columns = raw.get("columns", ALL)
    if raw_columns == ALL:
        # Everything the level allows; personal columns always go, treated (masking.py).
        names = [
            c.name
            for c in contract.columns
            if c.classification != SENSITIVE
            and (
                c.classification == "personal"
                or level is None
                or level_allows(level, c.classification)
            )
        ]
    elif (
        isinstance(raw_columns, list)
        and raw_columns
        and all(isinstance(c, str) for c in raw_columns)
    ):
        names = []
        for index, name in enumerate(raw_columns):
            column_at = (*at, "columns", index)
            column = by_name.get(name)
            if column is None:
                problems.add(
                    column_at, f"unknown column {table}.{name} (its columns: {', '.join(by_name)})"
                )
            elif name in names:
                problems.add(column_at, f"column {name!r} is listed twice")
            elif column.classification == SENSITIVE:
                problems.add(column_at, f"{table}.{name} is sensitive: it is never published")
            elif (
                column.classification != "personal"
                and level is not None
                and not level_allows(level, column.classification)
            ):
                problems.add(
                    column_at,
                    f"{table}.{name} is {column.classification}, above the department's classification {level}",
                )
            else:
                names.append(name)
        if len(names) < len(raw_columns):
            return None  # each refused column is reported; "no column" would say it twice
        order = {c.name: i for i, c in enumerate(contract.columns)}
        names.sort(key=order.__getitem__)
    else:
        problems.add((*at, "columns"), "columns is `all` or a non-empty list of column names")
        return None
    if not names and level is not None:
        problems.add(at, f"grants no column of {table} at classification {level}")
        return None
    return TableGrant(table=table, columns=tuple(names), rows=rows)


def _unknown_keys(
    mapping: dict[Any, Any], at: KeyPath, allowed: frozenset[str], problems: Problems
) -> None:
    for key in mapping:
        if key not in allowed:
            problems.add(
                at,
                f"{key!r} is not allowed here (misspelt key?); expected one of {', '.join(sorted(allowed))}",
                at=(*at, key),
            )
