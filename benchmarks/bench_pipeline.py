"""Benchmark: `safecity run` end to end on a generated city, per stage, against the floors.

    uv run python benchmarks/bench_pipeline.py --city DIR [--scratch DIR] [--repeat 3]

Each run starts from nothing but the city's deliveries: a fresh data directory under
--scratch with the city's landing/ (and ground_truth/, which the linkage evaluation
reads, and city.yaml, the profile of the city it was generated for) linked in, so the
city itself is never written. `safecity run --data-dir` runs
in a child process, exactly as a user runs it; the resident memory of its whole process
tree (dbt runs as child processes) is sampled every 0.2 s. Per-stage wall times come from
the run's Dagster event log (each step's start and end), which the run keeps in
<data dir>/dagster_home; steps are grouped into stages by name. Time outside any step
(start-up, loading the definitions, launching the three runs) is its own line.

Rows: ingestion and the scorecard are credited with the rows landed (every source row
of every feed), the warehouse with the bronze rows it reads, linkage with the mentions it
links; the end-to-end figure is rows landed over the command's wall time.

After each run, in the same run of this script, the floors: the ingestion floor of
bench_ingest.py (a bare DuckDB CSV-to-Parquet copy of the same files; compared with the
CSV feeds' ingestion steps, the feeds it covers) and the warehouse floor of
bench_warehouse.py (the models' and tests' compiled SQL on a copy of the warehouse this
run built; compared with the dbt steps, which build and test). The last run's data
directory stays in <scratch>/data for the stage benchmarks. Prints the table; writes
benchmarks/results/pipeline.json. Medians over --repeat runs.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import bench_ingest
import bench_warehouse
from measure import (
    BenchmarkError,
    RssSampler,
    fmt_mib,
    fresh_scratch,
    link_into,
    machine_info,
    main_guard,
    median,
    print_machine,
    print_table,
    require_city,
    safecity_command,
    with_development_keys,
    write_results,
)

from pipelines.lib import settings
from pipelines.lib.data_dir import DataDir

# Dagster step name prefix -> stage, in pipeline order; the first match wins. A step that
# matches none is shown under its own name, so a new stage is never silently left out.
STAGES = (
    ("landing_inventory", "landing inventory"),
    ("bronze__", "ingestion"),
    ("reports__department_scorecard", "scorecard"),
    ("dbt_", "warehouse (dbt)"),
    ("linkage__evaluation", "linkage evaluation"),
    ("link_entities", "linkage"),
    ("alerts__", "alerts"),
    ("analytics_copy", "analytics copy"),
    ("extracts__", "publish extracts"),
    ("quality_report__", "quality reports"),
)
OUTSIDE_STEPS = "start-up, between steps"

TARGET_SECONDS = 600
TARGET_ROWS_PER_SECOND = 33_000
TARGET_PEAK_RSS_MIB = 8 * 1024
TARGET_INGEST_RATIO = 2.0
TARGET_WAREHOUSE_RATIO = 1.5


def stage_of(step_key: str) -> str:
    return next((stage for prefix, stage in STAGES if step_key.startswith(prefix)), step_key)


@dataclass
class Step:
    key: str
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class RunLog:
    """What one `safecity run` recorded in its Dagster instance."""

    steps: list[Step]
    rows_landed: int
    bronze_rows: int
    mentions: int


def read_run_log(dagster_home: Path) -> RunLog:
    """Steps and row counts from the instance the run recorded in (every run in it is this one's:
    the data directory, and so the instance, was fresh)."""
    import dagster as dg

    steps: list[Step] = []
    landed: dict[tuple[str, str | None], int] = {}
    bronze: dict[tuple[str, str | None], int] = {}
    mentions: dict[str, int] = {}
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for run in instance.get_runs():
            for stats in instance.get_run_step_stats(run.run_id):
                if stats.start_time is not None and stats.end_time is not None:
                    steps.append(Step(stats.step_key, stats.start_time, stats.end_time))
            records = instance.get_records_for_run(
                run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
            ).records
            for record in records:
                materialization = (
                    record.event_log_entry.dagster_event.step_materialization_data.materialization
                )
                key, metadata = materialization.asset_key.to_user_string(), materialization.metadata
                # Ingestion records each day it ingested with that day's own figures (a day
                # ingested twice counts once, as it stands in the lake).
                if key.startswith("bronze/") and "landed_rows" in metadata:
                    day = (key, materialization.partition)
                    landed[day] = metadata["landed_rows"].value
                    bronze[day] = metadata["dagster/row_count"].value
                elif key.startswith("linkage/") and "mentions" in metadata:
                    mentions[key] = metadata["mentions"].value
    if not steps:
        raise BenchmarkError(f"no steps recorded in the Dagster instance {dagster_home}")
    return RunLog(
        sorted(steps, key=lambda s: s.start),
        sum(landed.values()),
        sum(bronze.values()),
        sum(mentions.values()),
    )


def run_pipeline(city: DataDir, data_root: Path) -> tuple[float, RssSampler, RunLog]:
    """`safecity run` on a fresh data directory holding the city's deliveries; its wall time,
    memory samples and event log. Its output goes to <data dir>/safecity-run.log; its
    milestones (a stage done, a failure) are printed as they come, so a long run shows where
    it is."""
    fresh_scratch(data_root)
    link_into(data_root, city.root, ["landing", "ground_truth", "city.yaml"])
    # The instance read afterwards, whatever the caller had set.
    env = with_development_keys(
        settings.child_environment(DAGSTER_HOME=str(data_root / "dagster_home"))
    )
    log_path = data_root / "safecity-run.log"
    milestone = re.compile(r"^\[\s*(\S+)\] (.+)$")
    started = time.perf_counter()
    with log_path.open("w") as log:
        child = subprocess.Popen(
            [str(safecity_command()), "run", "--data-dir", str(data_root)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        with RssSampler(child.pid) as sampler:
            for line in child.stdout:
                log.write(line)
                if match := milestone.match(line):
                    print(f"  [{match[1]:>7}] {match[2][:150]}", flush=True)
            child.wait()
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        failures = [
            line.strip()
            for line in log_path.read_text().splitlines()
            if "] FAILED " in line or "] check FAILED " in line or line.startswith("error:")
        ]
        first = f": {failures[0][:300]}" if failures else ""
        raise BenchmarkError(
            f"safecity run failed (exit {child.returncode}){first} (all output in {log_path})"
        )
    return seconds, sampler, read_run_log(data_root / "dagster_home")


def figures_of(seconds: float, sampler: RssSampler, run: RunLog, csv_feeds: set[str]) -> dict:
    """One run's figures per stage, in the order the stages started."""
    stages: dict[str, list[Step]] = {}
    for step in run.steps:
        stages.setdefault(stage_of(step.key), []).append(step)
    rows_of = {
        "ingestion": run.rows_landed,
        "scorecard": run.rows_landed,
        "warehouse (dbt)": run.bronze_rows,
        "linkage": run.mentions,
    }
    per_stage = {
        stage: {
            "seconds": sum(s.seconds for s in steps),
            "rows": rows_of.get(stage),
            "peak_rss_mib": max(sampler.peak_mib(s.start, s.end) for s in steps),
            "steps": len(steps),
        }
        for stage, steps in stages.items()
    }
    per_stage[OUTSIDE_STEPS] = {
        "seconds": seconds - sum(s.seconds for s in run.steps),
        "rows": None,
        "peak_rss_mib": None,
        "steps": 0,
    }
    csv_steps = {"bronze__" + feed.replace("/", "__") for feed in csv_feeds}
    return {
        "seconds": seconds,
        "rows_landed": run.rows_landed,
        "bronze_rows": run.bronze_rows,
        "mentions": run.mentions,
        "peak_rss_mib": sampler.peak_mib(),
        "csv_ingestion_seconds": sum(s.seconds for s in run.steps if s.key in csv_steps),
        "stages": per_stage,
        "steps": {s.key: s.seconds for s in run.steps},
    }


def medians(runs: list[dict], stage: str) -> dict:
    """A stage's figures, the median of each over the runs (rows are the same in every run)."""
    figures = [r["stages"][stage] for r in runs if stage in r["stages"]]
    peaks = [f["peak_rss_mib"] for f in figures if f["peak_rss_mib"] is not None]
    return {
        "seconds": median(f["seconds"] for f in figures),
        "rows": figures[-1]["rows"],
        "peak_rss_mib": median(peaks) if peaks else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--city", type=Path, required=True, help="a generated city (`safecity generate --out`)"
    )
    parser.add_argument(
        "--scratch",
        type=Path,
        default=Path("data/bench-scratch/pipeline"),
        help="where each run's data directory and the floors' copies go (emptied first; default %(default)s)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    city = DataDir(args.city.absolute())
    require_city(city.root)
    safecity_command()  # fails in one line before any work when it is missing
    scratch = fresh_scratch(args.scratch)
    data_root = scratch / "data"
    machine = machine_info()
    print(
        f"safecity run end to end on {city.root}, {args.repeat} runs (data directory {data_root})"
    )
    print_machine(machine)

    runs, ingest_floors, warehouse_floors = [], [], []
    for index in range(args.repeat):
        print(f"run {index + 1} of {args.repeat}: safecity run")
        seconds, sampler, run_log = run_pipeline(city, data_root)
        print(f"  {seconds:.1f} s; floors")
        ingest_floor, _ = bench_ingest.measured_floor(city)
        warehouse_floor = bench_warehouse.measured_floor(DataDir(data_root), scratch)
        runs.append(figures_of(seconds, sampler, run_log, set(ingest_floor)))
        ingest_floors.append(sum(ingest_floor.values()))
        warehouse_floors.append(warehouse_floor.models_seconds + warehouse_floor.tests_seconds)

    floors = {"ingestion": median(ingest_floors), "warehouse (dbt)": median(warehouse_floors)}
    result = {stage: medians(runs, stage) for stage in runs[-1]["stages"]}
    # Like with like: the floor copies the CSV files only, so it is compared with their steps.
    compared = {
        "ingestion": median(r["csv_ingestion_seconds"] for r in runs),
        "warehouse (dbt)": result["warehouse (dbt)"]["seconds"]
        if "warehouse (dbt)" in result
        else None,
    }
    for stage, floor in floors.items():
        if stage in result and compared[stage]:
            result[stage] |= {
                "floor_seconds": floor,
                "compared_seconds": compared[stage],
                "ratio": compared[stage] / floor,
            }
    total = median(r["seconds"] for r in runs)
    rows = runs[-1]["rows_landed"]
    peak = median(r["peak_rss_mib"] for r in runs)

    print(
        f"\n{rows:,} source rows (landed) end to end in {total:.1f} s; medians of {args.repeat} runs"
    )
    print_table(
        ["stage", "wall s", "share", "rows", "rows/s", "peak RSS", "floor s", "ratio"],
        [
            [
                stage,
                f"{f['seconds']:.1f}",
                f"{f['seconds'] / total:.0%}",
                f"{f['rows']:,}" if f["rows"] else "",
                f"{f['rows'] / f['seconds']:,.0f}" if f["rows"] else "",
                fmt_mib(f["peak_rss_mib"]) if f["peak_rss_mib"] else "",
                f"{f['floor_seconds']:.1f}" if "ratio" in f else "",
                f"{f['ratio']:.2f}" if "ratio" in f else "",
            ]
            for stage, f in result.items()
        ]
        + [
            [
                "total",
                f"{total:.1f}",
                "100%",
                f"{rows:,}",
                f"{rows / total:,.0f}",
                fmt_mib(peak),
                "",
                "",
            ]
        ],
    )
    if "ratio" in result.get("ingestion", {}):
        print(
            f"ingestion ratio: the CSV feeds' steps ({result['ingestion']['compared_seconds']:.1f} s of "
            f"{result['ingestion']['seconds']:.1f} s) against a bare DuckDB copy of the same files"
        )
    if "ratio" in result.get("warehouse (dbt)", {}):
        print(
            "warehouse ratio: the dbt steps (build: models and tests, around the linkage stages) against the "
            "same models' and tests' compiled SQL in plain DuckDB"
        )
    print("peak RSS: the whole process tree (safecity and the dbt processes it starts), summed")

    targets = {
        "end_to_end_seconds": (
            total,
            total <= TARGET_SECONDS,
            f"{total:.0f} s (target {TARGET_SECONDS} s or less)",
        ),
        "rows_per_second": (
            rows / total,
            rows / total >= TARGET_ROWS_PER_SECOND,
            f"{rows / total:,.0f} rows/s (target {TARGET_ROWS_PER_SECOND:,} or more)",
        ),
        "peak_rss_mib": (
            peak,
            peak < TARGET_PEAK_RSS_MIB,
            f"peak RSS {fmt_mib(peak)} (target under 8 GiB)",
        ),
    }
    if "ratio" in result.get("ingestion", {}):
        ratio = result["ingestion"]["ratio"]
        targets["ingestion_ratio"] = (
            ratio,
            ratio <= TARGET_INGEST_RATIO,
            f"ingestion {ratio:.2f} x floor (target 2 or less)",
        )
    if "ratio" in result.get("warehouse (dbt)", {}):
        ratio = result["warehouse (dbt)"]["ratio"]
        targets["warehouse_ratio"] = (
            ratio,
            ratio <= TARGET_WAREHOUSE_RATIO,
            f"warehouse {ratio:.2f} x floor (target 1.5 or less)",
        )
    print(
        "targets: "
        + "; ".join(f"{text} {'met' if met else 'NOT MET'}" for _, met, text in targets.values())
    )

    write_results(
        "pipeline",
        {
            "city": str(city.root),
            "data_dir": str(data_root),
            "repeat": args.repeat,
            "rows_landed": rows,
            "seconds": total,
            "rows_per_second": rows / total,
            "peak_rss_mib": peak,
            "stages": result,
            "targets": {
                name: {"value": value, "met": met} for name, (value, met, _) in targets.items()
            },
            "all_runs": runs,
            "floor_runs": {
                "ingestion_seconds": ingest_floors,
                "warehouse_seconds": warehouse_floors,
            },
        },
        machine,
    )


if __name__ == "__main__":
    main_guard(main)
