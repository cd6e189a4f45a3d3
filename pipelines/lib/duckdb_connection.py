"""DuckDB connections: bounded memory and threads, extensions from installed packages.

No network at run time (DESIGN): extension autoloading and autoinstalling are
switched off, and the spatial, httpfs and encodings extensions are loaded from
the `duckdb-extension-*` packages pinned with duckdb itself.
"""

from __future__ import annotations

import os
from importlib.resources import files

import duckdb

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
    """A connection with the configured limits (SAFECITY_DUCKDB_MEMORY_LIMIT, SAFECITY_DUCKDB_THREADS).

    Extensions load only when asked for: loading one costs about half a second.
    """
    config = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "memory_limit": os.environ.get("SAFECITY_DUCKDB_MEMORY_LIMIT", "4GB"),
        "threads": int(os.environ.get("SAFECITY_DUCKDB_THREADS", "2")),
    }
    connection = duckdb.connect(database, read_only=read_only, config=config)
    for name in extensions:
        connection.execute("LOAD " + sql_string(extension_path(name)))
    return connection


def sql_string(path: str) -> str:
    """A SQL string literal, for the statements that take no parameters (LOAD, ATTACH)."""
    return "'" + path.replace("'", "''") + "'"
