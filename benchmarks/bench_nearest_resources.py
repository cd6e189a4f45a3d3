"""Benchmark: nearest_resources, seconds per thousand queries (target: under 1 s, issue 22).

    uv run python benchmarks/bench_nearest_resources.py --data-dir DIR [--repeat 5]

DIR is a data directory `safecity run` has built (the small city for the issue's figure). The
mart's SQL as dbt compiled it for DIR (`DIR/dbt_target/compiled/.../nearest_resources.sql`) is
run --repeat times against a read-only connection to DIR's warehouse (nothing is written), and
so is a brute-force form of the same answer (every query against every resource of each kind)
for comparison. A query is an open event, a warning in force or a major hazard source; each asks
for the k nearest of every resource kind. Prints every repeat, the medians and s per 1000
queries; writes benchmarks/results/nearest_resources.json. Figures taken while other work runs
on the machine are noisy: say so when quoting them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb
from measure import (
    BenchmarkError,
    machine_info,
    main_guard,
    median,
    print_machine,
    print_table,
    require_built,
    write_results,
)

from pipelines.lib.duckdb_connection import connect


def compiled_sql(root: Path) -> str:
    found = sorted((root / "dbt_target" / "compiled").rglob("nearest_resources.sql"))
    if not found:
        raise BenchmarkError(
            f"no compiled nearest_resources.sql under {root}/dbt_target: build the city with "
            "`safecity run` on this commit first"
        )
    return found[0].read_text(encoding="utf-8")


def brute_force_sql(compiled: str) -> str:
    """The same answer without the cells: every query against every resource of each kind.

    The mart's queries and resources (its first CTEs, as compiled) are kept; the search is
    replaced by one cross join ranked per query and kind."""
    head = compiled[: compiled.index("kinds as (")]
    return (
        head
        + """
ranked as (
    select q.query_kind, q.query_key, r.resource_kind, r.resource_key,
        2 * 6371008.8 * asin(sqrt(pow(sin(radians(r.latitude - q.latitude) / 2), 2)
        + cos(radians(q.latitude)) * cos(radians(r.latitude)) * pow(sin(radians(r.longitude - q.longitude) / 2), 2)))
        as distance_m, r.k
    from queries as q cross join resources as r
    qualify row_number() over (
        partition by q.query_kind, q.query_key, r.resource_kind order by distance_m, r.resource_key
    ) <= r.k
)
select * from ranked
"""
    )


def timed(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple[float, int]:
    start = time.perf_counter()
    rows = connection.execute(f"select count(*) from ({sql})").fetchone()
    return time.perf_counter() - start, int(rows[0]) if rows else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root: Path = args.data_dir
    require_built(root)
    machine = machine_info()
    print_machine(machine)
    mart = compiled_sql(root)
    brute = brute_force_sql(mart)
    connection = connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        queries = connection.execute(
            "select count(*) from (select distinct query_kind, query_key from main.nearest_resources)"
        ).fetchone()
        query_count = int(queries[0]) if queries else 0
        if query_count == 0:
            raise BenchmarkError(f"nearest_resources in {root} answers no query: nothing to time")
        by_kind = dict(
            connection.execute(
                "select query_kind, count(distinct query_key) from main.nearest_resources group by 1"
            ).fetchall()
        )
        resources = connection.execute(
            "select count(*) from main.emergency_resources where available"
        ).fetchone()
        timed(connection, mart)  # warm the file cache once
        rows = []
        mart_times, brute_times = [], []
        for repeat in range(1, args.repeat + 1):
            seconds, answers = timed(connection, mart)
            brute_seconds, brute_answers = timed(connection, brute)
            if brute_answers != answers:
                raise BenchmarkError(
                    f"the mart gives {answers} answers, brute force {brute_answers}: not the same answer"
                )
            mart_times.append(seconds)
            brute_times.append(brute_seconds)
            rows.append([repeat, f"{seconds:.3f}", f"{brute_seconds:.3f}", answers])
    finally:
        connection.close()
    print(
        f"{query_count} queries ({', '.join(f'{k} {v}' for k, v in sorted(by_kind.items()))}), "
        f"{resources[0] if resources else 0} available resources"
    )
    print_table(["repeat", "mart s", "brute force s", "answers"], rows)
    per_thousand = median(mart_times) / query_count * 1000
    brute_per_thousand = median(brute_times) / query_count * 1000
    print(
        f"median: mart {median(mart_times):.3f} s = {per_thousand:.3f} s per 1000 queries "
        f"(target under 1 s); brute force {brute_per_thousand:.3f} s per 1000 queries"
    )
    write_results(
        "nearest_resources",
        {
            "data_dir": str(root),
            "queries": query_count,
            "queries_by_kind": by_kind,
            "mart_seconds": mart_times,
            "brute_force_seconds": brute_times,
            "seconds_per_1000_queries": per_thousand,
            "brute_force_seconds_per_1000_queries": brute_per_thousand,
        },
        machine,
    )


if __name__ == "__main__":
    main_guard(main)
