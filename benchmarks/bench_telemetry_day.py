"""Benchmark: a day of a city-wide lifeline fleet's telemetry ingested and compacted.

    uv run python benchmarks/bench_telemetry_day.py [--scale large] [--assets N] [--scratch DIR] [--keep] [--reuse]

1. Generation (pipelines/sample_city/telemetry_day.py): one day of the housing_construction
   sensor_telemetry feed at the scale's `fleet_assets` (110,000 lifeline assets on `large`,
   over 50 million readings), 288 five-minute window files as the contract names them.
2. Ingestion: the day's windows held to the contract and written to the lake, in one call
   (as one run reads a day that has landed: a catch-up after an outage, or a backfill).
3. The day's last window alone, landed again after the others (its own run late in the day,
   with the day's 287 other windows already in the lake to check its keys against).
4. Compaction of the day's 288 window parts into the day's file.

Each step runs in a process of its own, so its peak memory (ru_maxrss) is its own. Prints
devices, pushes, readings, rows quarantined, seconds, rows per second and peak memory per step,
and the target (a day of at least 50 million readings ingested and compacted under 8 GiB);
writes benchmarks/results/telemetry_day.json. The scratch folder (~15 GB on `large`) is
removed afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from measure import (
    BenchmarkError,
    fresh_scratch,
    machine_info,
    main_guard,
    print_machine,
    print_table,
    write_results,
)

from pipelines.sample_city.config import SCALES

READINGS_TARGET = 50_000_000
MEMORY_TARGET_MIB = 8 * 1024
FEED = ("housing_construction", "sensor_telemetry")
STEPS = ("generate", "ingest", "last_window", "compact")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="large", choices=list(SCALES))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--assets", type=int, help="lifeline assets (default: the scale's)")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/safecity-bench-telemetry-day"))
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument(
        "--reuse", action="store_true", help="ingest the day a --keep run generated in --scratch"
    )
    parser.add_argument("--child", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--day", type=date.fromisoformat, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        figures = run_step(args)
        (args.scratch / f"{args.child}.json").write_text(json.dumps(figures))
        return

    machine = machine_info()
    print_machine(machine)
    figures: dict[str, dict] = {}
    day = None
    if args.reuse:  # the generated day stays; what was made of it goes
        figures["generate"] = json.loads((args.scratch / "generate.json").read_text())
        day = date.fromisoformat(figures["generate"]["day"])
        shutil.rmtree(args.scratch / "lake", ignore_errors=True)
    else:
        fresh_scratch(args.scratch)
    try:
        for step in STEPS[1:] if args.reuse else STEPS:
            print(f"{step} ...", flush=True)
            figures[step] = child(args, step, day)
            day = day or date.fromisoformat(figures["generate"]["day"])
    finally:
        if not args.keep:
            shutil.rmtree(args.scratch, ignore_errors=True)

    generated, ingested, compacted = figures["generate"], figures["ingest"], figures["compact"]
    print(
        f"{generated['devices']:,} devices on {generated['assets']:,} lifeline assets, "
        f"{generated['day']}: {generated['files']} window files, {generated['json_gib']:.1f} GiB "
        f"of JSON, {generated['pushes']:,} pushes, {generated['readings']:,} readings"
    )
    print(
        f"lake: {compacted['bronze_rows']:,} pushes in bronze holding {compacted['readings']:,} "
        f"readings, {compacted['quarantined_rows']:,} quarantined ({generated['invalid_planted']:,} "
        "planted invalid)"
    )
    print_table(
        ["step", "seconds", "rows/s", "peak RSS"],
        [
            [
                step,
                f"{figures[step]['seconds']:.1f}",
                f"{figures[step]['rows_per_s']:,.0f}" if "rows_per_s" in figures[step] else "",
                f"{figures[step]['peak_rss_mib']:,.0f} MiB",
            ]
            for step in STEPS
        ],
    )
    peak = max(ingested["peak_rss_mib"], compacted["peak_rss_mib"])
    enough = compacted["readings"] >= READINGS_TARGET
    print(
        f"target: a day of >= {READINGS_TARGET:,} readings ingested and compacted under "
        f"{MEMORY_TARGET_MIB // 1024} GiB: peak {peak:,.0f} MiB, "
        + (
            "met"
            if enough and peak < MEMORY_TARGET_MIB
            else "missed"
            if enough
            else "not measured at this size (fewer readings)"
        )
    )
    write_results(
        "telemetry_day",
        {"scale": args.scale, "seed": args.seed, "steps": figures},
        machine,
    )


def child(args: argparse.Namespace, step: str, day: date | None) -> dict:
    """One step in a fresh process (its progress shown as it goes); the figures it wrote."""
    command = [sys.executable, __file__, "--child", step, "--scale", args.scale]
    command += ["--seed", str(args.seed), "--scratch", str(args.scratch)]
    command += ["--assets", str(args.assets)] if args.assets is not None else []
    command += ["--day", day.isoformat()] if day is not None else []
    done = subprocess.run(command, check=False)
    if done.returncode != 0:
        raise BenchmarkError(f"the {step} step failed (exit {done.returncode}): see above")
    return json.loads((args.scratch / f"{step}.json").read_text())


def run_step(args: argparse.Namespace) -> dict:
    """Child process: one step on the scratch data directory."""
    from pipelines.defs.feeds import FEED_CONTRACTS
    from pipelines.lib.data_dir import DataDir
    from pipelines.lib.duckdb_connection import connect
    from pipelines.lib.ingest.ingest import ingest_windows
    from pipelines.lib.ingest.windows import compact_day, day_lock, landed_windows

    data = DataDir(args.scratch)
    contract = FEED_CONTRACTS[FEED]
    started = time.perf_counter()
    if args.child == "generate":
        from pipelines.sample_city.telemetry_day import write_fleet_day

        fleet = write_fleet_day(
            args.scratch,
            args.scale,
            args.seed,
            assets=args.assets,
            progress=lambda line: print(f"  {line}", flush=True),
        )
        folder = data.landing_feed(*FEED)
        figures = {
            "day": fleet.day.isoformat(),
            "assets": fleet.assets,
            "devices": fleet.devices,
            "files": fleet.files,
            "pushes": fleet.pushes,
            "readings": fleet.readings,
            "invalid_planted": fleet.invalid,
            "json_gib": sum(p.stat().st_size for p in folder.iterdir()) / 2**30,
        }
    elif args.child in ("ingest", "last_window"):
        if args.child == "last_window":  # lands again: newer than its part, so it is pending
            last = max(landed_windows(data, contract, args.day).items())[1]
            os.utime(last)
            started = time.perf_counter()
        connection = connect()
        windows = rows = 0
        with day_lock(data, contract, args.day):
            for outcome in ingest_windows(data, contract, args.day, connection):
                windows += 1
                rows += outcome.result.landed
        figures = {"windows": windows, "rows": rows}
    else:
        with day_lock(data, contract, args.day):
            compaction = compact_day(data, contract, args.day)
        if compaction is None:
            raise SystemExit("nothing to compact: the ingest step wrote no window parts")
        figures = {
            "seconds": time.perf_counter() - started,
            "bronze_rows": compaction.bronze_rows,
            "quarantined_rows": compaction.quarantined_rows,
            "rows": compaction.bronze_rows + compaction.quarantined_rows,
            "readings": _readings(data, contract, args.day),
        }
    seconds = figures.setdefault("seconds", time.perf_counter() - started)
    if "rows" in figures:
        figures["rows_per_s"] = figures["rows"] / seconds
    figures["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def _readings(data, contract, day: date) -> int:
    """The readings the day's compacted bronze file holds (measures of every push)."""
    import polars as pl

    from pipelines.lib.ingest.lake import partition

    bronze = str(partition(data, contract, day).bronze)
    return pl.scan_parquet(bronze).select(pl.col("measures").list.len().sum()).collect().item()


if __name__ == "__main__":
    main_guard(main)
