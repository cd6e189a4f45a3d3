"""DuckDB connections: bounded memory and threads, extensions from installed packages.

No network at run time (docs/architecture.md): extension autoloading and autoinstalling are
switched off, and the spatial, httpfs and encodings extensions are loaded from
the `duckdb-extension-*` packages pinned with duckdb itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib.resources import files
from typing import TypeVar

import duckdb

from pipelines.lib import settings
from pipelines.lib.sql_names import quoted

T = TypeVar("T")


def extension_path(name: str) -> str:
    """The extension binary shipped in the `duckdb-extension-<name>` package for this duckdb version."""
    folder = files(f"duckdb_extension_{name}").joinpath("extensions", f"v{duckdb.__version__}")
    return str(folder.joinpath(f"{name}.duckdb_extension"))


def connect(
    database: str = ":memory:",
    *,
    read_only: bool = False,
    extensions: tuple[str, ...] = (),
) -> duckdb.DuckDBPyConnection:
    """A connection with the configured limits (SAFECITY_DUCKDB_MEMORY_LIMIT, SAFECITY_DUCKDB_THREADS),
    in UTC whatever the host's time zone, as dbt's (dbt_project/profiles.yml).

    Extensions load only when asked for: loading one costs about half a second.
    """
    config = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        **settings.duckdb_limits(),
    }
    connection = _connect_when_unlocked(database, read_only, config)
    connection.execute("SET TimeZone = 'UTC'")  # not a setting duckdb.connect accepts
    for name in extensions:
        connection.execute("LOAD " + sql_string(extension_path(name)))
    return connection


LOCK_WAIT_SECONDS = 60.0


def attach(connection: duckdb.DuckDBPyConnection, database: str, alias: str) -> None:
    """ATTACH a database file for writing, waiting as `connect` does while another process holds it."""
    statement = f"ATTACH {sql_string(database)} AS {quoted(alias, 'database alias')}"
    _when_unlocked(lambda: connection.execute(statement))  # ATTACH takes no parameters


def _connect_when_unlocked(
    database: str, read_only: bool, config: dict
) -> duckdb.DuckDBPyConnection:
    return _when_unlocked(lambda: duckdb.connect(database, read_only=read_only, config=config))


def _when_unlocked(open_file: Callable[[], T]) -> T:
    """Open a database file, waiting while another process briefly holds it.

    DuckDB allows one writer or many readers of a file, never both. An engineer
    peeking at the live warehouse between two build steps must delay the next
    step, not fail it; a lock held longer than LOCK_WAIT_SECONDS is an error.
    """
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = 0.1
    while True:
        try:
            return open_file()
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def sql_string(path: str) -> str:
    """A SQL string literal, for the statements that take no parameters (LOAD, ATTACH, a macro)."""
    return "'" + path.replace("'", "''") + "'"
