"""A dbt-duckdb plugin: dbt's DuckDB connection reads a lake in object storage.

dbt's sources read the bronze lake at `$SAFECITY_LAKE_ROOT` (dbt_project/models/
staging/_sources.yml). When that is `s3://...`, the connection needs the httpfs
extension and the S3 secret. dbt-duckdb's own `extensions:` would INSTALL httpfs
from the network (docs/architecture.md, No network at run time) and its `secrets:` would need the
credentials spelt out in the profile; this plugin, listed under `plugins:` in
dbt_project/profiles.yml, configures the connection the way the Python side does
(pipelines/lib/storage.py): httpfs from the installed package, a secret from the
AWS environment. A local lake needs neither, and gets neither.
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from pipelines.lib import settings
from pipelines.lib.storage import LAKE_ROOT_ENV, configure_duckdb, location


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        lake_root = settings.value(settings.LAKE_ROOT)
        if lake_root:
            configure_duckdb(conn, [location(lake_root, setting=LAKE_ROOT_ENV)])
