"""The Dagster instance's SQLite databases written without an fsync for every event.

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

`safecity run` applies it to the instance it records its runs in, in its own process, which stores
every event of its runs; the instance's dagster.yaml is unchanged (Dagster's default SQLite
storage), so the UI and anything else opening the instance read it as before.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_LOCK = threading.Lock()
_FOLDERS: set[str] = set()  # instance folders whose SQLite databases are written without fsync


def without_fsync_under(home: Path) -> None:
    """Every SQLite database this process opens through SQLAlchemy (as Dagster's storage does)
    under the folder `home`, from now on: `PRAGMA synchronous=OFF`."""
    folder = os.path.join(os.path.realpath(home), "")
    with _LOCK:
        if not _FOLDERS:
            event.listen(Engine, "connect", _on_connect)
        _FOLDERS.add(folder)


def _on_connect(connection: Any, _record: Any) -> None:
    if not isinstance(connection, sqlite3.Connection):
        return
    row = connection.execute("PRAGMA database_list").fetchone()
    path = os.path.realpath(row[2]) if row and row[2] else ""
    if path and any(path.startswith(folder) for folder in _FOLDERS):
        connection.execute("PRAGMA synchronous=OFF")
