"""Benchmark: from a sensor's window file landing to its refreshed outputs, with the daemon running.

    uv run python benchmarks/bench_sensing_latency.py [--scale small] [--drops 5] [--scratch DIR]

1. A sample city is generated with `--windows` (its sub-daily feeds as a file per window) and
   built with `safecity run` (every day ingested, the closed days compacted).
2. Throughput: one day of the feed's window files ingested in one run and compacted into the
   day's file, in this process, in a scratch data directory of their own.
3. `dagster dev` is started on the city as `make dev` starts it (daemon and webserver, its own
   instance, bound to 127.0.0.1). Window files for today (the last generated day's, their
   times moved to today: an open day, never compacted under the benchmark) land one after
   another; each waits until the runs it started are over. For each drop: the time from landing
   to its window ingested (the bronze materialisation), to the CAP alerts written (when the
   refresh rebuilt them) and to the last asset refreshed, and how many CAP Alerts (new warnings)
   of today were written (every message validated against the CAP 1.2 schema). With
   `--feed emergency_management/sensor_telemetry` the drops carry the planted leaks of the last
   day, so once a leak has held for its rule's minutes its Alert is among them.

Prints median and worst of each, the throughput figures and the machine (figures taken on a
busy machine are figures under load: say so when quoting them); writes
benchmarks/results/sensing_latency.json. Target: a window file to its alert in under 2 minutes
on `small`.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from lxml import etree
from measure import (
    BenchmarkError,
    fresh_scratch,
    machine_info,
    main_guard,
    median,
    print_machine,
    print_table,
    safecity_command,
    with_development_keys,
    write_results,
)

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.lib import settings
from pipelines.lib.alerts import CAP_NAMESPACE
from pipelines.lib.alerts.cap import cap_schema
from pipelines.lib.city_profile import city_profile
from pipelines.lib.contracts import FeedContract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.ingest.ingest import ingest_windows
from pipelines.lib.ingest.windows import compact_day, landed_windows
from pipelines.sample_city.config import SCALES
from pipelines.sample_city.replay import replay_up_to

REPOSITORY = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 120
LANDING_SENSOR, AUTOMATION_SENSOR = "landing_sensor", "refresh_after_ingestion"
SENSOR_TAG = "dagster/sensor_name"
CAP_ALERTS = ("alerts", "cap")
COMPACTION = ("lake_compaction",)
QUIET_SECONDS = 45  # two ticks of the automation sensor (15 s) and some


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="small", choices=list(SCALES))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--drops", type=int, default=5, help="window files landed, one by one")
    parser.add_argument(
        "--feed", default="traffic_police/traffic_flow", help="a sub-daily feed: department/feed"
    )
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/safecity-bench-sensing"))
    parser.add_argument("--timeout", type=int, default=1800, help="seconds a drop may take")
    parser.add_argument("--days", type=int, default=None, help="delivery days (default: per scale)")
    parser.add_argument(
        "--built",
        type=Path,
        default=None,
        help="a city this benchmark generated and built before (its scratch's city/): "
        "only the drops are measured again",
    )
    args = parser.parse_args()
    contract = FEED_CONTRACTS.get(tuple(args.feed.split("/", 1)))  # type: ignore[arg-type]
    if contract is None or not contract.landing.windowed:
        raise BenchmarkError(f"{args.feed}: no sub-daily feed contract (SLA frequency under a day)")
    machine = machine_info()
    print_machine(machine)

    env = with_development_keys(settings.child_environment())
    throughput: dict = {}
    built = float("nan")
    if args.built is not None:
        root = args.built.absolute()
        scratch = root.parent
        shutil.rmtree(scratch / "to_land", ignore_errors=True)
        data = DataDir(root)
    else:
        scratch = fresh_scratch(args.scratch)
        root = scratch / "city"
        started = time.perf_counter()
        days = ["--days", str(args.days)] if args.days else []
        _run([str(safecity_command()), "generate", "--scale", args.scale, "--seed", str(args.seed),
              *days, "--windows", "--out", str(root)], env)  # fmt: skip
        print(
            f"generated the {args.scale} city with window files in {time.perf_counter() - started:.0f} s"
        )
        data = DataDir(root)
    zone = ZoneInfo(city_profile(root).timezone)
    today = datetime.now(zone).date()
    # The last generated day (today's windows of an earlier benchmark left aside).
    last = max(
        d
        for p in _feed_folder(data, contract).iterdir()
        if (d := contract.landing.day_of(p.name)) is not None and d < today
    )
    if args.built is None:
        throughput = day_throughput(data, scratch / "throughput", contract, last)
        print(
            f"one day of {args.feed} ({throughput['windows']} window files, {throughput['rows']:,} rows): "
            f"ingested in {throughput['ingest_seconds']:.1f} s ({throughput['ingest_rows_per_s']:,.0f} rows/s), "
            f"compacted in {throughput['compact_seconds']:.1f} s ({throughput['compact_rows_per_s']:,.0f} rows/s); "
            f"peak RSS {throughput['peak_rss_mib']:.0f} MiB"
        )
        started = time.perf_counter()
        # A check failing as an error makes the run exit 1 with the city built: noted, not fatal.
        run = _run([str(safecity_command()), "run", "--data-dir", str(root)], env, allowed=(0, 1))
        built = time.perf_counter() - started
        print(f"safecity run on the whole city: {built:.0f} s")
        if run.returncode:
            failed = [line for line in run.stdout.splitlines() if "FAILED" in line]
            print("note: safecity run exited 1:\n  " + "\n  ".join(failed[:10]))

    # The last windows up to now, the last generated day's replayed onto today (and yesterday
    # for those before midnight): an open day, never compacted under the benchmark.
    drops = replay_up_to(
        contract,
        _feed_folder(data, contract),
        last,
        datetime.now(zone),
        args.drops,
        scratch / "to_land",
    )
    home = root / "dagster_home"
    rounds = []
    with _dagster_dev(root, home, scratch / "dagster_dev.log", env) as log:
        import dagster as dg

        with dg.DagsterInstance.from_config(str(home)) as instance:
            _wait_for_ticks(instance, log)
            for path in drops:
                rounds.append(land_and_wait(instance, data, contract, path, log, args.timeout))
                print(
                    f"  {path.name}: ingested {rounds[-1]['ingested']:.0f} s, "
                    f"CAP alerts {_shown(rounds[-1]['alerts'])} "
                    f"({rounds[-1]['todays_alerts']} Alerts of today), "
                    f"last asset {rounds[-1]['last']:.0f} s ({rounds[-1]['assets']} assets refreshed)"
                )
    summary = {
        label: {
            "median": median([r[label] for r in rounds if r[label] is not None] or [float("nan")]),
            "worst": max((r[label] for r in rounds if r[label] is not None), default=float("nan")),
        }
        for label in ("ingested", "alerts", "last")
    }
    print()
    print_table(
        ["from landing to", "median s", "worst s"],
        [
            [label, f"{v['median']:.0f}", f"{v['worst']:.0f}"]
            for label, v in zip(
                ["window ingested", "CAP alerts on disk", "last asset refreshed"],
                summary.values(),
                strict=True,
            )
        ],
    )
    end = (
        summary["alerts"]
        if rounds and all(r["alerts"] is not None for r in rounds)
        else summary["last"]
    )
    verdict = "met" if end["worst"] <= TARGET_SECONDS else "not met"
    print(f"target: under {TARGET_SECONDS} s on small, worst case: {verdict} (scale {args.scale})")
    load = os.getloadavg()
    print(f"load average during the benchmark: {load[0]:.1f} (cores: {os.cpu_count()})")
    write_results(
        "sensing_latency",
        {
            "scale": args.scale,
            "feed": args.feed,
            "build_seconds": built,
            "throughput": throughput,
            "rounds": rounds,
            "summary": summary,
            "load_average": load,
        },
        machine,
    )


def day_throughput(data: DataDir, scratch: Path, contract: FeedContract, day: date) -> dict:
    """One day's window files ingested in one call (as one run reads them) and compacted, in a
    data directory of their own holding only them."""
    target = DataDir(scratch)
    folder = _feed_folder(target, contract)
    folder.mkdir(parents=True)
    windows = landed_windows(data, contract, day)
    for path in windows.values():
        shutil.copy2(path, folder / path.name)
    shutil.copy2(data.city_profile, target.city_profile)
    connection = connect()
    try:
        started = time.perf_counter()
        outcomes = list(ingest_windows(target, contract, day, connection))
        ingest_seconds = time.perf_counter() - started
    finally:
        connection.close()
    rows = sum(o.result.landed for o in outcomes if hasattr(o, "result"))
    compaction = compact_day(target, contract, day)
    assert compaction is not None
    return {
        "windows": len(windows),
        "rows": rows,
        "ingest_seconds": ingest_seconds,
        "ingest_rows_per_s": rows / ingest_seconds,
        "compact_seconds": compaction.seconds,
        "compact_rows_per_s": (compaction.bronze_rows + compaction.quarantined_rows)
        / compaction.seconds,
        # This process's peak (ru_maxrss is in KiB on Linux).
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def land_and_wait(
    instance, data: DataDir, contract: FeedContract, delivery: Path, log: Path, timeout: int
) -> dict:
    import dagster as dg

    target = _feed_folder(data, contract) / delivery.name
    dropped = time.time()
    shutil.move(delivery, target)
    os.utime(target, (dropped, dropped))  # arriving now
    after = datetime.fromtimestamp(dropped, tz=UTC)
    deadline = dropped + timeout
    settled: tuple[int, float] | None = None  # (runs seen, since when) once all were finished
    while True:
        runs = instance.get_runs(filters=dg.RunsFilter(created_after=after))
        by = {run.tags.get(SENSOR_TAG) for run in runs}
        if {LANDING_SENSOR, AUTOMATION_SENSOR} <= by and all(run.is_finished for run in runs):
            # Over once no run has started for two automation ticks: the refresh may come
            # after a run of the hourly compaction (the times below are the events', so the
            # wait adds nothing to them).
            if settled is None or settled[0] != len(runs):
                settled = (len(runs), time.time())
            elif time.time() - settled[1] > QUIET_SECONDS:
                break
        else:
            settled = None
        if time.time() > deadline:
            raise BenchmarkError(f"{target.name}: not through within {timeout} s\n{_tail(log)}")
        time.sleep(1)
    failed = [run.run_id[:8] for run in runs if run.status != dg.DagsterRunStatus.SUCCESS]
    if failed:
        raise BenchmarkError(f"{target.name}: runs failed: {', '.join(failed)}\n{_tail(log)}")
    times: dict[tuple[str, ...], float] = {}
    for run in runs:
        for record in instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records:
            key = record.event_log_entry.dagster_event.asset_key.path  # type: ignore[union-attr]
            if tuple(key) == COMPACTION:  # its hourly run, not the drop's doing
                continue
            times[tuple(key)] = max(times.get(tuple(key), 0.0), record.event_log_entry.timestamp)
    bronze = ("bronze", contract.department, contract.feed)
    if bronze not in times:
        raise BenchmarkError(f"{target.name}: no ingestion recorded\n{_tail(log)}")
    return {
        "file": target.name,
        "todays_alerts": _todays_alerts(data, dropped, contract.landing.window_of(target.name)),
        "ingested": times[bronze] - dropped,
        "alerts": times[CAP_ALERTS] - dropped if CAP_ALERTS in times else None,
        "last": max(times.values()) - dropped,
        "assets": len(times),
        "runs": len(runs),
    }


def _todays_alerts(data: DataDir, since: float, window: tuple[date, int] | None) -> int:
    """CAP Alerts (new warnings, not the Updates renewing continuing ones) (re)written since the
    drop for the drop's day, every message written validated against the CAP 1.2 schema: the
    leak of a replayed day warned of today."""
    assert window is not None
    as_of = f"{{{CAP_NAMESPACE}}}parameter[{{{CAP_NAMESPACE}}}valueName='as_of_date']"
    written = 0
    for path in data.alerts.glob("*.xml"):
        if path.stat().st_mtime < since:
            continue
        alert = etree.parse(str(path))
        if not cap_schema().validate(alert):
            raise BenchmarkError(f"{path}: not a valid CAP 1.2 message")
        parameter = alert.find(f".//{as_of}")
        day = parameter.findtext(f"{{{CAP_NAMESPACE}}}value") if parameter is not None else None
        msg_type = alert.findtext(f"{{{CAP_NAMESPACE}}}msgType")
        written += day == window[0].isoformat() and msg_type == "Alert"
    return written


def _wait_for_ticks(instance, log: Path) -> None:
    """Both sensors have ticked once: what lands from now on is new to them."""
    deadline = time.time() + 900
    while True:
        ticked = {
            state.instigator_name
            for state in instance.all_instigator_state()
            if instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)
        }
        if {LANDING_SENSOR, AUTOMATION_SENSOR} <= ticked:
            return
        if time.time() > deadline:
            raise BenchmarkError(f"the sensors never ticked (only {ticked}):\n{_tail(log)}")
        time.sleep(2)


@contextmanager
def _dagster_dev(root: Path, home: Path, log: Path, env: dict[str, str]) -> Iterator[Path]:
    """`make dev` on this city: webserver on 127.0.0.1 and the daemon, in a process group of
    their own, stopped at the end whatever happens."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **env,
        "PATH": os.pathsep.join([bin_dir, env.get("PATH", "")]),
        "DAGSTER_HOME": str(home),
        "SAFECITY_DATA_DIR": str(root),
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }
    command = [str(Path(bin_dir) / "dagster"), "dev", "-w", "workspace.yaml", "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            command, cwd=REPOSITORY, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            yield log
        finally:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=60)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _run(
    command: list[str], env: dict[str, str], allowed: tuple[int, ...] = (0,)
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode not in allowed:
        raise BenchmarkError(
            f"{' '.join(command[1:3])} failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return done


def _feed_folder(data: DataDir, contract: FeedContract) -> Path:
    return data.landing_feed(contract.department, contract.feed)


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _shown(seconds: float | None) -> str:
    return "not rebuilt" if seconds is None else f"{seconds:.0f} s"


if __name__ == "__main__":
    main_guard(main)
