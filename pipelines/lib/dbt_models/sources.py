"""dbt sources for the bronze feeds: one source per department, one table per valid feed contract.

Every valid feed contract is a bronze table, readable with `source('<department>', '<feed>')`.
The Dagster asset key in each table's meta ties the dbt models reading it to the ingestion
asset that writes it (`defs/ingest/assets.py`, `bronze_key`).
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from pipelines.lib.contracts.model import FeedContract
from pipelines.lib.contracts.shared_vocabulary import SharedVocabulary
from pipelines.lib.dbt_models.sql import jinja_safe
from pipelines.lib.storage import LAKE_ROOT_MACRO

INTRO = (
    "# The bronze lake: contract-valid Parquet partitions, one folder per delivery day, under\n"
    "# $SAFECITY_LAKE_ROOT (local, or s3://bucket/prefix: pipelines/lib/storage.py), else <data dir>/lake.\n"
    "# safecity_lake_root() is a DuckDB macro in the warehouse that names it\n"
    "# (pipelines/lib/dbt_storage_plugin.py writes it when dbt connects).\n"
)

# dbt-duckdb reads a source table with this expression, `{name}` being the table (the feed).
# The lake is named by a macro the warehouse holds, written when dbt connects from the same
# settings the Python side reads: not rendered here, where dbt renders it when it parses and
# hashes what it read, so a lake path that differed from one data directory to the next made
# each new one parse 150 files again. The staging views keep the macro's call, so they read
# the lake wherever the warehouse file is opened.
_LAKE = f"{LAKE_ROOT_MACRO}()"


def sources_file(
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
    return INTRO + yaml.safe_dump(
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
                f"read_parquet({_LAKE} || '/bronze/{department}/{{name}}/*/*.parquet', "
                "union_by_name = true)"
            )
        },
        "tables": [_table(contract) for contract in feeds],
    }


def _table(contract: FeedContract) -> dict:
    table: dict = {"name": contract.feed}
    if contract.description:
        table["description"] = jinja_safe(contract.description)
    table["meta"] = {"dagster": {"asset_key": ["bronze", contract.department, contract.feed]}}
    return table
