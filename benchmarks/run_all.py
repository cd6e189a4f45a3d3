"""The whole benchmark harness in one command: end to end and every stage, medians of --repeat runs.

    uv run python benchmarks/run_all.py [--scale large] [--repeat 3] [--city DIR] [--scratch DIR]
    make bench-large      # the same, --scale large --repeat 3

1. Generates the city into --city (default data/bench-<scale>/, under the ignored data/)
   unless it is already there. The city is only ever read afterwards.
2. bench_pipeline.py: `safecity run` end to end on a fresh copy of the city's deliveries,
   per-stage wall time, rows/s, peak RSS, and the ingestion and warehouse floors.
3. bench_ingest.py: ingestion alone (no Dagster) against the bare CSV-to-Parquet copy.
4. bench_warehouse.py: `dbt run` and `dbt test` alone against the same SQL in plain DuckDB,
   on copies of the warehouse step 2 built.
5. bench_linkage.py: the linkage stages alone, on step 2's data directory.
6. bench_daily.py: a one-day update (the city's last day landing) against a full rebuild.

Each step runs in its own process (its peak memory is its own) and writes
benchmarks/results/<stage>.json; this script then writes benchmarks/results/all.json, and a
dated copy under benchmarks/results/runs/, with the machine (cores, memory, versions, DuckDB
limits, git commit, date) and the figures the targets are about, and prints them.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path

from measure import (
    RESULTS_DIR,
    BenchmarkError,
    fmt_mib,
    fresh_scratch,
    machine_info,
    main_guard,
    print_machine,
    print_table,
    safecity_command,
)

from pipelines.sample_city.config import SCALES

BENCHMARKS = Path(__file__).resolve().parent


def has_city(root: Path) -> bool:
    landing = root / "landing"
    return landing.is_dir() and any(p.is_file() for p in landing.rglob("*"))


def generate(scale: str, seed: int, city: Path) -> None:
    print(f"== no city in {city}: generating the {scale} city (seed {seed})", flush=True)
    done = subprocess.run(
        [
            str(safecity_command()),
            "generate",
            "--scale",
            scale,
            "--seed",
            str(seed),
            "--out",
            str(city),
        ],
        check=False,
    )
    if done.returncode != 0:
        raise BenchmarkError(
            f"safecity generate failed (exit {done.returncode}); its own error is printed above"
        )


def run_step(script: str, *args: str) -> float:
    """One benchmark script in its own process, its output passed through; its wall time."""
    print(f"\n== {script} {' '.join(args)}", flush=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], check=False)
    if done.returncode != 0:
        raise BenchmarkError(
            f"{script} failed (exit {done.returncode}); its own error is printed above"
        )
    return time.perf_counter() - started


def load(name: str) -> dict:
    return json.loads((RESULTS_DIR / f"{name}.json").read_text())


def summary_rows(
    scale: str, pipeline: dict, ingest: dict, warehouse: dict, linkage: dict, daily: dict
) -> list[tuple[str, str, str, str]]:
    """The figures the targets are about: (figure, value, target, met). The end-to-end targets
    are set for `large` (2 cores, 24 GiB); on other scales they are shown for reference."""

    def met(ok: bool) -> str:
        return "met" if ok else "NOT MET"

    stages = pipeline["stages"]
    rows = [
        (
            "end to end: source rows (landed)",
            f"{pipeline['rows_landed']:,}",
            *(
                ("20,000,000 or more", met(pipeline["rows_landed"] >= 20_000_000))
                if scale == "large"
                else ("", "")
            ),
        ),
        (
            "end to end: wall time",
            f"{pipeline['seconds']:.0f} s",
            "600 s or less",
            met(pipeline["seconds"] <= 600),
        ),
        (
            "end to end: rows/s",
            f"{pipeline['rows_per_second']:,.0f}",
            "33,000 or more",
            met(pipeline["rows_per_second"] >= 33_000),
        ),
        (
            "end to end: peak RSS (process tree)",
            fmt_mib(pipeline["peak_rss_mib"]),
            "under 8 GiB",
            met(pipeline["peak_rss_mib"] < 8 * 1024),
        ),
    ]
    if "ratio" in stages.get("ingestion", {}):
        rows.append(
            (
                "ingestion in the pipeline / bare copy",
                f"{stages['ingestion']['ratio']:.2f}",
                "2 or less",
                met(stages["ingestion"]["ratio"] <= 2),
            )
        )
    rows.append(
        (
            "ingestion alone (bench_ingest) / bare copy",
            f"{ingest['csv_ratio']:.2f}",
            "2 or less",
            met(ingest["csv_ratio"] <= 2),
        )
    )
    if "ratio" in stages.get("warehouse (dbt)", {}):
        rows.append(
            (
                "warehouse in the pipeline / bare models + tests",
                f"{stages['warehouse (dbt)']['ratio']:.2f}",
                "1.5 or less",
                met(stages["warehouse (dbt)"]["ratio"] <= 1.5),
            )
        )
    rows += [
        (
            "warehouse dbt run / bare model SQL",
            f"{warehouse['models_ratio']:.2f}",
            "1.5 or less",
            met(warehouse["models_ratio"] <= 1.5),
        ),
        ("warehouse dbt run + test / bare SQL", f"{warehouse['build_ratio']:.2f}", "", ""),
        ("linkage alone: wall time", f"{linkage['total_seconds']:.0f} s", "", ""),
        (
            "one-day update / full rebuild",
            f"{daily['ratio']:.1%} ({daily['daily_seconds']:.0f} s / {daily['full_rebuild']['seconds']:.0f} s)",
            "10% or less",
            met(daily["ratio"] <= 0.10),
        ),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=list(SCALES), default="large")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per benchmark; figures are medians (default 3)"
    )
    parser.add_argument("--seed", type=int, default=42, help="for generating the city (default 42)")
    parser.add_argument(
        "--city",
        type=Path,
        help="the generated city (default data/bench-<scale>; generated when missing)",
    )
    parser.add_argument(
        "--scratch",
        type=Path,
        default=Path("data/bench-scratch"),
        help="where the runs' data directories and copies go (emptied first; default %(default)s)",
    )
    args = parser.parse_args()
    if args.repeat < 1:
        raise BenchmarkError("--repeat must be 1 or more")
    city = (args.city or Path(f"data/bench-{args.scale}")).absolute()
    scratch = fresh_scratch(args.scratch)
    machine = machine_info()
    print(
        f"benchmark harness: {args.scale} city in {city}, medians of {args.repeat} runs, scratch {scratch}"
    )
    print_machine(machine)

    started = time.perf_counter()
    if not has_city(city):
        generate(args.scale, args.seed, city)
    repeat = ["--repeat", str(args.repeat)]
    built = scratch / "pipeline" / "data"
    seconds = {
        "pipeline": run_step(
            "bench_pipeline.py",
            "--city",
            str(city),
            "--scratch",
            str(scratch / "pipeline"),
            *repeat,
        ),
        "ingest": run_step("bench_ingest.py", "--data-dir", str(city), *repeat),
        "warehouse": run_step(
            "bench_warehouse.py",
            "--data-dir",
            str(built),
            "--scratch",
            str(scratch / "warehouse"),
            *repeat,
        ),
        "linkage": run_step("bench_linkage.py", "--data-dir", str(built), *repeat),
        "daily": run_step(
            "bench_daily.py", "--city", str(city), "--scratch", str(scratch / "daily"), *repeat
        ),
    }
    total = time.perf_counter() - started
    results = {name: load(name) for name in seconds}
    summary = summary_rows(
        args.scale,
        *(results[name] for name in ("pipeline", "ingest", "warehouse", "linkage", "daily")),
    )

    print(f"\n== summary: {args.scale}, medians of {args.repeat} runs")
    print_machine(machine)
    print_table(["figure", "value", "target", ""], summary)
    print(
        f"harness wall time {total / 60:.1f} min ("
        + ", ".join(f"{n} {s / 60:.1f}" for n, s in seconds.items())
        + ")"
    )

    combined = {
        "machine": machine,
        "scale": args.scale,
        "repeat": args.repeat,
        "city": str(city),
        "harness_seconds": total,
        "script_seconds": seconds,
        "summary": [
            dict(zip(("figure", "value", "target", "met"), row, strict=True)) for row in summary
        ],
        # Each script's own file, without its copy of the machine.
        **{
            name: {k: v for k, v in result.items() if k != "machine"}
            for name, result in results.items()
        },
    }
    text = json.dumps(combined, indent=1, ensure_ascii=False)
    (RESULTS_DIR / "all.json").write_text(text)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    dated = RESULTS_DIR / "runs" / f"{stamp}-{args.scale}-{str(machine['git_commit'])[:10]}.json"
    dated.parent.mkdir(parents=True, exist_ok=True)
    dated.write_text(text)
    print(f"written to {RESULTS_DIR / 'all.json'} and {dated}")


if __name__ == "__main__":
    main_guard(main)
