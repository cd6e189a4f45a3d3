"""Benchmark: the fixed costs of `safecity run` on a small city: a full run, and a run with nothing new.

    uv run python benchmarks/bench_fixed_costs.py [--city DIR] [--scratch DIR] [--repeat 3]

Each repeat starts from an empty data directory holding the city's deliveries (hard links, so
the city is never written) and its profile:
1. `safecity run`: everything ingested and built (target 30 s or less on the tiny city);
2. `safecity run` again, nothing delivered since (target 10 s or less): it should find the last
   complete run's fingerprint unchanged and build nothing (pipelines/lib/run_state.py).

Without --city, the tiny city (seed 42) is generated into the scratch folder first. Prints each
run's time and peak RSS, the full run's seconds by stage, the medians against the targets, the
machine and its load average (figures on a loaded machine say so); writes
benchmarks/results/fixed_costs.json.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path

from bench_daily import landing_without, timed_run
from measure import (
    BenchmarkError,
    fmt_mib,
    fresh_scratch,
    machine_info,
    main_guard,
    median,
    print_machine,
    print_table,
    require_city,
    safecity_command,
    write_results,
)

from pipelines.lib.data_dir import DataDir

TARGET_FULL_SECONDS = 30.0
TARGET_NOTHING_NEW_SECONDS = 10.0


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


def _generate(folder: Path) -> DataDir:
    result = subprocess.run(
        [
            str(safecity_command()),
            "generate",
            "--scale",
            "tiny",
            "--seed",
            "42",
            "--out",
            str(folder),
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BenchmarkError(f"safecity generate failed: {result.stderr.strip()[-500:]}")
    return DataDir(folder)


def _fresh_copy(city: DataDir, data: DataDir) -> None:
    landing_without(city, data, set())
    if city.city_profile.is_file():  # a generated city's profile (else contracts/city.yaml)
        shutil.copy2(city.city_profile, data.city_profile)
    if city.ground_truth.is_dir():  # read by the linkage evaluation
        data.ground_truth.symlink_to(city.ground_truth, target_is_directory=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--city", type=Path, help="a generated city (default: tiny, seed 42, generated first)"
    )
    parser.add_argument(
        "--scratch",
        type=Path,
        default=Path("data/bench-scratch/fixed-costs"),
        help="where the data directories are made (emptied first; default %(default)s)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="full runs (default 3)")
    args = parser.parse_args()
    safecity_command()  # fails in one line before any work when it is missing
    scratch = fresh_scratch(args.scratch).absolute()
    machine = machine_info()
    print_machine(machine)
    print(_load())
    if args.city is None:
        print("tiny city, seed 42: safecity generate")
        city = _generate(scratch / "city")
    else:
        city = DataDir(args.city.absolute())
    require_city(city.root)

    full, nothing_new = [], []
    for index in range(args.repeat):
        data = DataDir(scratch / f"run-{index + 1}")
        _fresh_copy(city, data)
        print(f"repeat {index + 1} of {args.repeat} ({_load()})")
        full.append(timed_run(data))
        print(
            f"  full run          {full[-1]['seconds']:6.1f} s, peak RSS {fmt_mib(full[-1]['peak_rss_mib'])}"
        )
        nothing_new.append(timed_run(data))
        output = (data.root / "safecity-run.log").read_text("utf-8")
        if (
            "nothing new or changed since the last complete run"
            not in output.split("safecity run on")[-1]
        ):
            raise BenchmarkError(
                f"the second run in {data.root} built again: see its safecity-run.log"
            )
        print(
            f"  nothing new       {nothing_new[-1]['seconds']:6.1f} s, "
            f"peak RSS {fmt_mib(nothing_new[-1]['peak_rss_mib'])}"
        )

    full_s = median(r["seconds"] for r in full)
    none_s = median(r["seconds"] for r in nothing_new)
    print(f"\nfull run of {city.root.name}: stages, median seconds of {args.repeat}")
    stages = list(full[0]["stages"])
    print_table(
        ["stage", "seconds"],
        [[stage, f"{median(r['stages'].get(stage, 0.0) for r in full):.1f}"] for stage in stages],
    )
    print()
    for name, seconds, target in (
        ("full run", full_s, TARGET_FULL_SECONDS),
        ("run with nothing new", none_s, TARGET_NOTHING_NEW_SECONDS),
    ):
        verdict = "met" if seconds <= target else "NOT MET"
        print(f"{name}: {seconds:.1f} s (median of {args.repeat}; target {target:.0f} s) {verdict}")
    print(f"({_load()}: figures on a loaded machine are slower than on a quiet one)")
    write_results(
        "fixed_costs",
        {
            "city": str(city.root),
            "repeat": args.repeat,
            "full_runs": full,
            "nothing_new_runs": nothing_new,
            "full_seconds": full_s,
            "nothing_new_seconds": none_s,
            "load_average_at_end": list(os.getloadavg()),
            "target": {
                "full": {
                    "value": full_s,
                    "limit": TARGET_FULL_SECONDS,
                    "met": full_s <= TARGET_FULL_SECONDS,
                },
                "nothing_new": {
                    "value": none_s,
                    "limit": TARGET_NOTHING_NEW_SECONDS,
                    "met": none_s <= TARGET_NOTHING_NEW_SECONDS,
                },
            },
        },
        machine,
    )


if __name__ == "__main__":
    main_guard(main)
