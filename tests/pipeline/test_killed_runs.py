"""Runs that die leave nothing claimed (docs/architecture.md, Runs that die).

A `safecity run` SIGKILLed while its warehouse step holds the `warehouse` pool's one slot used to
stay STARTED with the slot, and every later run waited for it forever. Now the next plain run
marks it failed, frees the slot, says so in one line, and builds the same city as a run never
killed. SIGTERM stops a run with one line, a non-zero exit and nothing claimed. The unit tests
below stage dead and live runs in an instance of their own.
"""

from __future__ import annotations

import io
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psutil
import pytest
from dagster._core.launcher import DefaultRunLauncher, LaunchRunContext, WorkerStatus

from pipelines.lib.dagster_home import prepare_dagster_home
from pipelines.lib.progress import Progress
from pipelines.lib.run_state import MARKER_NAME
from pipelines.lib.stale_runs import (
    HOST_TAG,
    LAUNCHED_BY_TAG,
    PID_TAG,
    PidCheckingRunLauncher,
    release_dead_runs,
    run_process,
    this_process_tags,
)
from pipelines.runner import _SlotWaitWatch
from tests.pipeline.city_snapshot import RunProcess, differences, snapshot
from tests.pipeline.workspaces import code_location

POOL = "warehouse"
WAREHOUSE_STEP = re.compile(r"dbt_mentions")


@pytest.fixture
def instance(tmp_path) -> Iterator[dg.DagsterInstance]:
    """An instance configured as `safecity run` configures one (pool of one slot, our launcher)."""
    home = tmp_path / "dagster_home"
    prepare_dagster_home(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.event_log_storage.initialize_concurrency_limit_to_default(POOL)
        yield instance


def _run(instance: dg.DagsterInstance, tags: dict[str, str], step: str | None = None) -> str:
    """A STARTED run with `tags` that claimed (or waits for) the pool's slot for `step`."""
    run_id = str(uuid.uuid4())
    instance.add_run(
        dg.DagsterRun(
            job_name="__ASSET_JOB", run_id=run_id, status=dg.DagsterRunStatus.STARTED, tags=tags
        )
    )
    if step is not None:
        instance.event_log_storage.claim_concurrency_slot(POOL, run_id, step)
    return run_id


def _dead_pid() -> int:
    """The id of a process that ran and is gone (reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _holders(instance: dg.DagsterInstance) -> list[str]:
    return [
        slot.run_id for slot in instance.event_log_storage.get_concurrency_info(POOL).claimed_slots
    ]


def test_a_run_whose_process_is_gone_is_marked_failed_and_its_slot_freed(instance):
    dead = _dead_pid()
    run_id = _run(instance, {PID_TAG: str(dead), HOST_TAG: socket.gethostname()}, "dbt_mentions")
    assert _holders(instance) == [run_id]

    lines = release_dead_runs(instance)

    assert lines == [
        f"run {run_id} (pid {dead}) died between steps; marked failed and its warehouse slot freed"
    ]
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
    assert _holders(instance) == []
    assert release_dead_runs(instance) == []  # once is enough


def test_a_live_run_or_one_on_another_host_keeps_its_slot(instance):
    alive = _run(instance, this_process_tags(), "dbt_mentions")
    elsewhere = _run(instance, {PID_TAG: str(_dead_pid()), HOST_TAG: "another-host"})
    unknown = _run(instance, {})  # launched by something that recorded no process

    assert release_dead_runs(instance) == []
    for run_id in (alive, elsewhere, unknown):
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED
    assert _holders(instance) == [alive]


def test_a_reused_process_id_does_not_keep_a_dead_run_alive(instance):
    # This process's id, but a start time of another process: the run's own process is gone.
    tags = {**this_process_tags(), "safecity/process_start": "1"}
    run_id = _run(instance, tags, "dbt_mentions")

    assert len(release_dead_runs(instance)) == 1
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE


def test_a_finished_run_still_holding_a_slot_is_freed(instance):
    run_id = _run(instance, this_process_tags(), "dbt_mentions")
    instance.report_run_failed(instance.get_run_by_id(run_id), "failed elsewhere")

    assert release_dead_runs(instance) == [
        f"run {run_id} (failure) still held the warehouse slot; freed"
    ]
    assert _holders(instance) == []


def test_the_daemon_launcher_reports_a_dead_run_worker_as_failed(instance):
    launcher = instance.run_launcher
    assert isinstance(launcher, PidCheckingRunLauncher)
    dead = instance.get_run_by_id(
        _run(instance, {PID_TAG: str(_dead_pid()), HOST_TAG: socket.gethostname()})
    )
    alive = instance.get_run_by_id(_run(instance, this_process_tags()))
    unknown = instance.get_run_by_id(_run(instance, {}))

    assert launcher.check_run_worker_health(dead).status == WorkerStatus.FAILED
    assert launcher.check_run_worker_health(alive).status == WorkerStatus.RUNNING
    # Unknown counts as running: the daemon must not free a live run's slot.
    assert launcher.check_run_worker_health(unknown).status == WorkerStatus.RUNNING


def test_a_relaunched_run_is_not_judged_by_its_parents_process(instance, monkeypatch):
    # "Re-execute from failure" of a `safecity run` copies the parent's tags, process included:
    # the launcher clears them, or the new run would be marked failed for the parent's death.
    monkeypatch.setattr(DefaultRunLauncher, "launch_run", lambda self, context: None)
    parent_tags = {
        PID_TAG: str(_dead_pid()),
        HOST_TAG: socket.gethostname(),
        LAUNCHED_BY_TAG: "safecity run",
    }
    run_id = _run(instance, parent_tags)

    instance.run_launcher.launch_run(
        LaunchRunContext(dagster_run=instance.get_run_by_id(run_id), workspace=None)
    )

    assert release_dead_runs(instance) == []
    run = instance.get_run_by_id(run_id)
    assert run.status == dg.DagsterRunStatus.STARTED
    assert run_process(instance, run).pid is None  # until its worker logs its own
    assert run.tags[LAUNCHED_BY_TAG] != "safecity run"


def test_a_waiting_run_names_the_holder_and_goes_on_when_the_holder_dies(instance):
    holder_process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        holder_tags = {
            PID_TAG: str(holder_process.pid),
            HOST_TAG: socket.gethostname(),
            "safecity/launched_by": "safecity run",
        }
        holder = _run(instance, holder_tags, "dbt_mentions")
        waiter = _run(instance, this_process_tags(), "dbt_mentions")
        storage = instance.event_log_storage
        assert not storage.check_concurrency_claim(POOL, waiter, "dbt_mentions").is_claimed
        out = io.StringIO()
        watch = _SlotWaitWatch(instance, waiter, Progress(out, interactive=False))
        watch.POLL_SECONDS, watch.QUIET_SECONDS = 0.1, 0.3
        with watch:
            _until(lambda: "waits for" in out.getvalue())
            holder_process.kill()
            holder_process.wait()
            _until(lambda: "died" in out.getvalue())
    finally:
        holder_process.kill()
        holder_process.wait()

    waiting, released = out.getvalue().splitlines()[:2]
    assert f"dbt_mentions waits for a slot in the warehouse pool, held by run {holder} " in waiting
    assert f"pid {holder_process.pid}" in waiting and "alive" in waiting
    assert released.endswith(
        f"run {holder} (pid {holder_process.pid}) died between steps; "
        "marked failed and its warehouse slot freed"
    )
    assert storage.claim_concurrency_slot(POOL, waiter, "dbt_mentions").is_claimed


def _until(condition, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _fresh(tiny_city: Path, root: Path) -> Path:
    shutil.copytree(tiny_city, root)
    return root


def _instance_state(root: Path) -> tuple[dict[str, dg.DagsterRunStatus], list[str]]:
    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        statuses = {run.run_id: run.status for run in instance.get_runs()}
        storage = instance.event_log_storage
        claimed = [
            slot.run_id
            for key in storage.get_concurrency_keys()
            for slot in storage.get_concurrency_info(key).claimed_slots
        ]
    return statuses, claimed


def test_a_run_killed_holding_the_warehouse_slot_is_cleaned_by_the_next_plain_run(
    tiny_city, built_city, tmp_path
):
    root = _fresh(tiny_city, tmp_path / "city")
    killed = RunProcess(root, tmp_path, tmp_path / "killed.out")
    step = killed.wait_for_step(WAREHOUSE_STEP)
    assert killed.kill(signal.SIGKILL) == -signal.SIGKILL
    statuses, claimed = _instance_state(root)
    # The kill left what the issue saw: a STARTED run that holds the warehouse slot.
    stuck = [run_id for run_id, status in statuses.items() if status == dg.DagsterRunStatus.STARTED]
    assert len(stuck) == 1 and claimed == stuck, (statuses, claimed)
    assert not (root / MARKER_NAME).exists()  # a killed run is no complete run

    rerun = RunProcess(root, tmp_path, tmp_path / "rerun.out")
    assert rerun.wait(timeout=900) == 0, rerun.text()
    assert (root / MARKER_NAME).exists()

    output = rerun.text()
    assert re.search(
        rf"run {stuck[0]} \(pid {killed.process.pid}\) died at {step}; marked failed and its "
        r"warehouse slot freed",
        output,
    ), output
    statuses, claimed = _instance_state(root)
    assert statuses[stuck[0]] == dg.DagsterRunStatus.FAILURE
    assert claimed == []
    assert differences(snapshot(built_city), snapshot(root)) == []


def test_sigterm_in_the_warehouse_step_stops_the_run_and_leaves_nothing_claimed(
    tiny_city, tmp_path
):
    root = _fresh(tiny_city, tmp_path / "city")
    run = RunProcess(root, tmp_path, tmp_path / "run.out")
    run.wait_for_step(WAREHOUSE_STEP)
    children = _wait_for_dbt(run)

    started = time.monotonic()
    code = run.kill(signal.SIGTERM)

    assert code == 130, run.text()
    assert time.monotonic() - started < 60
    lines = [line for line in run.text().splitlines() if "interrupted" in line]
    assert len(lines) == 1 and lines[0].startswith("interrupted during warehouse"), run.text()
    statuses, claimed = _instance_state(root)
    assert dg.DagsterRunStatus.STARTED not in statuses.values()
    assert claimed == []
    gone = psutil.wait_procs(children, timeout=30)[1] == []
    assert gone, "dbt or another child of the run outlived it"


def _wait_for_dbt(run: RunProcess) -> list[psutil.Process]:
    """The run's child processes once dbt is among them."""
    parent = psutil.Process(run.process.pid)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        children = parent.children(recursive=True)
        if any("dbt" in " ".join(child.cmdline()) for child in children if child.is_running()):
            return children
        time.sleep(0.2)
    raise AssertionError(f"dbt never started: {run.text()}")


# A run of one asset in the `warehouse` pool, through the runner, in a process of its own; the
# runner loads its code location from the workspace file beside it (argument 3).
_POOLED_RUN = """
import sys
from pathlib import Path

import dagster as dg

from pipelines.defs.jobs import phase_jobs
from pipelines.lib.data_dir import DataDir
from pipelines.lib.progress import Progress
from pipelines.lib.resources import DATA_DIR_RESOURCE_KEY, DataDirResource
from pipelines.lib.run_log import RunLog
from pipelines.lib.workspace import CodeLocation
from pipelines.runner import RunInterrupted, materialize_all


@dg.asset(key=["landing_inventory"], pool="warehouse")
def pooled() -> None:
    pass


defs = dg.Definitions(
    assets=[pooled],
    resources={DATA_DIR_RESOURCE_KEY: DataDirResource(root=".")},
    jobs=phase_jobs(landing=[pooled], ingestion=[]),
)

if __name__ == "__main__":
    root, home, workspace = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    with dg.DagsterInstance.from_config(str(home)) as instance:
        try:
            report = materialize_all(
                CodeLocation.from_workspace(workspace), DataDir(root), instance,
                Progress(sys.stdout, interactive=False), RunLog(root / "logs"),
                partition_range=None,
            )
        except RunInterrupted as stopped:
            print(f"interrupted {stopped.where}", flush=True)
            sys.exit(130)
    print("built" if report.success else "failed", flush=True)
"""


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_a_run_waiting_for_a_slot_says_who_holds_it_and_stops_on_a_signal(
    instance, tmp_path, signal_number
):
    holder = _run(instance, this_process_tags(), "dbt_mentions")  # alive: this test
    home = Path(instance.root_directory)
    script = tmp_path / "pooled_run.py"
    script.write_text(_POOLED_RUN, encoding="utf-8")
    code_location(tmp_path, python_file=script, attribute="defs")
    workspace = tmp_path / "workspace.yaml"
    output = tmp_path / "out.txt"
    with output.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [sys.executable, str(script), *(str(p) for p in (tmp_path / "data", home, workspace))],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the signal goes to it alone, as `kill PID` sends it
        )
        try:
            _until(lambda: "waits for" in output.read_text("utf-8"), timeout=120)
            process.send_signal(signal_number)
            code = process.wait(timeout=30)
        finally:
            process.kill()
            process.wait()
    text = output.read_text("utf-8")

    assert code == 130, text
    assert f"landing_inventory waits for a slot in the warehouse pool, held by run {holder}" in text
    assert "interrupted" in text.splitlines()[-1]
    storage = instance.event_log_storage
    info = storage.get_concurrency_info(POOL)
    assert [slot.run_id for slot in info.claimed_slots] == [holder]
    # The stopped run waits for nothing any more.
    assert [step.run_id for step in info.pending_steps if step.run_id != holder] == []
    statuses = {run.run_id: run.status for run in instance.get_runs()}
    assert sorted(status.value for status in statuses.values()) == ["FAILURE", "STARTED"]
