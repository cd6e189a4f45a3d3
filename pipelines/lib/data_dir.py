"""The data directory: one layout for every run, so tools and tests find things.

See docs/architecture.md, "The data directory". Every path the pipeline reads or writes is
built here, never by string concatenation elsewhere; a department, feed or entity kind
is checked before it becomes part of one (pipelines/lib/sql_names.py), so no name from
configuration can lead a path out of its folder.

The lake and the extracts may live elsewhere, in object storage: `lake_root` and
`extracts_root` (default `$SAFECITY_LAKE_ROOT`, `$SAFECITY_EXTRACTS_ROOT`, else the
data directory's `lake/` and `extracts/`) may be `s3://bucket/prefix`, and their paths
are then `upath.UPath`s (pipelines/lib/storage.py). Everything else stays local.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

from pipelines.lib import settings
from pipelines.lib.entity_kinds import ENTITY_KINDS
from pipelines.lib.sql_names import checked, one_of
from pipelines.lib.storage import EXTRACTS_ROOT_ENV, LAKE_ROOT_ENV, Location, location

DEFAULT_DATA_DIR_ENV = settings.DATA_DIR.name


def default_data_dir() -> Path:
    """`$SAFECITY_DATA_DIR` if set, else `data/` under the working directory.

    The README's commands, `dagster dev` and the Makefile all run from the
    repository root, so the default is the repository's `data/`.
    """
    return settings.data_dir()


def _setting(item: settings.Setting) -> str | None:
    """A field whose default is the setting's value, read when the DataDir is made."""
    return field(default_factory=lambda: settings.value(item))


@dataclass(frozen=True)
class DataDir:
    root: Path
    lake_root: str | None = _setting(settings.LAKE_ROOT)
    extracts_root: str | None = _setting(settings.EXTRACTS_ROOT)

    def __post_init__(self) -> None:
        # Resolved now: a wrong scheme, missing credentials or a missing bucket is one clear
        # error when the data directory is opened, not a failure in the middle of a run.
        _ = self.lake, self.extracts

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def city_profile(self) -> Path:
        """The profile of the city in this data directory, where `safecity generate` writes it
        (a real deployment's data directory has none: the repository's contracts/city.yaml applies)."""
        return self.root / "city.yaml"

    @property
    def ground_truth(self) -> Path:
        return self.root / "ground_truth"

    @cached_property
    def lake(self) -> Location:
        if self.lake_root:
            return location(self.lake_root, setting=LAKE_ROOT_ENV)
        return self.root / "lake"

    @property
    def bronze(self) -> Location:
        return self.lake / "bronze"

    @property
    def quarantine(self) -> Location:
        return self.lake / "quarantine"

    @property
    def linkage(self) -> Location:
        """Entity key registries, one folder per entity kind (they outlive warehouse rebuilds)."""
        return self.lake / "linkage"

    def linkage_kind(self, kind: str) -> Location:
        """One entity kind's key registry and review decisions."""
        return self.linkage / one_of(kind, ENTITY_KINDS, "entity kind")

    @property
    def publications_audit(self) -> Location:
        """The append-only audit log of extracts published to departments (one Parquet file each)."""
        return self.lake / "audit" / "publications"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def analytics(self) -> Path:
        return self.root / "analytics.duckdb"

    @property
    def dbt_target(self) -> Path:
        """dbt's target folder for builds of this warehouse: one, reused, so its artefacts do not pile
        up run after run and its partial-parse state (which depends on this directory) carries over."""
        return self.root / "dbt_target"

    @property
    def quality_validations(self) -> Path:
        """Validation results of the quality reports, kept by what they validated (not published):
        an unchanged table is not validated again (pipelines/lib/quality/validation_cache.py)."""
        return self.root / "quality_validations"

    @property
    def dbt_docs_target(self) -> Path:
        """dbt's target folder for generating the docs site: its own, so the warehouse build's
        partial-parse state (which depends on the target) is left alone."""
        return self.dbt_target / "docs"

    @cached_property
    def extracts(self) -> Location:
        if self.extracts_root:
            return location(self.extracts_root, setting=EXTRACTS_ROOT_ENV)
        return self.root / "extracts"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def alerts(self) -> Path:
        return self.root / "alerts"

    @property
    def alerts_cache(self) -> Path:
        """Which CAP messages were sent, and from which mart row (lib/alerts/publish.py):
        outside `alerts/`, which holds only what receivers read. Deleted, the next publication
        builds every message again from the warehouse, and rewrites those restated since."""
        return self.root / "alerts_cache.json"

    @property
    def alerts_checked(self) -> Path:
        """Which bytes the CAP check found valid before (lib/alerts/publish.py, by SHA-256):
        outside `alerts/`. Safe to delete."""
        return self.root / "alerts_checked.json"

    @property
    def scorecard_counts(self) -> Path:
        """Each lake file's counts as the scorecard last took them (lib/scorecard.py), so a run
        reads only the files written since. Safe to delete."""
        return self.root / "scorecard_counts.json"

    def lake_figures(self, department: str, feed: str) -> Path:
        """Each part of the feed's lake as its ingestion checks last read it: rows, and rows
        quarantined by rule and column (lib/ingest/summary.py), so a step reads only the parts
        written since. Safe to delete."""
        return self.root / "lake_figures" / _department(department) / f"{_feed(feed)}.json"

    @property
    def warehouse_builds(self) -> Path:
        """When each dbt step last started a build that succeeded (lib/warehouse_builds.py): the
        delivery days written after it are the ones the next daily build rebuilds."""
        return self.root / "warehouse_builds.json"

    @property
    def logs(self) -> Path:
        """One log file per `safecity run`: dbt's and Dagster's output, every file and check."""
        return self.root / "logs"

    def landing_feed(self, department: str, feed: str) -> Path:
        return self.landing / _department(department) / _feed(feed)

    def bronze_feed(self, department: str, feed: str) -> Location:
        return self.bronze / _department(department) / _feed(feed)

    def bronze_partition(self, department: str, feed: str, day: date) -> Location:
        return self.bronze_feed(department, feed) / f"date={day.isoformat()}"

    def quarantine_partition(self, department: str, feed: str, day: date) -> Location:
        return self.quarantine / _department(department) / _feed(feed) / f"date={day.isoformat()}"

    def extract(self, department: str) -> Location:
        """A department's published extract."""
        return self.extracts / _department(department)

    def extract_state(self, department: str) -> Path:
        """What each part of a department's published extract was written from (not published):
        an unchanged part is carried into the next publication, not written again
        (lib/publish/reuse.py). Safe to delete: everything is then written again."""
        return self.root / "extract_state" / f"{_department(department)}.json"

    @property
    def extract_parts(self) -> Path:
        """Parts of extracts as written, by digest: one that departments receive alike is written
        once and linked into each (lib/publish/shared_parts.py). Safe to delete."""
        return self.root / "extract_state" / "parts"

    @property
    def dbt_docs(self) -> Path:
        """The dbt docs site of the warehouse (models, columns, tests, lineage), for people."""
        return self.reports / "dbt_docs"

    def quality_report(self, department: str) -> Path:
        """A department's quality report: the GX data docs of its published extract."""
        return self.reports / "quality" / _department(department)


def _department(name: str) -> str:
    return checked(name, "department")


def _feed(name: str) -> str:
    return checked(name, "feed")
