"""The key registry of one entity kind, kept in the lake: it must outlive any warehouse rebuild.

lake/linkage/<kind>/keys.parquet     mention -> entity key, as of the last run
lake/linkage/<kind>/changes.parquet  every merge and split ever recorded (append-only)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from pipelines.lib.atomic import append_parquet_atomic, atomic_output
from pipelines.lib.linkage.keys import CHANGES_SCHEMA, REGISTRY_SCHEMA, KeyAssignment
from pipelines.lib.storage import Location, read_parquet_or_empty

HISTORY_SCHEMA = pl.Schema({"changed_at": pl.Datetime("us", "UTC"), **CHANGES_SCHEMA})


@dataclass(frozen=True)
class Registry:
    folder: Location  # in the lake, so local or in object storage

    @property
    def keys_path(self) -> Location:
        return self.folder / "keys.parquet"

    @property
    def changes_path(self) -> Location:
        return self.folder / "changes.parquet"

    def keys(self) -> pl.DataFrame:
        return read_parquet_or_empty(self.keys_path, REGISTRY_SCHEMA)

    def history(self) -> pl.DataFrame:
        return read_parquet_or_empty(self.changes_path, HISTORY_SCHEMA)

    def save(self, assignment: KeyAssignment) -> None:
        """Changes first: a crash between the two writes leaves the old keys, and re-running records them again."""
        if assignment.changes.height:
            stamped = assignment.changes.select(
                pl.lit(datetime.now(UTC)).alias("changed_at"), pl.all()
            )
            append_parquet_atomic(self.changes_path, stamped.cast(HISTORY_SCHEMA))
        with atomic_output(self.keys_path) as tmp:
            assignment.keys.write_parquet(tmp)
