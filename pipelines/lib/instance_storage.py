"""The Dagster instance's SQLite run history, written without an fsync and without a new database
connection for every event.

Dagster's SQLite event log creates an engine and opens a database connection for every event it
stores (a run of the tiny city stores some 3,700), commits and closes it: each new connection reads
the database's schema again, and the last one closed checkpoints the write-ahead log and deletes
it, for the next event to make again. And SQLite's default `synchronous` setting waits for the disk
(fsync) at each commit: some 20 ms per event on a busy disk.

While `safecity run` records its runs (in its own process), `run_history_without_waits`:
- writes every SQLite database under the instance's folder with `PRAGMA synchronous=OFF`: SQLite
  hands the writes to the operating system and goes on;
- gives the instance's event log and run storage one engine per database, whose connections are
  kept rather than opened per event or query (a run's database file is touched after each write,
  so the UI, which watches it, shows the run's events as they come), and remembers the tables found
  (Dagster asked SQLite whether a table exists, through yet another engine, for each asset check
  event).
Measured on 2,000 events stored through a Dagster instance (benchmarks/bench_event_log.py): 6.5 s
as Dagster stores them, 4.4 s without fsync, 0.9 s with the connections kept as well.

What is given up: after a crash of the operating system or a power cut (not of a process: a killed
run loses nothing), the last events of a run may be missing, or an instance database corrupt. The
instance is the run history of one data directory, not its data: deleting `<data dir>/dagster_home`
loses the UI's history of past runs, and the next `safecity run` starts a new one. A kept idle
connection takes no lock the UI or another run waits for.

The instance's dagster.yaml is unchanged (Dagster's default SQLite storage), so the UI and
anything else opening the instance read and write it as before. Replacing methods of Dagster's
`SqliteEventLogStorage` (`_connect`, `has_table`) and `SqliteRunStorage` (`connect`) on the one
instance's objects relies on Dagster 1.13's private API: tests/lib/test_instance_storage.py fails
when an upgrade changes it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

_LOCK = threading.Lock()
# Instance folders whose SQLite databases are written without fsync, with the blocks open on each.
_FOLDERS: Counter[str] = Counter()


@contextmanager
def run_history_without_waits(
    instance: dg.DagsterInstance, *, keep_connections: bool = True
) -> Iterator[None]:
    """While in the block: no fsync for the SQLite databases under the instance's folder, and the
    instance's event log and run storage keep one connection per database (unless told not to:
    benchmarks/bench_event_log.py measures each)."""
    folder = os.path.join(os.path.realpath(instance.root_directory), "")
    with _LOCK:
        if not event.contains(Engine, "connect", _on_connect):
            event.listen(Engine, "connect", _on_connect)
        _FOLDERS[folder] += 1
    kept = _KeptConnections(instance) if keep_connections else None
    try:
        yield
    finally:
        if kept is not None:
            kept.close()
        with _LOCK:
            _FOLDERS[folder] -= 1
            if _FOLDERS[folder] <= 0:
                del _FOLDERS[folder]


class _KeptConnections:
    """Dagster's SQLite storages with one engine per database, created once, instead of an
    engine per event or query: `SqliteEventLogStorage._connect` (per database, or shard) and
    `has_table` (remembering the tables found), `SqliteRunStorage.connect`. Other storages (a
    Postgres instance, say) are left as they are."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.engines: dict[str, Engine] = {}
        self.engines_lock = threading.Lock()
        self.tables: set[str] = set()
        self.replaced: list[tuple[object, str]] = []
        events, runs = instance.event_log_storage, instance.run_storage
        if isinstance(events, SqliteEventLogStorage):
            self.events = events
            self.original_has_table = events.has_table
            self._replace(events, "_connect", self._event_log_connection)
            self._replace(events, "has_table", self._has_table)
        if isinstance(runs, SqliteRunStorage):
            self.runs = runs
            self._replace(runs, "connect", self._run_storage_connection)

    def _replace(self, storage: object, method: str, by: object) -> None:
        setattr(storage, method, by)  # on the object: the class, and any other instance, unchanged
        self.replaced.append((storage, method))

    def _engine(self, url: str) -> Engine:
        with self.engines_lock:
            engine = self.engines.get(url)
            if engine is None:
                # Connections kept and shared by threads one at a time; a connection asked for
                # while another is in use is another connection, as with Dagster's own engines.
                engine = create_engine(
                    url,
                    poolclass=QueuePool,
                    connect_args={
                        "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                        "check_same_thread": False,
                    },
                )
                self.engines[url] = engine
            return engine

    @contextmanager
    def _event_log_connection(self, shard: str) -> Iterator[Connection]:
        storage = self.events
        with storage._db_lock:  # as Dagster's: one thread at a time
            engine = self._engine(storage.conn_string_for_shard(shard))
            if shard not in storage._initialized_dbs:
                storage._initdb(engine)
                storage._initialized_dbs.add(shard)
            with engine.connect() as connection, connection.begin():
                yield connection
            if shard != INDEX_SHARD_NAME:
                # The UI follows a run's events by watching its database file, which a kept
                # connection's commits (to the write-ahead log) leave untouched until a
                # checkpoint: touched, as Dagster's closing connection checkpointed it.
                os.utime(storage.path_for_shard(shard))

    @contextmanager
    def _run_storage_connection(self) -> Iterator[Connection]:
        with self._engine(self.runs._conn_string).connect() as connection, connection.begin():
            yield connection

    def _has_table(self, table_name: str) -> bool:
        # A table, once there, stays for the run (Dagster drops none while it runs).
        if table_name not in self.tables and self.original_has_table(table_name):
            self.tables.add(table_name)
        return table_name in self.tables

    def close(self) -> None:
        """Dagster's own methods back, and every kept connection closed (the last one to close
        checkpoints the write-ahead log)."""
        for storage, method in self.replaced:
            delattr(storage, method)  # the class's method shows again
        for engine in self.engines.values():
            engine.dispose()
        self.engines.clear()


def _on_connect(connection: Any, _record: Any) -> None:
    if not isinstance(connection, sqlite3.Connection):
        return
    row = connection.execute("PRAGMA database_list").fetchone()
    path = os.path.realpath(row[2]) if row and row[2] else ""
    if path and any(path.startswith(folder) for folder in _FOLDERS):
        connection.execute("PRAGMA synchronous=OFF")
