"""dbt sources for the bronze feeds, generated from the feed contracts.

    uv run python -m pipelines.lib.contracts.dbt_sources     # rewrite the dbt file

Every valid feed contract is a bronze table, so each gets a dbt source table (one source
per department) with no YAML written by hand: a new contract is readable with
`source('<department>', '<feed>')` once this has run. Like `_warehouse__contracts.yml`
(`dbt_schema.py`), the generated file is committed so dbt parses without this step, and a
test fails when it is stale. The Dagster asset key in each table's meta ties the dbt models
reading it to the ingestion asset that writes it (`defs/ingest/assets.py`, `bronze_key`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import yaml

from pipelines.lib import settings
from pipelines.lib.contracts.loader import contracts_dir, load_feed_contracts, shared_vocabulary
from pipelines.lib.contracts.model import FeedContract
from pipelines.lib.contracts.shared_vocabulary import SharedVocabulary

GENERATED = Path("dbt_project/models/staging/_sources.yml")
HEADER = (
    "# Generated from contracts/feeds/*/*.odcs.yaml by pipelines/lib/contracts/dbt_sources.py: edit those, not this.\n"
    "# The bronze lake: contract-valid Parquet partitions, one folder per delivery day, under\n"
    "# $SAFECITY_LAKE_ROOT (local, or s3://bucket/prefix: pipelines/lib/storage.py), else <data dir>/lake.\n"
)

# dbt-duckdb reads a source table with this expression, `{name}` being the table (the feed).
# The lake is found when dbt runs, from the same settings the Python side reads.
_LAKE = (
    f"env_var('{settings.LAKE_ROOT.name}', "
    f"env_var('{settings.DATA_DIR.name}', '{settings.DATA_DIR.default}') ~ '/lake').rstrip('/')"
)
_JINJA_OPENERS = ("{{", "{%", "{#")


def render(
    contracts: Mapping[tuple[str, str], FeedContract], vocabulary: SharedVocabulary | None
) -> str:
    """The sources file for these (valid) feed contracts, departments and feeds in name order."""
    by_department: dict[str, list[FeedContract]] = {}
    for contract in sorted(contracts.values(), key=lambda c: (c.department, c.feed)):
        by_department.setdefault(contract.department, []).append(contract)
    sources = [
        _source(department, feeds, vocabulary) for department, feeds in by_department.items()
    ]
    # Wide lines: the Jinja of external_location stays on one line, as a reader expects it.
    return HEADER + yaml.safe_dump(
        {"version": 2, "sources": sources}, allow_unicode=True, sort_keys=False, width=1000
    )


def _source(
    department: str, feeds: list[FeedContract], vocabulary: SharedVocabulary | None
) -> dict:
    words = department.replace("_", " ")
    name = vocabulary.department_names.get(department) if vocabulary else None
    return {
        "name": department,
        "description": (
            f"Bronze feeds of {words}{f' ({name})' if name else ''}, "
            f"held to contracts/feeds/{department}/."
        ),
        "meta": {
            "external_location": (
                f"read_parquet('{{{{ {_LAKE} }}}}/bronze/{department}/{{name}}/*/*.parquet', "
                "union_by_name = true)"
            )
        },
        "tables": [_table(contract) for contract in feeds],
    }


def _table(contract: FeedContract) -> dict:
    table: dict = {"name": contract.feed}
    if contract.description:
        table["description"] = _jinja_safe(contract.description)
    table["meta"] = {"dagster": {"asset_key": ["bronze", contract.department, contract.feed]}}
    return table


def _jinja_safe(text: str) -> str:
    """dbt renders descriptions as Jinja: a contract's words are shown as written, never run."""
    if any(opener in text for opener in _JINJA_OPENERS):
        return text.replace("{", "{{ '{' }}")  # each brace printed by Jinja itself
    return text


def main() -> None:
    folder = contracts_dir()
    contracts = load_feed_contracts(folder)
    if contracts.invalid:
        # A feed left out would break every dbt model reading its source: write nothing.
        print("\n".join(contracts.problems), file=sys.stderr)
        print(
            f"{GENERATED} not written: fix the contracts above (safecity contract check), then run again.",
            file=sys.stderr,
        )
        raise SystemExit(1)
    GENERATED.write_text(render(contracts, shared_vocabulary(folder)), encoding="utf-8")
    print(f"wrote {GENERATED}")


if __name__ == "__main__":
    main()
