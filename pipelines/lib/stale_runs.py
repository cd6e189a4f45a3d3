"""Runs whose process is gone: found, marked failed, and their concurrency slots freed.

A run executed in process (`safecity run`) that is killed outright (SIGKILL, a power cut, the
kernel's out-of-memory killer) cannot say so: Dagster keeps it STARTED, and a slot it claimed in a
pool (the `warehouse` pool, one slot: one writer of the warehouse file) stays claimed, so every
later run waits for it forever. Dagster's run monitoring does not notice: its default run launcher
cannot check a run worker's health. So each run records where it runs (host, process id, and the
process's start time, which tells a reused process id from the original), and before a run starts
(`safecity run`) or on the daemon's monitoring tick (`PidCheckingRunLauncher`, configured in
dagster.yaml) a run whose process is gone is marked failed and its slots are freed.

A run whose process cannot be judged (another host, no process id recorded) is left alone: freeing
a live run's slot would put two writers on the warehouse file.
"""

from __future__ import annotations

import enum
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.launcher import (
    CheckRunHealthResult,
    DefaultRunLauncher,
    LaunchRunContext,
    WorkerStatus,
)

PID_TAG = "safecity/pid"
HOST_TAG = "safecity/host"
PROCESS_START_TAG = "safecity/process_start"
LAUNCHED_BY_TAG = "safecity/launched_by"
# A run launched by the instance's run launcher (the UI, a sensor, a re-execution of a
# `safecity run`) runs in a worker process of its own, not in the process that made it.
_LAUNCHED = "the UI or another client"

# Statuses of a run that still claims to be running (or about to).
_UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
_STEP_ENDED = {
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
    dg.DagsterEventType.STEP_SKIPPED,
}


class Liveness(enum.Enum):
    ALIVE = "alive"
    DEAD = "dead"
    UNKNOWN = "unknown"  # another host, or nothing recorded to judge by


@dataclass(frozen=True)
class RunProcess:
    """Where a run's process runs, as recorded when it started."""

    pid: int | None
    host: str | None
    start: str | None  # the process's start time as the OS tells it (Linux), None elsewhere

    def describe(self) -> str:
        return f"pid {self.pid}" if self.pid is not None else "no pid recorded"


def this_process_tags() -> dict[str, str]:
    """Run tags that let a later run judge whether this process is still alive."""
    pid = os.getpid()
    tags = {PID_TAG: str(pid), HOST_TAG: socket.gethostname()}
    if (start := _process_start(pid)) is not None:
        tags[PROCESS_START_TAG] = start
    return tags


def run_process(instance: dg.DagsterInstance, run: dg.DagsterRun) -> RunProcess:
    """The run's process: from its tags (`safecity run`, or a run launched by
    `PidCheckingRunLauncher`), else the process id its executor logged."""
    pid_text = run.tags.get(PID_TAG)
    if not pid_text:  # none recorded, or cleared by the launcher: the worker logs its own
        pid_text = _logged_pid(instance, run.run_id)
    pid = int(pid_text) if pid_text is not None and pid_text.isdigit() else None
    return RunProcess(pid, run.tags.get(HOST_TAG), run.tags.get(PROCESS_START_TAG) or None)


def liveness(process: RunProcess) -> Liveness:
    if process.pid is None or process.host != socket.gethostname():
        return Liveness.UNKNOWN
    try:
        os.kill(process.pid, 0)
    except ProcessLookupError:
        return Liveness.DEAD
    except PermissionError:
        pass  # a process of another user holds that id: judged by its start time below
    if _is_zombie(process.pid):
        return Liveness.DEAD  # killed, not yet reaped by its parent: it will not run again
    start = _process_start(process.pid)
    if process.start is not None and start is not None and start != process.start:
        return Liveness.DEAD  # the id was reused by a process started later
    return Liveness.ALIVE


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark every unfinished run whose process is gone as failed and free every slot held by a
    run that is over; one line for each, saying what was done."""
    lines = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=_UNFINISHED)):
        run = record.dagster_run
        process = run_process(instance, run)
        if liveness(process) != Liveness.DEAD:
            continue
        step = _step_at_death(instance, run.run_id)
        pools = _pools_held(instance, run.run_id)
        where = f"at {step}" if step else "between steps"
        instance.report_run_failed(
            run,
            f"The run's process ({process.describe()} on {process.host}) is gone: it was killed "
            f"{where}. Marked failed by the next run's check.",
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        freed = f" and its {_pool_names(pools)} slot freed" if pools else ""
        lines.append(f"run {run.run_id} ({process.describe()}) died {where}; marked failed{freed}")
    for run_id, pools in _slot_holders(instance).items():
        holder = instance.get_run_by_id(run_id)
        if holder is not None and not holder.is_finished:
            continue
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        status = holder.status.value.lower() if holder is not None else "deleted"
        lines.append(f"run {run_id} ({status}) still held the {_pool_names(pools)} slot; freed")
    return lines


def describe_holder(instance: dg.DagsterInstance, run_id: str, step_key: str) -> str:
    """Who holds a slot, for a person waiting for it: the run, its step, and its process."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        return f"run {run_id} (deleted), step {step_key}"
    process = run_process(instance, run)
    launched = run.tags.get(LAUNCHED_BY_TAG) or _LAUNCHED
    state = liveness(process).value
    host = f" on {process.host}" if process.host else ""
    return f"run {run_id} ({launched}, {process.describe()}{host}, {state}), step {step_key}"


class PidCheckingRunLauncher(DefaultRunLauncher):
    """Dagster's default run launcher, with the health check run monitoring needs: a run whose
    process is gone is reported FAILED, so the daemon marks it failed, and
    `run_monitoring.free_slots_after_run_end_seconds` frees its slots. Runs it launches are
    tagged with this host (their process id is in the run worker's first event)."""

    def launch_run(self, context: LaunchRunContext) -> None:
        tags = {HOST_TAG: socket.gethostname()}
        if PID_TAG in context.dagster_run.tags:
            # A re-execution inherits its parent's tags: a parent run by `safecity run` names a
            # process long gone, which would have this run marked failed as soon as it starts.
            # Tags cannot be removed: emptied, they count as not recorded.
            tags |= {PID_TAG: "", PROCESS_START_TAG: "", LAUNCHED_BY_TAG: _LAUNCHED}
        self._instance.add_run_tags(context.dagster_run.run_id, tags)
        super().launch_run(context)

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        process = run_process(self._instance, run)
        if liveness(process) == Liveness.DEAD:
            return CheckRunHealthResult(
                WorkerStatus.FAILED, f"the run's process ({process.describe()}) is gone"
            )
        # Unknown counts as running: marking a live run failed would free its slot to a second writer.
        return CheckRunHealthResult(WorkerStatus.RUNNING)


def _step_at_death(instance: dg.DagsterInstance, run_id: str) -> str | None:
    """The steps started and never ended, as one text (None: between steps)."""
    started: dict[str, None] = {}
    for entry in instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_START, *_STEP_ENDED}):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            started[event.step_key] = None
        else:
            started.pop(event.step_key, None)
    return ", ".join(started) or None


def _logged_pid(instance: dg.DagsterInstance, run_id: str) -> str | None:
    """The process id the run's worker or in-process executor logged first."""
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        event = entry.dagster_event
        data = event.engine_event_data if event is not None else None
        if data is not None and (pid := data.metadata.get("pid")) is not None:
            return str(pid.value)
    return None


def _slot_holders(instance: dg.DagsterInstance) -> dict[str, set[str]]:
    """Run id -> the pools in which it holds a slot or waits for one."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return {}
    holders: dict[str, set[str]] = {}
    for key in storage.get_concurrency_keys():
        info = storage.get_concurrency_info(key)
        for slot in info.claimed_slots:
            holders.setdefault(slot.run_id, set()).add(key)
        for pending in info.pending_steps:
            holders.setdefault(pending.run_id, set()).add(key)
    return holders


def _pools_held(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    return _slot_holders(instance).get(run_id, set())


def _pool_names(pools: Iterable[str]) -> str:
    return ", ".join(sorted(pools))


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux); None where /proc is missing."""
    fields = _stat_fields(pid)
    return fields[19] if fields is not None and len(fields) > 19 else None


def _is_zombie(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] == "Z"


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name (which may hold spaces): state is field 0."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()
