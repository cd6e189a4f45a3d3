"""A dbt-duckdb plugin: dbt's DuckDB connection opens the data directory's warehouse and reads
the lake, local or in object storage.

Neither the warehouse file nor the lake is named in the profile or the sources by the data
directory's path. dbt hashes the profile's connection settings and the `env_var`s a file reads
into its partial-parse state, so a path that differed from one data directory to the next made
every new one parse the whole project again (5-10 s) instead of reusing the parse `make
install` left. Instead:

- the profile's `path: warehouse.duckdb` is relative, and resolved here against
  `$SAFECITY_DATA_DIR` before dbt-duckdb opens it;
- the sources read `safecity_lake_root() || '/bronze/...'` (lib/dbt_models/sources.py), a
  DuckDB macro this plugin writes into the warehouse at each connection: `$SAFECITY_LAKE_ROOT`,
  else the data directory's `lake/`. Kept in the file, it lets the staging views read the lake
  from any session that opens the warehouse.

When the lake is `s3://...`, the connection also needs the httpfs extension and the S3
secret. dbt-duckdb's own `extensions:` would INSTALL httpfs from the network
(docs/architecture.md, No network at run time) and its `secrets:` would need the credentials
spelt out in the profile; this plugin configures the connection the way the Python side does
(pipelines/lib/storage.py): httpfs from the installed package, a secret from the AWS
environment. A local lake needs neither, and gets neither.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from pipelines.lib import settings
from pipelines.lib.duckdb_connection import sql_string
from pipelines.lib.storage import LAKE_ROOT_ENV, LAKE_ROOT_MACRO, configure_duckdb, location


class Plugin(BasePlugin):
    def update_connection_config(self, creds: DuckDBCredentials, config: dict[str, Any]) -> None:
        # Called before dbt-duckdb opens `creds.path`, after dbt has hashed the profile.
        if creds.path != ":memory:" and not Path(creds.path).is_absolute():
            creds.path = str(settings.data_dir() / creds.path)

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        lake_root = settings.value(settings.LAKE_ROOT)
        lake = (
            location(lake_root, setting=LAKE_ROOT_ENV)
            if lake_root
            else settings.data_dir() / "lake"
        )
        configure_duckdb(conn, [lake])
        conn.execute(f"CREATE OR REPLACE MACRO main.{LAKE_ROOT_MACRO}() AS {sql_string(str(lake))}")
