"""The data directory: one layout for every run, so tools and tests find things.

See DESIGN.md, "The data directory". Every path the pipeline reads or writes is
built here, never by string concatenation elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

DEFAULT_DATA_DIR_ENV = "SAFECITY_DATA_DIR"


def default_data_dir() -> Path:
    """`$SAFECITY_DATA_DIR` if set, else `data/` under the working directory.

    The README's commands, `dagster dev` and the Makefile all run from the
    repository root, so the default is the repository's `data/`.
    """
    return Path(os.environ.get(DEFAULT_DATA_DIR_ENV, "data")).absolute()


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def ground_truth(self) -> Path:
        return self.root / "ground_truth"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def bronze(self) -> Path:
        return self.lake / "bronze"

    @property
    def quarantine(self) -> Path:
        return self.lake / "quarantine"

    @property
    def linkage(self) -> Path:
        """Entity key registries, one folder per entity kind (they outlive warehouse rebuilds)."""
        return self.lake / "linkage"

    @property
    def publications_audit(self) -> Path:
        """The append-only audit log of extracts published to departments (one Parquet file each)."""
        return self.lake / "audit" / "publications"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def analytics(self) -> Path:
        return self.root / "analytics.duckdb"

    @property
    def extracts(self) -> Path:
        return self.root / "extracts"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def alerts(self) -> Path:
        return self.root / "alerts"

    def landing_feed(self, department: str, feed: str) -> Path:
        return self.landing / department / feed

    def bronze_partition(self, department: str, feed: str, day: date) -> Path:
        return self.bronze / department / feed / f"date={day.isoformat()}"

    def quarantine_partition(self, department: str, feed: str, day: date) -> Path:
        return self.quarantine / department / feed / f"date={day.isoformat()}"

    def quality_report(self, department: str) -> Path:
        """A department's quality report: the GX data docs of its published extract."""
        return self.reports / "quality" / department
