"""Rows per relation of the live warehouse, counted after dbt has released it.

dbt's process holds warehouse.duckdb while it builds, and DuckDB lets no other process open
the file then (docs/architecture.md, One writer): the counts are taken in one read-only
connection once the dbt step's build is over, one query for all relations.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pipelines.lib import settings
from pipelines.lib.duckdb_connection import connect, sql_string
from pipelines.lib.sql_names import qualified
from pipelines.lib.storage import LAKE_ROOT_ENV, configure_duckdb, location


def relation_row_counts(
    warehouse: Path, relations: Mapping[str, tuple[str, str]]
) -> dict[str, int]:
    """`relations`: a name of your choosing -> (schema, table or view). Views are counted too:
    staging views read the lake, so a lake in object storage is configured as dbt's is."""
    if not relations:
        return {}
    names = list(relations)
    query = " union all ".join(
        f"select {sql_string(name)}, count(*) from {qualified(*relations[name])}" for name in names
    )
    connection = connect(str(warehouse), read_only=True)
    try:
        lake_root = settings.value(settings.LAKE_ROOT)
        if lake_root:
            configure_duckdb(connection, [location(lake_root, setting=LAKE_ROOT_ENV)])
        return {name: count for name, count in connection.execute(query).fetchall()}
    finally:
        connection.close()
