"""Robustness across seeds and cities: `safecity generate` + `safecity run` of the tiny city for
every seed of a range on every city of a list, each in its own scratch data directory.

    uv run python benchmarks/cities_and_seeds.py                       # 20 seeds x Chengdu and Wenzhou
    uv run python benchmarks/cities_and_seeds.py --seeds 3 --cities 3303 4403
    uv run python benchmarks/cities_and_seeds.py --cities 4602:109.3,18.1,109.8,18.4   # a city laid out in its extent

A city is a GB/T 2260 code, with `:lon_min,lat_min,lon_max,lat_max` for one the generator has no
data file for. One line per outcome (city, seed, exit code, seconds, rows landed, in bronze and
quarantined, the failing step if any) and a total; every outcome in
benchmarks/results/cities_and_seeds.json. A green run's data directory is removed (a tiny city
is some 20 MB); a failed one is kept under --scratch with its output in safecity.log.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow.parquet as pq
from measure import (
    BenchmarkError,
    fresh_scratch,
    machine_info,
    main_guard,
    print_machine,
    safecity_command,
    with_development_keys,
    write_results,
)

from pipelines.lib import settings
from pipelines.sample_city.city_map import repository_profile
from pipelines.sample_city.config import SCALES

WENZHOU = "3303"  # the second city with a data file of the generator, besides the repository's
RUN_TIMEOUT_SECONDS = 1_800
# How the run reports a failed step (pipelines/runner.py): `[ 2m01s] FAIL  dbt_entities_and_marts (...`
_FAILED_STEP = re.compile(r"\] FAIL\s+(\S+) \(")


@dataclass
class Outcome:
    city: str
    seed: int
    exit_code: int
    seconds: float  # generate + run
    landed: int
    bronze: int
    quarantined: int
    failed_step: str | None
    data_dir: str | None  # kept when the run failed


def parse_city(text: str) -> tuple[str, str | None]:
    code, _, bounds = text.partition(":")
    if not re.fullmatch(r"[0-9]{4}", code):
        raise BenchmarkError(f"--cities {text}: expected a 4-digit city code, optionally :bounds")
    return code, bounds or None


def lake_rows(data: Path, zone: str) -> int:
    files = [
        p
        for p in (data / "lake" / zone).glob("*/*/date=*/part-0.parquet")
        if p.parent.name != "_schema"
    ]
    # Each feed has its own columns: count each file's rows from its footer.
    return sum(pq.read_metadata(path).num_rows for path in files)


def one(code: str, bounds: str | None, seed: int, scale: str, scratch: Path) -> Outcome:
    data = scratch / f"{code}-seed{seed}"
    log = scratch / f"{code}-seed{seed}.log"
    safecity = str(safecity_command())
    env = with_development_keys(settings.child_environment())
    env.pop(settings.DAGSTER_HOME.name, None)  # each run's instance in its own data directory
    env.pop(settings.CITY_PROFILE.name, None)  # each run on the city it generated
    generate = [safecity, "generate", "--scale", scale, "--seed", str(seed), "--city", code]
    generate += ["--out", str(data), *(["--bounds", bounds] if bounds else [])]
    started = time.perf_counter()
    failed_step = None
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(generate, stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
        exit_code = done.returncode
        if exit_code != 0:
            failed_step = "generate"
        else:
            done = subprocess.run(
                [safecity, "run", "--data-dir", str(data)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                timeout=RUN_TIMEOUT_SECONDS,
                check=False,
            )
            exit_code = done.returncode
    seconds = time.perf_counter() - started
    text = log.read_text(encoding="utf-8")
    if exit_code != 0 and failed_step is None:
        steps = _FAILED_STEP.findall(text)
        failed_step = ", ".join(dict.fromkeys(steps)) or "run (see its log)"
    manifest = data / "ground_truth" / "manifest.json"
    landed = json.loads(manifest.read_text("utf-8"))["total_rows"] if manifest.is_file() else 0
    outcome = Outcome(
        code,
        seed,
        exit_code,
        round(seconds, 1),
        landed,
        lake_rows(data, "bronze"),
        lake_rows(data, "quarantine"),
        failed_step,
        str(data) if exit_code else None,
    )
    if exit_code == 0:
        shutil.rmtree(data)
        log.unlink()
    elif data.is_dir():
        shutil.move(log, data / "safecity.log")
    return outcome


def line(o: Outcome) -> str:
    verdict = "ok" if o.exit_code == 0 else f"FAILED at {o.failed_step} (kept: {o.data_dir})"
    return (
        f"city {o.city} seed {o.seed:>3}  exit {o.exit_code}  {o.seconds:7.1f} s  "
        f"landed {o.landed:>7,}  bronze {o.bronze:>7,}  quarantined {o.quarantined:>5,}  {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=20, help="seeds 1..N (default 20)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument(
        "--cities",
        nargs="+",
        default=None,
        metavar="CODE[:BOUNDS]",
        help="city codes (default: contracts/city.yaml's city, Chengdu, and Wenzhou, 3303)",
    )
    parser.add_argument("--scale", default="tiny", choices=list(SCALES))
    parser.add_argument(
        "--scratch",
        type=Path,
        default=Path("data/bench-cities"),
        help="where the data directories are made (emptied first; default data/bench-cities)",
    )
    args = parser.parse_args()
    args.cities = args.cities or [repository_profile().code, WENZHOU]
    cities = [parse_city(text) for text in args.cities]
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    machine = machine_info()
    print_machine(machine)
    scratch = fresh_scratch(args.scratch)
    print(f"{len(seeds)} seeds x {len(cities)} cities of the {args.scale} city, in {scratch}")
    outcomes: list[Outcome] = []
    began = time.perf_counter()
    for code, bounds in cities:
        for seed in seeds:
            outcome = one(code, bounds, seed, args.scale, scratch)
            outcomes.append(outcome)
            print(line(outcome), flush=True)
    green = sum(o.exit_code == 0 for o in outcomes)
    total = time.perf_counter() - began
    print(
        f"total: {len(outcomes)} runs, {green} green, {len(outcomes) - green} failed, "
        f"{total:,.0f} s; landed {sum(o.landed for o in outcomes):,}, bronze "
        f"{sum(o.bronze for o in outcomes):,}, quarantined {sum(o.quarantined for o in outcomes):,}"
    )
    write_results(
        "cities_and_seeds",
        {
            "scale": args.scale,
            "cities": args.cities,
            "seeds": list(seeds),
            "green": green,
            "failed": len(outcomes) - green,
            "seconds": round(total, 1),
            "outcomes": [asdict(o) for o in outcomes],
        },
        machine,
    )
    if green < len(outcomes):
        raise BenchmarkError(f"{len(outcomes) - green} of {len(outcomes)} runs failed")


if __name__ == "__main__":
    main_guard(main)
