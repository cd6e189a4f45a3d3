"""A Dagster server the tests start on this machine: a free port on 127.0.0.1, a way to stop
the server with everything it started (it runs in a process group of its own), and `dagster dev`
as `make dev` runs it, for the tests of what the daemon does on its own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

REPOSITORY = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_group(process: subprocess.Popen, first: signal.Signals) -> None:
    """`first` to the process group (how the server shuts down itself and its code servers),
    SIGKILL if it is still there after a while, then SIGKILL to anything of the group left
    behind (a code server may outlive the server that started it by a moment)."""
    try:
        if process.poll() is None:
            os.killpg(process.pid, first)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
    except ProcessLookupError:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


# The sensors `make dev` runs: the landing sensor starts ingestion, the automation sensor the rest.
LANDING_SENSOR, AUTOMATION_SENSOR = "landing_sensor", "refresh_after_ingestion"
SENSOR_NAME_TAG = "dagster/sensor_name"  # the tag naming the sensor that requested a run


@contextmanager
def dagster_dev(root: Path, home: Path, log: Path) -> Iterator[Path]:
    """`make dev` on the city in `root`: the webserver on 127.0.0.1 and the daemon, with the
    instance in `home`, in a process group of their own, stopped at the end whatever happens."""
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        # As `uv run` puts it: dagster-dbt finds dbt on PATH.
        "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
        "DAGSTER_HOME": str(home),
        "SAFECITY_DATA_DIR": str(root),
        "DAGSTER_DISABLE_TELEMETRY": "1",
    }
    dagster = str(Path(bin_dir) / "dagster")
    command = [dagster, "dev", "-w", "workspace.yaml", "--host", "127.0.0.1", "--port", str(free_port())]  # fmt: skip
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            command,
            cwd=REPOSITORY,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield log
        finally:
            # SIGINT: how `dagster dev` shuts down its webserver, daemon and code servers.
            stop_group(process, signal.SIGINT)


def wait_for_first_ticks(instance: dg.DagsterInstance, log: Path) -> None:
    """Both sensors have evaluated once: what lands from now on is new to them (the automation
    sensor's first tick takes what is materialised already as handled)."""
    deadline = time.time() + 600
    while True:
        ticked = {
            state.instigator_name
            for state in instance.all_instigator_state()
            if instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)
        }
        if {LANDING_SENSOR, AUTOMATION_SENSOR} <= ticked:
            return
        assert time.time() < deadline, f"the sensors never ticked (only {ticked}):\n{tail(log)}"
        time.sleep(2)


def tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def runs_since(instance: dg.DagsterInstance, since: float) -> str:
    """Every run created after `since` (a Unix time), a line each: what a failure shows."""
    return "".join(
        f"  run {run.run_id[:8]} {run.status.value} by {run.tags.get(SENSOR_NAME_TAG)}: "
        f"{len(run.asset_selection or ())} assets{_few(run.asset_selection or ())}\n"
        for run in instance.get_runs(filters=dg.RunsFilter(created_after=utc(since)))
    )


def _few(keys: AbstractSet[dg.AssetKey]) -> str:
    """A small run's assets by name: what an unexpected extra run refreshed."""
    return f" ({', '.join(sorted(k.to_user_string() for k in keys))})" if len(keys) <= 5 else ""


def utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)
