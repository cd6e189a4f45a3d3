"""Benchmark: sample-city generation time, rows per second and peak memory per scale.

    uv run python benchmarks/bench_generate.py [--scales small large] [--out DIR]

Each scale runs in a fresh process so its peak RSS is its own. Results are
printed and written to benchmarks/results/generate.json to compare runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import machine_info, main_guard, print_machine, write_results

from pipelines.sample_city.config import SCALES


def run_one(scale: str, out: Path, seed: int) -> dict:
    """Child process: generate one city, report figures as JSON on stdout."""
    from pipelines.sample_city.generate import generate_city

    started = time.perf_counter()
    counts = generate_city(out, scale=scale, seed=seed)
    seconds = time.perf_counter() - started
    rows = sum(counts.values())
    size = sum(p.stat().st_size for p in (out / "landing").rglob("*") if p.is_file())
    return {
        "scale": scale,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "landing_mib": round(size / 2**20, 1),
        "rows_per_feed": counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", nargs="+", default=["small", "large"], choices=list(SCALES))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--out", type=Path, help="where to generate (default: a temporary folder, removed after)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.out, args.seed)))
        return

    machine = machine_info()
    print_machine(machine)
    results = []
    for scale in args.scales:
        out = (
            args.out / scale
            if args.out
            else Path(tempfile.mkdtemp(prefix=f"safecity-bench-{scale}-"))
        )
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                scale,
                "--out",
                str(out),
                "--seed",
                str(args.seed),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
        results.append(result)
        print(
            f"{scale:>6}: {result['rows']:>12,} rows  {result['seconds']:>8.1f} s  "
            f"{result['rows_per_second']:>10,} rows/s  peak RSS {result['peak_rss_mib']:>6,} MiB  "
            f"landing {result['landing_mib']:>8,.1f} MiB"
        )
        if not args.out:
            shutil.rmtree(out)
    write_results("generate", {"results": results}, machine)


if __name__ == "__main__":
    main_guard(main)
