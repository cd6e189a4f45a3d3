"""Benchmark: the dbt warehouse build against its floor, the same SQL run by DuckDB alone.

    uv run python benchmarks/bench_warehouse.py --data-dir DIR [--scratch DIR] [--repeat 3]

DIR is a data directory `safecity run` has built (bronze lake, warehouse with its
linkage tables). In the pipeline, dbt runs in several steps with the Python linkage
stages between them (the warehouse models read the linkage clusters). To time the
models alone, each run starts from a copy of the fully built warehouse, where the
clusters already exist, and rebuilds every model from the bronze lake in one go:

  dbt run    `dbt run --full-refresh`: every model, as a first build makes them
             (incremental models from every day); one dbt process, which parses the
             project from scratch as each of the pipeline's dbt steps does
  dbt test   `dbt test` on the result
  floor      the same models' compiled SQL (`dbt compile --full-refresh`, compiled_code
             in the manifest), in dependency order, run with plain DuckDB as
             `CREATE OR REPLACE TABLE|VIEW <relation> AS <sql>` on another copy; then each
             test's compiled SQL as `SELECT count(*) FROM (<sql>)`. No dbt.

The ratio that has a target is dbt run / floor models (1.5 or less): model SQL against
model SQL. Seeds are left as they are in the copy (3 small configuration tables).
The data directory's own warehouse is never opened for writing: everything happens in
copies under --scratch. Prints wall time, bronze rows per second, peak RSS (this process
and dbt's) and the ratios; writes benchmarks/results/warehouse.json. Medians over --repeat.
"""

from __future__ import annotations

import argparse
import graphlib
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from measure import (
    BenchmarkError,
    Measured,
    fmt_mib,
    fresh_scratch,
    link_into,
    machine_info,
    main_guard,
    median,
    print_machine,
    print_table,
    require_built,
    write_results,
)

from pipelines.lib import settings
from pipelines.lib.city_profile import city_profile
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect

DBT = Path(sys.executable).with_name(
    "dbt"
)  # the dbt of this virtual environment, as the pipeline runs it


def dbt_project_dir() -> Path:
    """Where the pipeline finds the dbt project (pipelines/defs/warehouse/project.py, not imported:
    importing it loads every warehouse asset): $SAFECITY_DBT_PROJECT_DIR, else dbt_project/ here."""
    project = settings.dbt_project_dir()
    if not (project / "dbt_project.yml").is_file():
        raise BenchmarkError(
            f"no dbt project in {project}: run the benchmarks from the repository root"
        )
    return project


@dataclass
class DbtFigures:
    seconds: float  # the dbt process, start to exit
    executing_seconds: float  # dbt's own figure for running the nodes (run_results.json), without start-up and parsing
    peak_rss_mib: float
    node_seconds: dict[str, float]
    not_passed: dict[str, str] = field(
        default_factory=dict
    )  # node -> status, for tests that failed or warned


@dataclass
class FloorFigures:
    models_seconds: float
    tests_seconds: float
    peak_rss_mib: float
    model_seconds: dict[str, float]


def prepare(built: DataDir, scratch: Path) -> DataDir:
    """A data directory at `scratch` with the built one's lake (linked, only read) and a copy of its warehouse."""
    fresh_scratch(scratch)
    link_into(scratch, built.root, ["lake"])
    copy = DataDir(scratch)
    shutil.copyfile(built.warehouse, copy.warehouse)
    if built.city_profile.exists():  # a generated city's profile: the copy serves the same city
        shutil.copyfile(built.city_profile, copy.city_profile)
    return copy


def bronze_rows(data: DataDir) -> int:
    """Rows in the bronze lake: what the warehouse reads (from the Parquet footers, so cheap)."""
    connection = connect()
    try:
        pattern = str(data.bronze / "*" / "*" / "date=*" / "*.parquet")
        return connection.execute(
            "select count(*) from read_parquet(?, union_by_name = true)", [pattern]
        ).fetchone()[0]
    finally:
        connection.close()


def dbt_env(data: DataDir, target: Path) -> dict[str, str]:
    """The environment the pipeline's warehouse step gives dbt, with artifacts and logs in `target`
    (never the repository's dbt_project/target, which the pipeline's manifest lives in)."""
    project = dbt_project_dir()
    env = settings.child_environment()
    env.setdefault(settings.REFERENCE_DIR.name, str(files("pipelines.reference")))
    env |= {
        "SAFECITY_DATA_DIR": str(data.root),
        "DBT_PROJECT_DIR": str(project),
        "DBT_PROFILES_DIR": str(project),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
    }
    return env


def run_dbt(
    data: DataDir, args: list[str], target: Path, *, allow_test_failures: bool = False
) -> DbtFigures:
    """One dbt command in a fresh target folder (as each pipeline step gets one), timed and sampled."""
    target.mkdir(parents=True, exist_ok=True)
    log = target / "stdout.log"
    with Measured() as measured, log.open("w") as out:
        done = subprocess.run(
            # The city as the pipeline passes it (dbt_project.yml holds none).
            [str(DBT), *args, "--vars", json.dumps(city_profile(data.root).dbt_vars())],
            env=dbt_env(data, target),
            cwd=dbt_project_dir(),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    results_path = target / "run_results.json"
    if not results_path.exists() or (done.returncode != 0 and not allow_test_failures):
        raise BenchmarkError(f"dbt {' '.join(args)} failed (exit {done.returncode}): see {log}")
    results = json.loads(results_path.read_text())
    errors = {r["unique_id"]: r["status"] for r in results["results"] if r["status"] == "error"}
    if errors:
        raise BenchmarkError(
            f"dbt {' '.join(args)}: {len(errors)} nodes in error, e.g. {next(iter(errors))}: see {log}"
        )
    return DbtFigures(
        seconds=measured.seconds,
        executing_seconds=results["elapsed_time"],
        peak_rss_mib=measured.peak_rss_mib,
        node_seconds={r["unique_id"]: r["execution_time"] for r in results["results"]},
        not_passed={
            r["unique_id"]: r["status"]
            for r in results["results"]
            if r["status"] not in ("success", "pass")
        },
    )


def compile_project(data: DataDir, target: Path) -> dict:
    """The manifest with every node's compiled SQL, for a full build (is_incremental() false)."""
    run_dbt(data, ["compile", "--full-refresh"], target)
    return json.loads((target / "manifest.json").read_text())


def models_in_order(manifest: dict) -> list[dict]:
    """The models dbt builds (not ephemeral ones: dbt inlines them), dependencies first."""
    nodes = manifest["nodes"]
    models = {
        uid: n
        for uid, n in nodes.items()
        if n["resource_type"] == "model" and n["config"].get("enabled", True)
    }
    graph = {uid: [d for d in n["depends_on"]["nodes"] if d in models] for uid, n in models.items()}
    return [
        models[uid]
        for uid in graphlib.TopologicalSorter(graph).static_order()
        if models[uid]["config"]["materialized"] != "ephemeral"
    ]


def tests_of(manifest: dict) -> list[dict]:
    return sorted(
        (
            n
            for n in manifest["nodes"].values()
            if n["resource_type"] == "test" and n["config"].get("enabled", True)
        ),
        key=lambda n: n["unique_id"],
    )


def _sql(node: dict) -> str:
    # The newline ends a trailing `--` comment before what follows; a semicolon would end the statement early.
    return node["compiled_code"].strip().rstrip(";") + "\n"


def floor_build(data: DataDir, manifest: dict) -> FloorFigures:
    """Every model's compiled SQL as CREATE OR REPLACE ... AS, then every test's as a count, on `data`'s warehouse.

    The statements are dbt's compiled SQL and relation names verbatim: building them is what
    the floor measures, so they are run as they are, not parameterised.
    """
    connection = connect(str(data.warehouse))
    model_seconds = {}
    try:
        with Measured() as measured:
            started = time.perf_counter()
            for node in models_in_order(manifest):
                kind = "VIEW" if node["config"]["materialized"] == "view" else "TABLE"
                model_started = time.perf_counter()
                connection.execute(f"CREATE SCHEMA IF NOT EXISTS {node['schema']}")
                connection.execute(
                    f"CREATE OR REPLACE {kind} {node['relation_name']} AS\n{_sql(node)}"
                )
                model_seconds[node["unique_id"]] = time.perf_counter() - model_started
            models_seconds = time.perf_counter() - started
            for node in tests_of(manifest):
                connection.execute(
                    f"SELECT count(*) FROM (\n{_sql(node)}) AS dbt_internal_test"
                ).fetchone()
            tests_seconds = time.perf_counter() - started - models_seconds
    finally:
        connection.close()
    return FloorFigures(models_seconds, tests_seconds, measured.peak_rss_mib, model_seconds)


def measured_floor(built: DataDir, scratch: Path) -> FloorFigures:
    """The floor on a fresh copy of `built`'s warehouse under `scratch` (compiling is not timed)."""
    data = prepare(built, scratch / "floor")
    manifest = compile_project(data, scratch / "floor-target")
    return floor_build(data, manifest)


def table_rows(warehouse: Path) -> dict[str, int]:
    """Rows of every table, to show the floor built what dbt built."""
    connection = connect(str(warehouse), read_only=True)
    try:
        names = connection.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()
        return {
            f"{s}.{t}": connection.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]
            for s, t in names
        }
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-dir", type=Path, required=True, help="a data directory `safecity run` has built"
    )
    parser.add_argument(
        "--scratch",
        type=Path,
        default=Path("data/bench-scratch/warehouse"),
        help="where the warehouse copies go (emptied first; default %(default)s)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    built = DataDir(args.data_dir.absolute())
    require_built(built.root)
    scratch = fresh_scratch(args.scratch)
    machine = machine_info()
    rows = bronze_rows(built)

    runs, tests, floors = [], [], []
    for _ in range(args.repeat):
        data = prepare(built, scratch / "dbt")
        runs.append(run_dbt(data, ["run", "--full-refresh"], scratch / "dbt-run-target"))
        shutil.rmtree(scratch / "dbt-run-target")
        tests.append(run_dbt(data, ["test"], scratch / "dbt-test-target", allow_test_failures=True))
        shutil.rmtree(scratch / "dbt-test-target")
        floors.append(measured_floor(built, scratch))
        shutil.rmtree(scratch / "floor-target")
    dbt_rows, floor_rows = (
        table_rows(scratch / "dbt" / "warehouse.duckdb"),
        table_rows(scratch / "floor" / "warehouse.duckdb"),
    )
    differing = sorted(t for t in dbt_rows if floor_rows.get(t) != dbt_rows[t])

    manifest_models = len(floors[-1].model_seconds)
    run_s, run_exec_s, test_s = (
        median(r.seconds for r in runs),
        median(r.executing_seconds for r in runs),
        median(t.seconds for t in tests),
    )
    test_exec_s = median(t.executing_seconds for t in tests)
    floor_models_s, floor_tests_s = (
        median(f.models_seconds for f in floors),
        median(f.tests_seconds for f in floors),
    )
    build_s = median(r.seconds + t.seconds for r, t in zip(runs, tests, strict=True))
    floor_build_s = median(f.models_seconds + f.tests_seconds for f in floors)
    print(
        f"warehouse build of {built.root}: {manifest_models} models, {len(tests[-1].node_seconds)} tests, "
        f"on {rows:,} bronze rows; medians of {args.repeat} runs"
    )
    print_machine(machine)
    print_table(
        ["step", "wall s", "bronze rows/s", "peak RSS", "floor s", "ratio"],
        [
            [
                "dbt run (models)",
                f"{run_s:.1f}",
                f"{rows / run_s:,.0f}",
                fmt_mib(median(r.peak_rss_mib for r in runs)),
                f"{floor_models_s:.1f}",
                f"{run_s / floor_models_s:.2f}",
            ],
            [
                "  dbt's own figure for executing them",
                f"{run_exec_s:.1f}",
                "",
                "",
                f"{floor_models_s:.1f}",
                f"{run_exec_s / floor_models_s:.2f}",
            ],
            [
                "dbt test",
                f"{test_s:.1f}",
                "",
                fmt_mib(median(t.peak_rss_mib for t in tests)),
                f"{floor_tests_s:.1f}",
                f"{test_s / floor_tests_s:.2f}",
            ],
            [
                "  dbt's own figure for executing them",
                f"{test_exec_s:.1f}",
                "",
                "",
                f"{floor_tests_s:.1f}",
                f"{test_exec_s / floor_tests_s:.2f}",
            ],
            [
                "dbt run + test",
                f"{build_s:.1f}",
                f"{rows / build_s:,.0f}",
                "",
                f"{floor_build_s:.1f}",
                f"{build_s / floor_build_s:.2f}",
            ],
        ],
    )
    print(
        f"floor peak RSS {fmt_mib(median(f.peak_rss_mib for f in floors))}; target: dbt run at most 1.5 times the floor "
        f"({run_s / floor_models_s:.2f})"
    )
    failed = tests[-1].not_passed
    if failed:
        print(
            f"note: {len(failed)} tests did not pass ({', '.join(sorted(set(failed.values())))}); their time counts all the same"
        )
    if differing:
        print(
            f"note: tables whose rows differ between dbt's build and the floor's (the same SQL, so "
            f"SQL that is not deterministic): {', '.join(differing[:5])}"
        )

    slowest = sorted(floors[-1].model_seconds, key=lambda uid: -runs[-1].node_seconds.get(uid, 0))[
        :10
    ]
    print("\nslowest models (last run): dbt's execution time against the same SQL alone")
    print_table(
        ["model", "dbt s", "floor s"],
        [
            [
                uid.split(".")[-1],
                f"{runs[-1].node_seconds.get(uid, 0):.2f}",
                f"{floors[-1].model_seconds[uid]:.2f}",
            ]
            for uid in slowest
        ],
    )

    write_results(
        "warehouse",
        {
            "data_dir": str(built.root),
            "repeat": args.repeat,
            "bronze_rows": rows,
            "models": manifest_models,
            "tests": len(tests[-1].node_seconds),
            "dbt_run_seconds": run_s,
            "dbt_run_executing_seconds": run_exec_s,
            "dbt_test_seconds": test_s,
            "dbt_test_executing_seconds": test_exec_s,
            "dbt_run_and_test_seconds": build_s,
            "floor_models_seconds": floor_models_s,
            "floor_tests_seconds": floor_tests_s,
            "floor_models_and_tests_seconds": floor_build_s,
            "models_ratio": run_s / floor_models_s,
            "build_ratio": build_s / floor_build_s,
            "rows_per_second": rows / run_s,
            "dbt_peak_rss_mib": median(r.peak_rss_mib for r in runs),
            "floor_peak_rss_mib": median(f.peak_rss_mib for f in floors),
            "tests_not_passed": failed,
            "tables_with_other_rows_in_floor": differing,
            "all_runs": {
                "dbt_run_seconds": [r.seconds for r in runs],
                "dbt_test_seconds": [t.seconds for t in tests],
                "floor_models_seconds": [f.models_seconds for f in floors],
                "floor_tests_seconds": [f.tests_seconds for f in floors],
            },
            "last_run_model_seconds": {
                uid.split(".")[-1]: {"dbt": runs[-1].node_seconds.get(uid), "floor": s}
                for uid, s in floors[-1].model_seconds.items()
            },
        },
        machine,
    )


if __name__ == "__main__":
    main_guard(main)
