"""The run history while `safecity run` records it: every event stored as Dagster stores it, through
one kept connection per database rather than one per event, without fsync; after the block, the
instance is Dagster's own again and its databases closed and checkpointed."""

# No `from __future__ import annotations`: Dagster reads the asset's context annotation.

import sqlite3
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from pipelines.lib.dagster_home import prepare_dagster_home
from pipelines.lib.instance_storage import run_history_without_waits


@dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="number")])
def number(context: dg.AssetExecutionContext):
    for step in range(20):
        context.log.info(f"step {step}")
    yield dg.Output(1)
    yield dg.AssetCheckResult(check_name="positive", passed=True)


def _materialize(instance: dg.DagsterInstance) -> str:
    result = dg.materialize([number], instance=instance)
    assert result.success
    return result.run_id


def _events(home: Path, run_id: str) -> list[str]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return [e.message for e in instance.all_logs(run_id)]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    prepare_dagster_home(home)
    return home


def test_events_stored_through_kept_connections_without_fsync(home: Path) -> None:
    connections: list[str] = []
    synchronous: list[int] = []

    def opened(connection, _record) -> None:
        connections.append(connection.execute("PRAGMA database_list").fetchone()[2])

    event.listen(Engine, "connect", opened)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            before = len(connections)
            with run_history_without_waits(instance):
                run_id = _materialize(instance)
                kept = len(connections) - before
                with instance.event_log_storage.run_connection(run_id) as connection:
                    synchronous.append(connection.exec_driver_sql("PRAGMA synchronous").scalar())
                # Held open: the write-ahead log outlives each event.
                assert Path(f"{instance.event_log_storage.path_for_shard(run_id)}-wal").exists()
                # A table found once is not looked for again (Dagster asked for each check event).
                storage = instance.event_log_storage
                assert storage.has_table("asset_check_executions")
                asked = len(connections)
                assert storage.has_table("asset_check_executions")
                assert len(connections) == asked
            # Dagster's own again: a new connection per event.
            before = len(connections)
            again = _materialize(instance)
            per_event = len(connections) - before
    finally:
        event.remove(Engine, "connect", opened)

    assert synchronous == [0]  # OFF
    stored = _events(home, run_id)
    assert len(stored) > 30 and sum(m.startswith("step ") for m in stored if m) == 20
    # The same events as Dagster stores without the block.
    assert len(_events(home, again)) == len(stored)
    # A connection or two per database (the run's, the index, the runs), not one per event.
    assert kept <= 6 and per_event >= len(stored) > 30


def test_afterwards_the_databases_are_closed_and_checkpointed(home: Path) -> None:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        with run_history_without_waits(instance):
            run_id = _materialize(instance)
        assert not {"_connect", "has_table"} & set(vars(storage))
        assert "connect" not in vars(instance.run_storage)
        path = storage.path_for_shard(run_id)
    assert not Path(f"{path}-wal").exists()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL: the default
        assert connection.execute("SELECT count(*) FROM event_logs").fetchone()[0] > 30


def test_the_ui_watching_a_run_sees_its_events_as_they_are_stored(home: Path) -> None:
    """The UI follows a run through a watcher of the run's database file, in its own process
    (here: another instance on the same folder)."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = dg.materialize([number], instance=instance).dagster_run
        seen: list[str] = []
        arrived = threading.Event()

        def on_event(entry, _cursor) -> None:  # type: ignore[no-untyped-def]
            if entry.message.startswith("live "):
                seen.append(entry.message)
            if len(seen) == 5:
                arrived.set()

        with dg.DagsterInstance.from_config(str(home)) as ui:
            ui.event_log_storage.watch(run.run_id, None, on_event)
            try:
                with run_history_without_waits(instance):
                    time.sleep(0.5)  # the watcher is watching
                    for index in range(5):
                        instance.report_engine_event(f"live {index}", run)
                    assert arrived.wait(timeout=15), seen  # within the block, not after it
            finally:
                ui.event_log_storage.end_watch(run.run_id, on_event)
    assert seen == [f"live {index}" for index in range(5)]
