"""A run interrupted during a DuckDB query stops there (pipelines/defs/interrupts.py).

DuckDB reports a SIGTERM that arrives during a query as its own RuntimeError, which Dagster
took for an ordinary step failure: the run started its next step, and a step opening the same
database file again never returned. The jobs' failure hook ends the run instead.
"""

from __future__ import annotations

import os
import signal
import threading

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import defs
from pipelines.defs.interrupts import interrupted, stop_on_interrupt
from pipelines.defs.jobs import PHASE_JOBS

# Long enough (seconds on one core) for a signal sent 0.3 s after it starts to find it running.
LONG_QUERY = "select count(distinct md5(range::varchar)) from range(200000000)"


def _job(hooks: set[dg.HookDefinition], ran: list[str]) -> dg.JobDefinition:
    @dg.asset
    def interrupted_query() -> None:
        # SIGTERM stops a command as Ctrl-C does (pipelines/cli.py)
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM)).start()
        with duckdb.connect() as connection:
            connection.execute(LONG_QUERY).fetchall()

    @dg.asset
    def next_step() -> None:
        ran.append("next_step")

    job = dg.define_asset_job("job", hooks=hooks, executor_def=dg.in_process_executor)
    return dg.Definitions(assets=[interrupted_query, next_step], jobs=[job]).resolve_job_def("job")


@pytest.fixture
def sigterm_interrupts():
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.parametrize("hooked", [False, True], ids=["without the hook", "with the hook"])
def test_a_query_interrupted_by_sigterm_ends_the_run(sigterm_interrupts, hooked):
    ran: list[str] = []
    job = _job({stop_on_interrupt} if hooked else set(), ran)

    try:
        result = job.execute_in_process(raise_on_error=False)
        success = result.success
    except dg.DagsterExecutionInterruptedError:
        success = False

    assert success is False
    # Without the hook Dagster goes on to the next step: what the hook is for.
    assert ran == ([] if hooked else ["next_step"])


def test_only_an_interrupt_counts():
    try:
        try:
            raise dg.DagsterExecutionInterruptedError()
        except dg.DagsterExecutionInterruptedError as interrupt:
            raise RuntimeError("Query interrupted") from interrupt
    except RuntimeError as error:
        assert interrupted(error)
    assert interrupted(KeyboardInterrupt())
    assert not interrupted(RuntimeError("Binder Error: column not found"))
    assert not interrupted(None)


def test_every_phase_job_carries_the_hook():
    for name in PHASE_JOBS:
        assert stop_on_interrupt in defs.resolve_job_def(name).hook_defs, name
