"""Benchmark: entity linkage time per kind on a built city, and its accuracy when ground truth is there.

    uv run safecity generate --scale small --out /tmp/small && uv run safecity run --data-dir /tmp/small
    uv run python benchmarks/bench_linkage.py --data-dir /tmp/small [--repeat 3]

Runs the four linkage stages in pipeline order on the city's warehouse (they re-link from
the candidate models; keys continue from the registry, so repeats add no entities) and
prints seconds per stage, mentions per second and peak RSS. Results go to
benchmarks/results/linkage.json. The warehouse models are not rebuilt, so the scores printed
are those of the last `safecity run`.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
from pathlib import Path

from pipelines.lib.data_dir import DataDir
from pipelines.lib.linkage.stages import run_linkage

RESULTS = Path("benchmarks/results/linkage.json")
ORDER = ("place", "organisation", "person", "object")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    paths = DataDir(args.data_dir.absolute())
    runs = []
    for _ in range(args.repeat):
        outcomes = [run_linkage(kind, paths) for kind in ORDER]
        runs.append({o.entity_kind: o for o in outcomes})
    print(f"linkage on {paths.root} ({platform.machine()}, {args.repeat} runs; medians)")
    print(f"{'kind':<14}{'mentions':>12}{'entities':>12}{'seconds':>10}{'mentions/s':>14}")
    figures = {}
    for kind in ORDER:
        seconds = statistics.median(run[kind].seconds for run in runs)
        last = runs[-1][kind]
        figures[kind] = {"mentions": last.mentions, "entities": last.entities, "seconds": seconds,
                         "all_seconds": [run[kind].seconds for run in runs]}
        print(f"{kind:<14}{last.mentions:>12,}{last.entities:>12,}{seconds:>10.2f}{last.mentions / seconds:>14,.0f}")
    total = statistics.median(sum(run[k].seconds for k in ORDER) for run in runs)
    peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(f"{'total':<14}{'':>24}{total:>10.2f}    peak RSS {peak} MiB")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"data_dir": str(paths.root), "total_seconds": total, "peak_rss_mib": peak,
                                   "stages": figures}, indent=2))


if __name__ == "__main__":
    main()
