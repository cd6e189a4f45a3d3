"""Benchmark: storing Dagster events in the run history, as Dagster does and as `safecity run` does.

    uv run python benchmarks/bench_event_log.py [--events 1000] [--repeat 3]

A run of the tiny city stores some 3,700 events (step starts and ends, outputs, materialisations,
planned partitions, check results, log lines), each through Dagster's SQLite storage. For each of
three ways, in a new instance in a temporary folder, `--events` engine events and as many asset
materialisations are stored, and the seconds printed (median of `--repeat`):
1. Dagster's default: an engine and a connection per event, fsync at each commit;
2. without fsync (`PRAGMA synchronous=OFF` only);
3. as `safecity run` stores them: without fsync, one kept connection per database
   (pipelines/lib/instance_storage.py).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import dagster as dg
from measure import machine_info, main_guard, median, print_machine, print_table, write_results

from pipelines.lib.dagster_home import prepare_dagster_home
from pipelines.lib.instance_storage import run_history_without_waits

_QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@dg.asset
def number() -> int:
    return 1


def _store(events: int, way: str) -> float:
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "dagster_home"
        prepare_dagster_home(home)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            run = dg.materialize([number], instance=instance, run_config=_QUIET).dagster_run
            ways: dict[str, AbstractContextManager[object]] = {
                "Dagster's default": nullcontext(),
                "without fsync": run_history_without_waits(instance, keep_connections=False),
                "without fsync, connections kept": run_history_without_waits(instance),
            }
            with ways[way]:
                started = time.perf_counter()
                for index in range(events):
                    instance.report_engine_event(f"event {index}", run)
                    instance.report_runless_asset_event(dg.AssetMaterialization("number"))
                return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1000, help="of each kind (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="(default 3)")
    args = parser.parse_args()
    machine = machine_info()
    print_machine(machine)
    results = {}
    for way in ("Dagster's default", "without fsync", "without fsync, connections kept"):
        results[way] = median(_store(args.events, way) for _ in range(args.repeat))
    total = 2 * args.events
    print_table(
        ["way", f"seconds for {total:,} events", "ms per event"],
        [[way, f"{s:.2f}", f"{1000 * s / total:.2f}"] for way, s in results.items()],
    )
    write_results("event_log", {"events": total, "seconds": results}, machine)


if __name__ == "__main__":
    main_guard(main)
