"""The Dagster instance's SQLite databases written without an fsync, and without reopening the
write-ahead log, for every event.

Dagster's SQLite storage opens a database connection for every event it stores (a run of the tiny
city stores some 3,000), commits and closes it; closing the last connection checkpoints the
write-ahead log, and SQLite's default `synchronous` setting waits for the disk (fsync) at each
commit and checkpoint. On a busy disk that is some 20 ms per event: a minute of a tiny run spent
waiting for the disk to confirm run history. With `PRAGMA synchronous=OFF` SQLite hands the writes
to the operating system and goes on (about 1 ms per event, measured on the development machine).

What is given up: after a crash of the operating system or a power cut (not of a process: a killed
run loses nothing), the last events of a run may be missing, or an instance database corrupt. The
instance is the run history of one data directory, not its data: deleting `<data dir>/dagster_home`
loses the UI's history of past runs, and the next `safecity run` starts a new one.

Each database Dagster opens there is also held open by one idle connection of this process until
the run is over. Without it, each event's connection was the last to close: SQLite then checkpoints
the write-ahead log into the database and deletes it, and the next event's connection creates it
again. Measured on 2,000 events stored through a Dagster instance: 4.8 s without fsync, 4.3 s held
open as well (6.8 s with neither). An idle connection takes no lock the UI or another run waits for.

`safecity run` applies both to the instance it records its runs in, in its own process, which stores
every event of its runs; the instance's dagster.yaml is unchanged (Dagster's default SQLite
storage), so the UI and anything else opening the instance read it as before.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_LOCK = threading.Lock()
_FOLDERS: set[str] = set()  # instance folders whose SQLite databases are written without fsync
_HELD: dict[str, sqlite3.Connection] = {}  # database path: the idle connection holding it open


@contextmanager
def run_history_without_waits(home: Path) -> Iterator[None]:
    """While in the block, every SQLite database this process opens through SQLAlchemy (as
    Dagster's storage does) under the folder `home`: `PRAGMA synchronous=OFF`, and held open."""
    folder = os.path.join(os.path.realpath(home), "")
    with _LOCK:
        if not _FOLDERS:
            event.listen(Engine, "connect", _on_connect)
        _FOLDERS.add(folder)
    try:
        yield
    finally:
        with _LOCK:
            _FOLDERS.discard(folder)
            for path in [p for p in _HELD if p.startswith(folder)]:
                _HELD.pop(path).close()  # the last one closed checkpoints the log


def _on_connect(connection: Any, _record: Any) -> None:
    if not isinstance(connection, sqlite3.Connection):
        return
    row = connection.execute("PRAGMA database_list").fetchone()
    path = os.path.realpath(row[2]) if row and row[2] else ""
    if not path or not any(path.startswith(folder) for folder in _FOLDERS):
        return
    connection.execute("PRAGMA synchronous=OFF")
    with _LOCK:
        if path not in _HELD:
            held = sqlite3.connect(path, check_same_thread=False)
            held.execute("SELECT count(*) FROM sqlite_master").fetchone()  # opens the log
            _HELD[path] = held
