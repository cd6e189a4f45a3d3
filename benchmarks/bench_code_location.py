"""Benchmark: how long the code location takes to load, and a UI-launched run to start.

    uv run python benchmarks/bench_code_location.py --data-dir DIR [--scratch DIR] [--repeat 3]

DIR is a data directory `safecity run` has built (the state `make dev` shows after `make demo`;
the tiny city is enough). Its Dagster instance and reports are copied into a scratch data
directory, the rest linked, so DIR is never written. A built city, because `dagster dev` runs
the landing sensor: on a city not ingested yet it would start ingesting every delivery day.
Each figure is the median of --repeat fresh processes (target: the code location loads in
10 s or less, issue 18):

  import      `python -c "import pipelines.definitions"`: process start to exit, what every
              process that serves the code location pays first
  validate    `dagster definitions validate -w workspace.yaml`: load the code location and
              check its definitions, as CI and `dg check defs` do
  dev load    `dagster dev -w workspace.yaml` (webserver, daemon and the code server it
              starts): process start until the UI's GraphQL says the location is loaded and
              its asset graph answers; what an engineer waits for after `make dev`
  reload      the UI's "Reload" of the location (GraphQL reloadRepositoryLocation) until loaded
  run start   a run of `landing_inventory` launched through GraphQL as the UI's
              "Materialize" does: launch to the run worker's first step start (the run
              worker is a new process that loads the code location again)
  run total   launch to the run's success

Prints every repeat's figures and the medians; writes benchmarks/results/code_location.json.
Timings taken while other work runs on the machine are noisy: the medians say so less.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from measure import (
    BenchmarkError,
    fresh_scratch,
    link_into,
    machine_info,
    main_guard,
    median,
    print_machine,
    print_table,
    require_built,
    with_development_keys,
    write_results,
)

from pipelines.lib import settings
from pipelines.lib.dagster_home import DAGSTER_HOME_DIRNAME

TARGET_SECONDS = 10.0
LOCATION = "safecity"  # workspace.yaml's location_name
REPOSITORY = "__repository__"  # the repository Dagster makes of a Definitions object
ASSET_JOB = "__ASSET_JOB"  # the implicit job the UI's "Materialize" runs a selection of
RUN_ASSET = ["landing_inventory"]  # unpartitioned, reads only the landing files: seconds of work
TIMEOUT_SECONDS = 600.0
POLL_SECONDS = 0.2
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
WORKSPACE = REPOSITORY_ROOT / "workspace.yaml"

LOCATION_QUERY = """
query {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message }
        }
      }
    }
  }
}
"""
ASSET_GRAPH_QUERY = """
query { assetNodes { id } }
"""
RELOAD_MUTATION = """
mutation Reload($name: String!) {
  reloadRepositoryLocation(repositoryLocationName: $name) { __typename }
}
"""
LAUNCH_MUTATION = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
RUN_QUERY = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { status creationTime }
  }
  logsForRun(runId: $runId) {
    __typename
    ... on EventConnection { events { __typename ... on MessageEvent { timestamp } } }
  }
}
"""
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def graphql(port: int, query: str, variables: dict[str, object] | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        body = json.loads(response.read())
    if body.get("errors"):
        raise BenchmarkError(f"GraphQL error: {body['errors']}")
    return body["data"]


def wait_for(what: str, ready: Callable[[], bool], process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BenchmarkError(f"{what}: the process ended with status {process.returncode}")
        try:
            if ready():
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # the webserver is not listening yet
        time.sleep(POLL_SECONDS)
    raise BenchmarkError(f"{what}: not done after {TIMEOUT_SECONDS:.0f} s")


def location_loaded(port: int) -> bool:
    workspace = graphql(port, LOCATION_QUERY)["workspaceOrError"]
    entries = {entry["name"]: entry for entry in workspace.get("locationEntries", [])}
    entry = entries.get(LOCATION)
    if entry is None or entry["loadStatus"] != "LOADED":
        return False
    location = entry["locationOrLoadError"]
    if location is None:
        return False
    if location["__typename"] == "PythonError":
        raise BenchmarkError(f"the code location failed to load: {location['message']}")
    return bool(graphql(port, ASSET_GRAPH_QUERY)["assetNodes"])


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPOSITORY_ROOT)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise BenchmarkError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return seconds


def launch_run(port: int) -> str:
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": REPOSITORY,
            "jobName": ASSET_JOB,
            "assetSelection": [{"path": RUN_ASSET}],
        },
        "runConfigData": {},
        "mode": "default",
    }
    outcome = graphql(port, LAUNCH_MUTATION, {"params": params})["launchRun"]
    if outcome["__typename"] != "LaunchRunSuccess":
        raise BenchmarkError(f"launching a run failed: {outcome}")
    return str(outcome["run"]["runId"])


def run_start_and_total(port: int) -> tuple[float, float]:
    """Seconds from launch to the first step's start and to the run's success."""
    launched = time.time()
    run_id = launch_run(port)
    state: dict[str, object] = {}

    def finished() -> bool:
        data = graphql(port, RUN_QUERY, {"runId": run_id})
        state.update(data)
        return data["runOrError"].get("status") in FINISHED

    wait_for(f"run {run_id}", finished)
    ended = time.time()
    status = state["runOrError"]["status"]  # type: ignore[index]
    if status != "SUCCESS":
        raise BenchmarkError(f"run {run_id} ended {status}: see the UI or the instance's logs")
    events = state["logsForRun"]["events"]  # type: ignore[index]
    step_starts = [
        float(event["timestamp"]) / 1000
        for event in events
        if event["__typename"] == "ExecutionStepStartEvent"
    ]
    if not step_starts:
        raise BenchmarkError(f"run {run_id} succeeded with no step start event")
    return min(step_starts) - launched, ended - launched


def stop(process: subprocess.Popen) -> None:
    """Stop `dagster dev` and what it started (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def dev_figures(env: dict[str, str], log: Path, with_run: bool) -> dict[str, float]:
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("dagster")),
        "dev",
        "-w",
        str(WORKSPACE),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    figures: dict[str, float] = {}
    with log.open("a") as out:
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            env=env,
            cwd=REPOSITORY_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(
                "dagster dev loading the code location", lambda: location_loaded(port), process
            )
            figures["dev_load"] = time.perf_counter() - start
            start = time.perf_counter()
            graphql(port, RELOAD_MUTATION, {"name": LOCATION})
            wait_for("reloading the code location", lambda: location_loaded(port), process)
            figures["reload"] = time.perf_counter() - start
            if with_run:
                figures["run_start"], figures["run_total"] = run_start_and_total(port)
        finally:
            stop(process)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-dir", type=Path, required=True, help="a data directory `safecity run` has built"
    )
    parser.add_argument(
        "--scratch",
        type=Path,
        default=Path("data/bench-scratch/code_location"),
        help="the data directory and Dagster instance used (emptied first; default %(default)s)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="repeats of each (default 3)")
    parser.add_argument(
        "--no-dev", action="store_true", help="only import and validate, no `dagster dev`"
    )
    parser.add_argument("--no-run", action="store_true", help="no run launched through the UI")
    args = parser.parse_args()
    city = args.data_dir.absolute()
    require_built(city)
    if not (city / DAGSTER_HOME_DIRNAME).is_dir():
        raise BenchmarkError(
            f"no Dagster instance in {city / DAGSTER_HOME_DIRNAME}: build it with `safecity run`"
        )
    scratch = fresh_scratch(args.scratch)
    data = scratch / "city"
    data.mkdir()
    # Written by the runs and the UI: copied. Only read: linked.
    written = {DAGSTER_HOME_DIRNAME, "reports"}
    for name in written:
        if (city / name).is_dir():
            shutil.copytree(city / name, data / name, symlinks=True)
    link_into(data, city, [p.name for p in city.iterdir() if p.name not in written | {"logs"}])
    home = data / DAGSTER_HOME_DIRNAME
    env = with_development_keys(settings.child_environment())
    env.update(
        # This environment's tools first (`dbt` for the warehouse resource), as `uv run` does.
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        SAFECITY_DATA_DIR=str(data),
        DAGSTER_HOME=str(home),
        DAGSTER_DISABLE_TELEMETRY="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="False",
        DO_NOT_TRACK="1",
    )
    machine = machine_info()
    print_machine(machine)

    dagster = str(Path(sys.executable).with_name("dagster"))
    repeats: list[dict[str, float]] = []
    for index in range(args.repeat):
        figures = {
            "import": timed([sys.executable, "-c", "import pipelines.definitions"], env),
            "validate": timed([dagster, "definitions", "validate", "-w", str(WORKSPACE)], env),
        }
        if not args.no_dev:
            figures.update(dev_figures(env, scratch / "dagster_dev.log", not args.no_run))
        repeats.append(figures)
        print(
            f"repeat {index + 1} of {args.repeat}: "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in figures.items())
        )

    names = list(repeats[0])
    medians = {name: median(r[name] for r in repeats) for name in names}
    print()
    print_table(
        ["figure", f"median of {args.repeat} s", "min s", "max s"],
        [
            [
                name,
                f"{medians[name]:.1f}",
                f"{min(r[name] for r in repeats):.1f}",
                f"{max(r[name] for r in repeats):.1f}",
            ]
            for name in names
        ],
    )
    load = medians.get("dev_load", medians["validate"])
    met = load <= TARGET_SECONDS
    print(
        f"\nthe code location loads in {load:.1f} s "
        f"({'dagster dev' if 'dev_load' in medians else 'validate'}, median of {args.repeat}; "
        f"target {TARGET_SECONDS:.0f} s or less): {'met' if met else 'NOT MET'}"
    )
    write_results(
        "code_location",
        {
            "city": str(city),
            "repeat": args.repeat,
            "repeats": repeats,
            "medians": medians,
            "target": {"value": load, "met": met},
        },
        machine,
    )


if __name__ == "__main__":
    main_guard(main)
