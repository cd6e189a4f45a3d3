"""Benchmark: the cost curve, `safecity run` end to end at growing sizes of the sample city.

    uv run python benchmarks/cost_curve.py [--scales small medium large xlarge] [--seed 42]

For each scale (about 1.3, 5, 28 and 60 million rows landed), the city is generated into
data/bench-<scale>/ unless it is there already (the same cities run_all.py uses), then
`safecity run` builds it from nothing in a child process, as bench_pipeline.py runs it: wall
time, the peak resident memory of its whole process tree (0.2 s samples) and the time per
stage from the run's event log. One run per scale: the curve is about how cost grows, and
the largest run takes most of an hour.

Prints a table, writes benchmarks/results/cost_curve.json and draws
benchmarks/results/cost_curve.png (time and memory against rows, the machine in its title).
Both are committed: the README's capacity advice is read off them. The points of scales not
run this time (same seed) are kept from the last file, each with the commit and date it was
measured at, so the largest point can be measured on its own.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from bench_pipeline import figures_of, run_pipeline
from measure import (
    RESULTS_DIR,
    fresh_scratch,
    machine_info,
    main_guard,
    print_machine,
    print_table,
    safecity_command,
    write_results,
)
from run_all import generate, has_city

from pipelines.lib.data_dir import DataDir
from pipelines.sample_city.config import SCALES

# The stages drawn apart; the others are summed into "other".
DRAWN_STAGES = ("ingestion", "linkage", "warehouse (dbt)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scales", nargs="+", default=["small", "medium", "large", "xlarge"], choices=list(SCALES)
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--scratch",
        type=Path,
        default=Path("data/bench-scratch/cost-curve"),
        help="each run's data directory (emptied first; default %(default)s)",
    )
    args = parser.parse_args()
    safecity_command()
    machine = machine_info()
    print_machine(machine)
    points = _earlier_points(args.seed, args.scales, machine)
    for scale in args.scales:
        city = Path(f"data/bench-{scale}").absolute()
        if not has_city(city):
            generate(scale, args.seed, city)
        print(f"== {scale}: safecity run on {city}", flush=True)
        seconds, sampler, run = run_pipeline(DataDir(city), args.scratch.absolute() / "data")
        figures = figures_of(seconds, sampler, run, csv_feeds=set())
        measured = {"measured_at": machine["date"], "git_commit": machine["git_commit"]}
        points.append({"scale": scale, **measured, **figures})
        points.sort(key=lambda point: point["rows_landed"])
        print(
            f"   {figures['rows_landed']:,} rows in {seconds / 60:.1f} min, "
            f"peak {figures['peak_rss_mib'] / 1024:.1f} GiB",
            flush=True,
        )
        # The next scale's lake needs the room.
        shutil.rmtree(args.scratch / "data", ignore_errors=True)
        # Written after every scale: the largest take the longest, and the points measured
        # so far are kept if one is stopped.
        write_results("cost_curve", {"seed": args.seed, "points": points}, machine)
        draw(points, machine, RESULTS_DIR / "cost_curve.png")
    fresh_scratch(args.scratch)

    print_table(
        ["scale", "rows landed", "minutes", "rows/s", "peak RSS", *DRAWN_STAGES],
        [
            [
                point["scale"],
                f"{point['rows_landed']:,}",
                f"{point['seconds'] / 60:.1f}",
                f"{point['rows_landed'] / point['seconds']:,.0f}",
                f"{point['peak_rss_mib'] / 1024:.1f} GiB",
                *(f"{stage_seconds(point, stage) / 60:.1f} min" for stage in DRAWN_STAGES),
            ]
            for point in points
        ],
    )
    print(f"chart: {RESULTS_DIR / 'cost_curve.png'}")


def _earlier_points(seed: int, scales: list[str], machine: dict) -> list[dict]:
    """The last file's points of other scales, measured on the same seed on a machine of the
    same cores and memory (one curve, one kind of machine)."""
    path = RESULTS_DIR / "cost_curve.json"
    if not path.is_file():
        return []
    earlier = json.loads(path.read_text(encoding="utf-8"))
    then = earlier.get("machine", {})
    same_machine = all(then.get(key) == machine[key] for key in ("cores", "memory_gib"))
    if earlier.get("seed") != seed or not same_machine:
        return []
    return [
        {"measured_at": then.get("date"), "git_commit": then.get("git_commit"), **point}
        for point in earlier.get("points", [])
        if point["scale"] not in scales
    ]


def stage_seconds(point: dict, stage: str) -> float:
    return point["stages"].get(stage, {}).get("seconds", 0.0)


def draw(points: list[dict], machine: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no display: a file
    import matplotlib.pyplot as plt

    rows = [p["rows_landed"] / 1e6 for p in points]
    figure, (time_axis, memory_axis) = plt.subplots(1, 2, figsize=(12, 4.8))
    bottom = [0.0] * len(points)
    for stage in (*DRAWN_STAGES, "other"):
        minutes = [
            (
                p["seconds"] - sum(stage_seconds(p, s) for s in DRAWN_STAGES)
                if stage == "other"
                else stage_seconds(p, stage)
            )
            / 60
            for p in points
        ]
        top = [b + m for b, m in zip(bottom, minutes, strict=True)]
        time_axis.fill_between(rows, bottom, top, alpha=0.6, label=stage)
        bottom = top
    time_axis.plot(rows, bottom, "k.-", label="end to end")
    for x, minutes, point in zip(rows, bottom, points, strict=True):
        time_axis.annotate(point["scale"], (x, minutes), textcoords="offset points", xytext=(4, 4))
    time_axis.set(
        xlabel="rows landed (millions)", ylabel="minutes", title="safecity run from nothing"
    )
    time_axis.legend(loc="upper left")
    memory_axis.plot(rows, [p["peak_rss_mib"] / 1024 for p in points], "k.-", label="peak RSS")
    memory_axis.axhline(machine["memory_gib"], color="red", linestyle="--", label="machine memory")
    memory_axis.set(
        xlabel="rows landed (millions)",
        ylabel="GiB",
        title="peak resident memory (process tree)",
        ylim=(0, machine["memory_gib"] * 1.1),
    )
    memory_axis.legend(loc="center right")
    figure.suptitle(
        f"{machine['cores']} cores, {machine['memory_gib']} GiB, DuckDB "
        f"{machine['versions']['duckdb']}, commit {str(machine['git_commit'])[:10]}, "
        f"{str(machine['date'])[:10]}"
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


if __name__ == "__main__":
    main_guard(main)
