"""What each granted column becomes in a department's extract: the SQL that selects it.

Treatments (written into the manifest for every column):

- `clear`: the value as the warehouse has it. Every column at or below the department's
  classification, and personal columns for a department granted personal data.
- `pseudonymised`: a person's identifier (`dim_person.person_key`, and every column whose
  contract says it references it, such as `dim_organisation.legal_rep_person_key`) becomes
  its keyed pseudonym (pseudonym.py) for a department without a personal grant, whether
  its grant says masked or pseudonymised: the same person has the same pseudonym in
  every extract, and tables still join.
- `masked`: other personal columns. With `personal: masked` a name keeps its first
  character (张*), a phone its first three and last four digits (138****5678), anything
  else is left empty; with `personal: pseudonymised` all of them are left empty. The
  column stays, typed, so every department's tables have the same shape.

Sensitive columns (`dim_person.id_number_hash`) are never granted (policy.py).

`xref_source_record` also names persons, through `entity_key` where `entity_kind` is
'person', although its contract can only classify the column as a whole; a department
without a personal grant does not receive those rows.

Identifiers are checked against a strict pattern before they are quoted into SQL
(pipelines/lib/sql_names.py); they come from the contracts, which the policy was validated against.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pipelines.lib.contracts.tables import Column, TableContract
from pipelines.lib.publish.policy import DepartmentGrant, TableGrant, level_allows
from pipelines.lib.publish.pseudonym import hmac_sql
from pipelines.lib.publish.scope import OWN_ROWS
from pipelines.lib.sql_names import quoted

Treatment = Literal["clear", "masked", "pseudonymised"]

PERSON_TABLE = "dim_person"

# Rows that describe a person in a column not classified personal: left out without a grant.
PERSON_ROWS: dict[str, str] = {"xref_source_record": "entity_kind = 'person'"}


@dataclass(frozen=True)
class ColumnPlan:
    name: str
    treatment: Treatment
    expression: str  # SQL over the warehouse table, selected AS the column's name


@dataclass(frozen=True)
class TablePlan:
    table: str
    contract_version: str
    rows: str  # all | own
    columns: tuple[ColumnPlan, ...]
    filters: tuple[str, ...]  # SQL predicates, all of which a published row meets

    @property
    def needs_pseudonym_key(self) -> bool:
        return any(column.treatment == "pseudonymised" for column in self.columns)

    def select_sql(
        self, extra: tuple[str, ...] = (), *, where: tuple[str, ...] = (), ordered: bool = True
    ) -> str:
        """The query for the table's rows; parameters: $department, and $hmac_* when pseudonymised.

        `extra`: further SQL expressions to select (the month a table is split by); `where`:
        further predicates (the months to write); `ordered=False` when the order is of no use.
        """
        columns = ", ".join(
            [*(f"{c.expression} AS {quoted(c.name)}" for c in self.columns), *extra]
        )
        filters = (*self.filters, *where)
        where_sql = " WHERE " + " AND ".join(f"({f})" for f in filters) if filters else ""
        # A stable order: the same warehouse gives the same files, byte for byte.
        order = " ORDER BY ALL" if ordered else ""
        return f"SELECT {columns} FROM {quoted(self.table)}{where_sql}{order}"


def person_identifiers(contracts: Mapping[str, TableContract]) -> frozenset[tuple[str, str]]:
    """(table, column) of every column holding a person's key: the key and its references."""
    person = contracts.get(PERSON_TABLE)
    keys = {(PERSON_TABLE, c.name) for c in person.columns if c.primary_key} if person else set()
    references = {
        (table.name, column.name)
        for table in contracts.values()
        for column in table.columns
        if column.references is not None and column.references in keys
    }
    return frozenset(keys | references)


def plan_table(
    grant: DepartmentGrant,
    table_grant: TableGrant,
    contracts: Mapping[str, TableContract],
) -> TablePlan:
    contract = contracts[table_grant.table]
    identifiers = person_identifiers(contracts)
    by_name = {column.name: column for column in contract.columns}
    columns = tuple(
        _plan_column(grant, by_name[name], (contract.name, name) in identifiers)
        for name in table_grant.columns
    )
    filters = []
    if table_grant.rows == "own":
        filters.append(OWN_ROWS[contract.name])
    if grant.personal != "clear" and contract.name in PERSON_ROWS:
        filters.append(f"NOT ({PERSON_ROWS[contract.name]})")
    return TablePlan(
        table=contract.name,
        contract_version=contract.version,
        rows=table_grant.rows,
        columns=columns,
        filters=tuple(filters),
    )


def plan_department(
    grant: DepartmentGrant, contracts: Mapping[str, TableContract]
) -> tuple[TablePlan, ...]:
    return tuple(plan_table(grant, table_grant, contracts) for table_grant in grant.tables)


def _plan_column(grant: DepartmentGrant, column: Column, is_person_identifier: bool) -> ColumnPlan:
    name = quoted(column.name)
    personal = is_person_identifier or column.classification == "personal"
    if not personal or grant.personal == "clear":
        # Non-personal columns were checked against the department's level by the policy.
        assert personal or level_allows(grant.classification, column.classification)
        return ColumnPlan(column.name, "clear", name)
    if is_person_identifier:
        return ColumnPlan(column.name, "pseudonymised", hmac_sql(name))
    if grant.personal == "masked" and column.name == "name":
        return ColumnPlan(column.name, "masked", f"left({name}, 1) || '*'")
    if grant.personal == "masked" and column.name == "phone":
        # Short numbers (an extension) keep nothing: three and four digits would be all of it.
        masked = (
            f"CASE WHEN length({name}) >= 8 THEN left({name}, 3) || '****' || right({name}, 4) "
            f"ELSE repeat('*', length({name})) END"
        )
        return ColumnPlan(column.name, "masked", masked)
    return ColumnPlan(column.name, "masked", f"CAST(NULL AS {_sql_type(column)})")


def _sql_type(column: Column) -> str:
    # The contract's physical type, so that the empty column keeps the warehouse's type.
    if not re.fullmatch(r"[A-Z][A-Z0-9_ ]*(\(\d+(, *\d+)?\))?", column.physical_type):
        raise ValueError(f"not a safe SQL type: {column.physical_type!r}")
    return column.physical_type
