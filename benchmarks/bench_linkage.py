"""Benchmark: entity linkage time per kind on a built city, and its accuracy when ground truth is there.

    uv run safecity generate --scale small --out /tmp/small && uv run safecity run --data-dir /tmp/small
    uv run python benchmarks/bench_linkage.py --data-dir /tmp/small [--repeat 3]

Runs the four linkage stages in pipeline order on the city's warehouse (they re-link from
the candidate models; keys continue from the registry, so repeats add no entities) and
prints seconds per stage, mentions per second and peak RSS. Every pair is scored again each
time (`rescore_all`, as `safecity run --full-refresh` does): the pairs the run kept would
otherwise leave nothing to score. Results go to
benchmarks/results/linkage.json. The warehouse models are not rebuilt, so the scores printed
are those of the last `safecity run`. It writes the data directory's linkage tables and
key registries (with the same content): give it a copy, as run_all.py does, when that matters.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from measure import (
    Measured,
    fmt_mib,
    machine_info,
    main_guard,
    median,
    print_machine,
    require_built,
    write_results,
)

from pipelines.lib.data_dir import DataDir
from pipelines.lib.linkage.stages import run_linkage

ORDER = ("place", "organisation", "person", "object")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    paths = DataDir(args.data_dir.absolute())
    require_built(paths.root)
    machine = machine_info()
    runs, peaks = [], []
    for _ in range(args.repeat):
        outcomes, run_peaks = {}, {}
        for kind in ORDER:
            with Measured() as measured:
                outcomes[kind] = run_linkage(kind, paths, rescore_all=True)
            run_peaks[kind] = measured.peak_rss_mib
        runs.append(outcomes)
        peaks.append(run_peaks)
    print(f"linkage on {paths.root} ({args.repeat} runs; medians)")
    print_machine(machine)
    print(
        f"{'kind':<14}{'mentions':>12}{'entities':>12}{'seconds':>10}{'mentions/s':>14}{'peak RSS':>11}"
    )
    figures = {}
    for kind in ORDER:
        seconds = median(run[kind].seconds for run in runs)
        peak = median(p[kind] for p in peaks)
        last = runs[-1][kind]
        figures[kind] = {
            "mentions": last.mentions,
            "entities": last.entities,
            "seconds": seconds,
            "peak_rss_mib": peak,
            "all_seconds": [run[kind].seconds for run in runs],
        }
        print(
            f"{kind:<14}{last.mentions:>12,}{last.entities:>12,}{seconds:>10.2f}"
            f"{last.mentions / seconds:>14,.0f}{fmt_mib(peak):>11}"
        )
    total = median(sum(run[k].seconds for k in ORDER) for run in runs)
    mentions = sum(runs[-1][k].mentions for k in ORDER)
    peak = max(max(p.values()) for p in peaks)
    print(
        f"{'total':<14}{mentions:>12,}{'':>12}{total:>10.2f}{mentions / total:>14,.0f}{fmt_mib(peak):>11}"
    )
    write_results(
        "linkage",
        {
            "data_dir": str(paths.root),
            "repeat": args.repeat,
            "total_seconds": total,
            "mentions": mentions,
            "rows_per_second": mentions / total,
            "peak_rss_mib": peak,
            "stages": figures,
        },
        machine,
    )


if __name__ == "__main__":
    main_guard(main)
