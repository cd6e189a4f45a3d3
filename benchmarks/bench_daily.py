"""Benchmark: a one-day update against a full rebuild of the same city.

    uv run python benchmarks/bench_daily.py --city DIR [--scratch DIR] [--repeat 3]

1. A data directory with every delivery of the city but its last `--repeat` days' (linked
   file by file, so the city is never written) is built once with `safecity run`.
2. The next of those days lands (its files copied in) and `safecity run` updates the lake,
   the warehouse and what is published from it: a daily update, timed. Each repeat is a new
   day, as in a city, so nothing it publishes is the same as the day before by construction.
3. The warehouse after the last update is set aside, and `safecity run --full-refresh` on the
   same directory re-ingests every day and rebuilds every model, timed once
   (bench_pipeline.py gives the median of fresh full builds).
4. Every table of the warehouse (`main` and `intermediate`) after the daily updates is
   compared row for row with the full rebuild's (warehouse_equality.py).

Prints each run's time and peak RSS, the daily update's stages, the ratio of the median
daily update to the full rebuild (target 10% or less) and the tables that differ; writes
benchmarks/results/daily.json. Exit 1 when a table differs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import time
from pathlib import Path

from bench_pipeline import stage_of
from measure import (
    BenchmarkError,
    RssSampler,
    fmt_mib,
    fresh_scratch,
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
from warehouse_equality import compare

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.lib import settings
from pipelines.lib.data_dir import DataDir

TARGET_RATIO = 0.10


def last_days_files(city: DataDir, count: int) -> list[tuple[str, list[Path]]]:
    """The city's last `count` delivery days (yyyymmdd) and their files across feeds, in order."""
    days: dict[str, list[Path]] = {}
    for contract in FEED_CONTRACTS.values():
        folder = city.landing_feed(contract.department, contract.feed)
        for path in folder.iterdir() if folder.is_dir() else []:
            if (day := contract.landing.day_of(path.name)) is not None:
                days.setdefault(day.strftime("%Y%m%d"), []).append(path)
    if len(days) <= count:
        raise BenchmarkError(
            f"{city.root} has {len(days)} delivery days: {count} daily updates need {count + 1}"
        )
    return [(day, days[day]) for day in sorted(days)[-count:]]


def landing_without(city: DataDir, data: DataDir, held: set[Path]) -> None:
    """The city's landing files in `data`, as hard links (copies across file systems), except
    those `held` back. Not symlinks: landing refuses to read a link (pipelines/lib/landing/files.py)."""
    for path in city.landing.rglob("*"):
        if path.is_file() and path not in held:
            target = data.landing / path.relative_to(city.landing)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)


def deliver(city: DataDir, data: DataDir, files: list[Path]) -> None:
    """Copies, not links: their modification time is the delivery's, and touching them leaves the city alone."""
    now = time.time()
    for path in files:
        target = data.landing / path.relative_to(city.landing)
        shutil.copyfile(path, target)
        os.utime(target, (now, now))


def timed_run(data: DataDir, *options: str) -> dict:
    """`safecity run` as a user runs it; wall time, peak RSS of its process tree, and its steps'
    seconds by stage (from the Dagster instance, runs that started after this one began)."""
    import dagster as dg

    env = with_development_keys(
        settings.child_environment(DAGSTER_HOME=str(data.root / "dagster_home"))
    )
    log = data.root / "safecity-run.log"
    began = time.time()
    with log.open("a") as out:
        child = subprocess.Popen(
            [str(safecity_command()), "run", "--data-dir", str(data.root), *options],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        with RssSampler(child.pid) as sampler:
            child.wait()
    seconds = time.time() - began
    if child.returncode != 0:
        raise BenchmarkError(
            f"safecity run {' '.join(options)} failed (exit {child.returncode}): see {log}"
        )
    stages: dict[str, float] = {}
    with dg.DagsterInstance.from_config(str(data.root / "dagster_home")) as instance:
        for run in instance.get_runs():
            for step in instance.get_run_step_stats(run.run_id):
                if step.start_time and step.end_time and step.start_time >= began:
                    stage = stage_of(step.step_key)
                    stages[stage] = stages.get(stage, 0.0) + step.end_time - step.start_time
    stages["start-up, between steps"] = seconds - sum(stages.values())
    return {"seconds": seconds, "peak_rss_mib": sampler.peak_mib(), "stages": stages}


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
        default=Path("data/bench-scratch/daily"),
        help="the data directory updated (emptied first; default %(default)s)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="daily updates (default 3)")
    args = parser.parse_args()
    city = DataDir(args.city.absolute())
    require_city(city.root)
    safecity_command()  # fails in one line before any work when it is missing
    data = DataDir(fresh_scratch(args.scratch))
    machine = machine_info()
    print_machine(machine)

    held = last_days_files(city, args.repeat)
    landing_without(city, data, {path for _, files in held for path in files})
    if city.city_profile.is_file():  # a generated city's profile (else contracts/city.yaml)
        shutil.copy2(city.city_profile, data.city_profile)
    if (city.ground_truth).is_dir():  # read by the linkage evaluation
        data.ground_truth.symlink_to(city.ground_truth, target_is_directory=True)
    print(f"every delivery of {city.root} but the last {args.repeat} days': safecity run")
    setup = timed_run(data)
    print(f"  {setup['seconds']:.1f} s, peak RSS {fmt_mib(setup['peak_rss_mib'])}")

    daily = []
    for index, (day, files) in enumerate(held):
        deliver(city, data, files)
        print(f"daily update {index + 1} of {args.repeat}: {day} lands ({len(files)} files)")
        daily.append(timed_run(data) | {"day": day})
        print(f"  {daily[-1]['seconds']:.1f} s, peak RSS {fmt_mib(daily[-1]['peak_rss_mib'])}")

    updated = data.root.parent / f"{data.root.name}-after-daily-updates.duckdb"
    shutil.copyfile(data.warehouse, updated)
    print("full rebuild: safecity run --full-refresh")
    full = timed_run(data, "--full-refresh")
    print(f"  {full['seconds']:.1f} s, peak RSS {fmt_mib(full['peak_rss_mib'])}")
    print("the warehouse after the daily updates against the full rebuild, table by table")
    compared = compare(updated, data.warehouse)
    updated.unlink()
    differences = [(table, status) for table, _, status in compared if status != "equal"]
    for table, status in differences:
        print(f"  {table}: {status}")
    print(f"  {len(compared) - len(differences)} of {len(compared)} tables equal")

    daily_seconds = median(r["seconds"] for r in daily)
    ratio = daily_seconds / full["seconds"]
    stages = list(full["stages"])
    print(
        f"\none-day update {daily_seconds:.1f} s (median of {args.repeat}) against a full rebuild "
        f"{full['seconds']:.1f} s: {ratio:.1%} (target {TARGET_RATIO:.0%} or less) "
        f"{'met' if ratio <= TARGET_RATIO else 'NOT MET'}"
    )
    print_table(
        ["stage", "daily s", "full s", "daily/full"],
        [
            [
                stage,
                f"{median(r['stages'].get(stage, 0.0) for r in daily):.1f}",
                f"{full['stages'][stage]:.1f}",
                f"{median(r['stages'].get(stage, 0.0) for r in daily) / full['stages'][stage]:.0%}"
                if full["stages"][stage] > 0
                else "",
            ]
            for stage in stages
        ],
    )
    write_results(
        "daily",
        {
            "city": str(city.root),
            "days": [day for day, _ in held],
            "repeat": args.repeat,
            "setup": setup,
            "daily_runs": daily,
            "full_rebuild": full,
            "daily_seconds": daily_seconds,
            "ratio": ratio,
            "target": {"value": ratio, "met": ratio <= TARGET_RATIO},
            "tables_compared": len(compared),
            "tables_different": dict(differences),
        },
        machine,
    )
    if differences:
        raise BenchmarkError(
            f"{len(differences)} tables differ between the daily updates and the full rebuild "
            "(listed above): the incremental build is wrong"
        )


if __name__ == "__main__":
    main_guard(main)
