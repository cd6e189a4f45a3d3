"""dbt model contracts and tests of the warehouse tables, from the warehouse ODCS contracts.

The ODCS files are the source of truth; `safecity contract generate` writes
`models/warehouse/_warehouse__contracts.yml` from them (project.py). Vocabularies a table takes
from the feed mappings (`enumFrom`) follow the mappings, so onboarding a feed regenerates it too.
Each table gets an enforced dbt contract (names, types, not null), and tests for
its key (`unique` on a one-column primary key or unique column; the project's generic
`unique_combination_of_columns` on a primary key of several columns), relationships and
accepted values. Every test carries a description in words, which Dagster shows on the
asset check it becomes.
"""

from __future__ import annotations

import yaml

from pipelines.lib.contracts.tables import Column, TableContract


def render(tables: dict[str, TableContract]) -> str:
    models = []
    for table in sorted(tables.values(), key=lambda t: t.name):
        key = [c.name for c in table.columns if c.primary_key]
        model: dict = {
            "name": table.name,
            "description": table.description or "",
            "config": {
                "contract": {"enforced": True},
                "meta": {"contract": table.path.name, "owner": table.owner},
            },
        }
        if len(key) > 1:
            model["data_tests"] = [
                {
                    "unique_combination_of_columns": {
                        "arguments": {"combination_of_columns": key},
                        "description": f"{table.name} has one row per ({', '.join(key)}), its primary key.",
                    }
                }
            ]
        model["columns"] = [
            _column(table, column, single_key=len(key) == 1) for column in table.columns
        ]
        models.append(model)
    return yaml.safe_dump(
        {"version": 2, "models": models}, allow_unicode=True, sort_keys=False, width=120
    )


def _column(table: TableContract, column: Column, *, single_key: bool) -> dict:
    entry: dict = {"name": column.name, "data_type": column.physical_type}
    if column.description:
        entry["description"] = column.description
    if column.required:
        entry["constraints"] = [{"type": "not_null"}]
    tests: list = []
    if column.unique or (column.primary_key and single_key):
        words = (
            f"{table.name} has one row per {column.name}, its primary key."
            if column.primary_key
            else f"No two rows of {table.name} share a {column.name}."
        )
        tests.append({"unique": {"description": words}})
    if column.enum:
        tests.append(
            {
                "accepted_values": {
                    "arguments": {"values": list(column.enum)},
                    "description": f"{column.name} is one of the contract's values: {', '.join(column.enum)}.",
                }
            }
        )
    if column.references:
        target, field = column.references
        tests.append(
            {
                "relationships": {
                    "arguments": {"to": f"ref('{target}')", "field": field},
                    "description": f"Every {column.name} of {table.name} is found in {target}.{field}.",
                }
            }
        )
    if tests:
        entry["data_tests"] = tests
    entry["meta"] = {"classification": column.classification}
    return entry
