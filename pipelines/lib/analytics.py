"""The analytics copy: what analysts open, so a running build never locks them out.

DuckDB allows one writer or many readers of a file, never both (docs/architecture.md, One writer). The
pipeline writes warehouse.duckdb; after each good build this copies it to a
temporary file beside analytics.duckdb, drops what analysts should not see
(staging and intermediate layers, which hold source identifiers in clear), and
renames it into place: readers keep the old file until they reconnect, and never
see a half-built state.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from pipelines.lib.atomic import atomic_output
from pipelines.lib.sql_names import qualified, quoted

PUBLISHED_SCHEMAS = ("main",)  # the warehouse layer; staging and intermediate stay in the live file


def publish_analytics_copy(warehouse: Path, analytics: Path) -> None:
    if not warehouse.exists():
        raise FileNotFoundError(f"{warehouse} does not exist: build the warehouse first")
    with atomic_output(analytics) as tmp:
        shutil.copyfile(warehouse, tmp)
        connection = duckdb.connect(str(tmp))
        try:
            schemas = [
                row[0]
                for row in connection.execute(
                    "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = current_database()"
                ).fetchall()
            ]
            for schema in schemas:
                if schema not in PUBLISHED_SCHEMAS and schema not in (
                    "information_schema",
                    "pg_catalog",
                ):
                    connection.execute(f"DROP SCHEMA {quoted(schema, 'schema')} CASCADE")
            connection.execute("CHECKPOINT")
        finally:
            connection.close()


def table_row_counts(database: Path) -> dict[str, int]:
    """Rows per table of the published warehouse layer."""
    connection = duckdb.connect(str(database), read_only=True)
    try:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' "
            "ORDER BY table_name"
        ).fetchall()
        counts = {}
        for (name,) in tables:
            [(counts[name],)] = connection.execute(
                f"SELECT count(*) FROM {qualified('main', name)}"
            ).fetchall()
        return counts
    finally:
        connection.close()
