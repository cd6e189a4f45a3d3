"""Proof: two built warehouses hold the same tables, row for row.

    uv run python benchmarks/warehouse_equality.py BEFORE_DATA_DIR AFTER_DATA_DIR [--schemas main,intermediate]

Each data directory is one `safecity run` has built (same city, seed and days), e.g. one with
the code before a change and one after. For every table of the given schemas in both
warehouses, it compares the rows `EXCEPT ALL` both ways over the columns both have (in name
order, so a column moved is not a difference), and lists tables and columns only one side
has. Linkage's evaluation (precision, recall, F1 per entity kind) is printed side by side.
Exit 0 when every common table is equal, 1 otherwise. Read-only: both files are attached
read-only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from pipelines.lib.linkage.evaluate import score_linkage

WAREHOUSE = "warehouse.duckdb"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--schemas", default="main,intermediate")
    args = parser.parse_args(argv)
    schemas = tuple(args.schemas.split(","))
    for folder in (args.before, args.after):
        if not (folder / WAREHOUSE).is_file():
            print(
                f"{folder / WAREHOUSE}: no warehouse here: build it with `safecity run --data-dir {folder}`"
            )
            return 2

    differences = compare(args.before / WAREHOUSE, args.after / WAREHOUSE, schemas)
    for table, rows, status in differences:
        print(f"{table}: {rows:,} rows, {status}" if rows is not None else f"{table}: {status}")
    _linkage(args.before, args.after)
    return 0 if all(status.startswith("equal") for _, _, status in differences) else 1


def compare(
    before: Path, after: Path, schemas: tuple[str, ...] = ("main", "intermediate")
) -> list[tuple[str, int | None, str]]:
    """(table, rows before, "equal" or how it differs) for every table of `schemas` in either
    warehouse; rows None for a table only one side has."""
    con = duckdb.connect()
    try:
        for alias, path in (("a", before), ("b", after)):
            con.execute(f"attach '{path}' as {alias} (read_only)")
        tables_a, tables_b = _tables(con, "a", schemas), _tables(con, "b", schemas)
        result: list[tuple[str, int | None, str]] = [
            (table, None, f"only {'before' if table in tables_a else 'after'}")
            for table in sorted(tables_a.keys() ^ tables_b.keys())
        ]
        for table in sorted(tables_a.keys() & tables_b.keys()):
            common = sorted(set(tables_a[table]) & set(tables_b[table]))
            only = sorted(set(tables_a[table]) ^ set(tables_b[table]))
            columns = ", ".join(f'"{c}"' for c in common)
            counts = [
                con.execute(
                    f"select count(*) from (select {columns} from {x}.{table} except all select {columns} from {y}.{table})"
                ).fetchone()[0]
                for x, y in (("a", "b"), ("b", "a"))
            ]
            rows = con.execute(f"select count(*) from a.{table}").fetchone()[0]
            status = (
                "equal"
                if counts == [0, 0]
                else f"DIFFERENT: {counts[0]:,} rows only before, {counts[1]:,} only after"
            )
            note = f"; columns only on one side: {', '.join(only)}" if only else ""
            result.append((table, rows, status + note))
        return result
    finally:
        con.close()


def _tables(
    con: duckdb.DuckDBPyConnection, alias: str, schemas: tuple[str, ...]
) -> dict[str, list[str]]:
    # Tables only: a view names the catalog it was made in, which is attached here under
    # another name, and it reads tables that are compared anyway.
    rows = con.execute(
        "select c.table_schema || '.' || c.table_name, c.column_name "
        "from information_schema.columns as c join information_schema.tables as t "
        "using (table_catalog, table_schema, table_name) "
        "where c.table_catalog = ? and c.table_schema in (select unnest(?)) "
        "and t.table_type = 'BASE TABLE' order by all",
        [alias, list(schemas)],
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def _linkage(before: Path, after: Path) -> None:
    """Linkage's scores against the sample city's ground truth, before and after."""
    print("linkage (before -> after):")
    scores = []
    for folder in (before, after):
        con = duckdb.connect(str(folder / WAREHOUSE), read_only=True)
        try:
            scores.append({s.entity_kind: s for s in score_linkage(con, folder / "ground_truth")})
        finally:
            con.close()
    for kind, old in scores[0].items():
        new = scores[1].get(kind)
        if new is None:
            print(f"  {kind}: F1 {old.f1:.4f} -> (not scored)")
            continue
        print(
            f"  {kind}: mentions {old.mentions:,} -> {new.mentions:,}, clusters {old.clusters:,} -> "
            f"{new.clusters:,}, precision {old.precision:.4f} -> {new.precision:.4f}, "
            f"recall {old.recall:.4f} -> {new.recall:.4f}, F1 {old.f1:.4f} -> {new.f1:.4f}"
        )


if __name__ == "__main__":
    sys.exit(main())
