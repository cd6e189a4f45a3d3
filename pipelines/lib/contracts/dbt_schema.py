"""dbt model contracts and tests, generated from the warehouse ODCS contracts.

    uv run python -m pipelines.lib.contracts.dbt_schema     # rewrite the dbt file

The ODCS files are the source of truth; the generated `_warehouse__contracts.yml`
is committed so dbt parses without this step, and a test fails when it is stale.
Each table gets an enforced dbt contract (names, types, not null), and tests for
unique keys, relationships and accepted values.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from pipelines.lib.contracts.loader import contracts_dir
from pipelines.lib.contracts.tables import TableContract, load_table_contracts

GENERATED = Path("dbt_project/models/warehouse/_warehouse__contracts.yml")
HEADER = "# Generated from contracts/warehouse/*.odcs.yaml by pipelines/lib/contracts/dbt_schema.py: edit those, not this.\n"


def render(tables: dict[str, TableContract]) -> str:
    models = []
    for table in sorted(tables.values(), key=lambda t: t.name):
        columns = []
        for column in table.columns:
            entry: dict = {"name": column.name, "data_type": column.physical_type}
            if column.description:
                entry["description"] = column.description
            if column.required:
                entry["constraints"] = [{"type": "not_null"}]
            tests: list = []
            if column.unique or (
                column.primary_key and sum(c.primary_key for c in table.columns) == 1
            ):
                tests.append("unique")
            if column.enum:
                tests.append({"accepted_values": {"arguments": {"values": list(column.enum)}}})
            if column.references:
                target, field = column.references
                tests.append(
                    {"relationships": {"arguments": {"to": f"ref('{target}')", "field": field}}}
                )
            if tests:
                entry["data_tests"] = tests
            entry["meta"] = {"classification": column.classification}
            columns.append(entry)
        models.append(
            {
                "name": table.name,
                "description": table.description or "",
                "config": {
                    "contract": {"enforced": True},
                    "meta": {"contract": table.path.name, "owner": table.owner},
                },
                "columns": columns,
            }
        )
    return HEADER + yaml.safe_dump(
        {"version": 2, "models": models}, allow_unicode=True, sort_keys=False, width=120
    )


def main() -> None:
    GENERATED.write_text(render(load_table_contracts(contracts_dir())), encoding="utf-8")
    print(f"wrote {GENERATED}")


if __name__ == "__main__":
    main()
