"""Publish one department's extract: its granted tables as Parquet (and CSV), a manifest, an audit row.

    publication = publish_department(paths, policy, policy.departments["fire_rescue"], contracts)

Layout of `extracts/<department>/`:

    manifest.json
    <table>/<table>.parquet                  one file per table ...
    fct_event/month=YYYY-MM/part-0.parquet   ... except events, by month of occurred_at (the city's time zone)
    <table>/<table>.csv                      with `csv: true`: the whole table, spreadsheet-safe

Read from the analytics copy (read-only: a running build never waits for it, and it
has no staging layer with identifiers in clear), with DuckDB `COPY (SELECT ...) TO`;
masking and pseudonyms are SQL expressions (masking.py) with the department and the
key as query parameters.

Atomic per department: everything is written into a hidden sibling folder, the audit
row is appended, and the folder is swapped in with two renames. A department sees the
previous publication or the new one, never a mixture; a failure before the swap leaves
the previous publication as it was, and one between the two renames is repaired by the
next run (`_recover`).

Extracts in object storage (`SAFECITY_EXTRACTS_ROOT=s3://...`) have no folder rename:
the extract is built in a local temporary folder the same way, then uploaded file by
file with the manifest last, and files the new manifest does not list are removed
(`storage.mirror_folder`). A failure before the upload leaves the previous publication
as it was; one during it leaves files that do not match the manifest, which the
manifest check reports, until the next publication replaces them.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.lib.city_profile import city_profile
from pipelines.lib.contracts.tables import TableContract
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect, sql_string
from pipelines.lib.publish import audit
from pipelines.lib.publish.manifest import (
    MANIFEST,
    ColumnEntry,
    FileEntry,
    TableEntry,
    file_entry,
    manifest_bytes,
    manifest_document,
)
from pipelines.lib.publish.masking import TablePlan, plan_department
from pipelines.lib.publish.policy import DepartmentGrant, SharingPolicy
from pipelines.lib.publish.pseudonym import PseudonymKey, key_from_environment
from pipelines.lib.publish.spreadsheet_csv import write_csv
from pipelines.lib.sql_names import quoted
from pipelines.lib.storage import Location, is_remote, mirror_folder, remove_folder

# Tables split into one folder per month of this timestamp column: a department that
# keeps a history replaces or adds a month rather than one file that grows forever.
MONTHLY: dict[str, str] = {"fct_event": "occurred_at"}
MONTH_COLUMN = "month"
_PARAMETER = re.compile(r"\$([a-z_]+)")


class PublishError(Exception):
    """The analytics copy is missing, or does not hold what the policy grants."""


@dataclass(frozen=True)
class PublishedTable:
    name: str
    rows: int
    files: int
    bytes: int


@dataclass(frozen=True)
class Publication:
    department: str
    publication_id: str
    built_at: datetime
    folder: Location
    manifest_sha256: str
    audit_file: Location
    tables: tuple[PublishedTable, ...]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def files(self) -> int:
        return sum(t.files for t in self.tables)

    @property
    def bytes(self) -> int:
        return sum(t.bytes for t in self.tables)


def publish_department(
    paths: DataDir,
    policy: SharingPolicy,
    grant: DepartmentGrant,
    contracts: Mapping[str, TableContract],
    *,
    key: PseudonymKey | None = None,
    now: datetime | None = None,
) -> Publication:
    """Write the department's extract and its audit row; returns what was published.

    `key` defaults to `$SAFECITY_PSEUDONYM_KEY`, read only when a column is pseudonymised.
    """
    if not paths.analytics.is_file():
        raise PublishError(f"no analytics copy at {paths.analytics}: build the warehouse first")
    plans = plan_department(grant, contracts)
    if key is None and any(plan.needs_pseudonym_key for plan in plans):
        key = key_from_environment()
    built_at = (now or datetime.now(UTC)).astimezone(UTC)
    publication_id = uuid.uuid4().hex
    target = paths.extract(grant.department)
    building = _building_folder(target, publication_id)
    try:
        parameters = {
            "department": grant.department,
            # Months as the city's departments count them, in its time zone.
            "city_timezone": city_profile(paths.root).timezone,
            **(key.sql_parameters() if key else {}),
        }
        connection = connect(str(paths.analytics), read_only=True)
        try:
            entries = [
                write_table(connection, plan, parameters, building, csv=grant.csv) for plan in plans
            ]
        finally:
            connection.close()
        reports = copy_shared_reports(paths.reports, building)
        document = manifest_document(
            department=grant.department,
            purpose=grant.purpose,
            publication_id=publication_id,
            built_at=built_at.isoformat().replace("+00:00", "Z"),
            policy_file=policy.display,
            policy_version=policy.version,
            personal=grant.personal,
            tables=entries,
            reports=reports,
        )
        (building / MANIFEST).write_bytes(manifest_bytes(document))
        manifest_sha256 = file_entry(building, building / MANIFEST).sha256
        audit_file = audit.append_publication(
            paths.publications_audit,
            publication_id=publication_id,
            published_at=built_at,
            department=grant.department,
            policy_version=policy.version,
            manifest_sha256=manifest_sha256,
            tables=[
                audit.AuditRow(
                    table_name=e.name,
                    columns=tuple((c.name, c.treatment) for c in e.columns),
                    row_scope=e.row_scope,
                    rows=e.rows,
                    contract_version=e.contract_version,
                )
                for e in entries
            ],
        )
        if is_remote(target):
            mirror_folder(building, target, last=MANIFEST)
        else:
            _swap_in(building, target)
    finally:
        shutil.rmtree(
            building, ignore_errors=True
        )  # still there when something failed, or once uploaded
    return Publication(
        department=grant.department,
        publication_id=publication_id,
        built_at=built_at,
        folder=target,
        manifest_sha256=manifest_sha256,
        audit_file=audit_file,
        tables=tuple(
            PublishedTable(e.name, e.rows, len(e.files), sum(f.bytes for f in e.files))
            for e in entries
        ),
    )


SHARED_REPORTS = (
    "scorecard/department_scorecard.parquet",
    "scorecard/summary_by_department.parquet",
)


def copy_shared_reports(reports: Path, building: Path) -> list[FileEntry]:
    """The reports every department receives alike, under `reports/` of its extract: the
    department quality scorecard, so each can see how its data compares with the others'."""
    entries = []
    for relative in SHARED_REPORTS:
        source = reports / relative
        if source.is_file():
            target = building / "reports" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            entries.append(file_entry(building, target))
    return entries


def withdraw_department(paths: DataDir, department: str) -> bool:
    """Remove the extract of a department the policy no longer grants anything; True if there was one."""
    target = paths.extract(department)
    if is_remote(target):
        if not target.exists():
            return False
        # The manifest first: what is left while the rest goes cannot pass for an extract.
        (target / MANIFEST).unlink(missing_ok=True)
        remove_folder(target)
        return True
    _recover(target)
    if not target.exists():
        return False
    retired = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
    os.rename(target, retired)
    shutil.rmtree(retired)
    return True


def write_table(
    connection: duckdb.DuckDBPyConnection,
    plan: TablePlan,
    parameters: Mapping[str, object],
    folder: Path,
    *,
    csv: bool,
) -> TableEntry:
    """Write one table's files into `folder/<table>/`; returns its manifest entry."""
    query = plan.select_sql()
    used = _used(query, parameters)
    try:
        described = connection.execute(f"DESCRIBE {query}", used).fetchall()
    except duckdb.BinderException as error:
        raise PublishError(
            f"{plan.table}: the analytics copy does not match its contract ({str(error).splitlines()[0]}); "
            "rebuild the warehouse"
        ) from error
    types = {row[0]: row[1] for row in described}
    table_dir = folder / plan.table
    table_dir.mkdir()
    month_source = MONTHLY.get(plan.table)
    # COPY answers with one row: the number of rows it wrote.
    if month_source is None:
        target = table_dir / f"{plan.table}.parquet"
        [(rows,)] = connection.execute(
            f"COPY ({query}) TO {sql_string(str(target))} (FORMAT parquet, COMPRESSION zstd)", used
        ).fetchall()
    else:
        monthly = _monthly_query(plan, month_source)
        [(rows,)] = connection.execute(
            f"COPY ({monthly}) TO {sql_string(str(table_dir))} "
            f"(FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({MONTH_COLUMN}), FILENAME_PATTERN 'part-{{i}}', "
            "OVERWRITE_OR_IGNORE true)",
            _used(monthly, parameters),
        ).fetchall()
    if csv:
        columns = [(c.name, types[c.name]) for c in plan.columns]
        write_csv(connection, query, used, columns, table_dir / f"{plan.table}.csv")
    files = sorted(p for p in table_dir.rglob("*") if p.is_file())
    return TableEntry(
        name=plan.table,
        rows=rows,
        row_scope=plan.rows,
        contract_version=plan.contract_version,
        columns=tuple(ColumnEntry(c.name, types[c.name], c.treatment) for c in plan.columns),
        files=tuple(file_entry(folder, p) for p in files),
    )


def _monthly_query(plan: TablePlan, month_source: str) -> str:
    """The table's query with the month of `month_source` added, for PARTITION_BY.

    The month is computed from the warehouse column, so a department that is not granted
    `occurred_at` still gets its events split by month; DuckDB leaves the partition
    column itself out of the files.
    """
    month = (
        f"coalesce(strftime(timezone($city_timezone, {quoted(month_source)}), '%Y-%m'), 'unknown')"
    )
    return plan.select_sql(extra=(f"{month} AS {quoted(MONTH_COLUMN)}",))


def _used(query: str, parameters: Mapping[str, object]) -> dict[str, object]:
    # DuckDB refuses parameters a statement does not use.
    names = set(_PARAMETER.findall(query))
    return {name: value for name, value in parameters.items() if name in names}


def _building_folder(target: Location, publication_id: str) -> Path:
    """Where the publication is built: beside a local target (to be renamed into place), or,
    for a target in object storage, in a local temporary folder (to be uploaded)."""
    if is_remote(target):
        return Path(tempfile.mkdtemp(prefix=f"safecity-{target.name}-{publication_id}-"))
    _recover(target)
    building = target.with_name(f".{target.name}.{publication_id}.tmp")
    building.mkdir(parents=True)
    return building


def _swap_in(built: Path, target: Path) -> None:
    retired = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
    if target.exists():
        os.rename(target, retired)
    try:
        os.rename(built, target)
    except BaseException:
        if retired.exists():
            os.rename(retired, target)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _recover(target: Path) -> None:
    """Clear what an interrupted publication left beside `target`.

    A crash between the two renames of `_swap_in` leaves the previous publication under
    its retired name and no `target`: put it back. Half-built folders are removed.
    """
    if not target.parent.is_dir():
        return
    leftovers = sorted(target.parent.glob(f".{target.name}.*"), key=lambda p: p.stat().st_mtime)
    retired = [p for p in leftovers if p.name.endswith(".old")]
    if not target.exists() and retired:
        os.rename(retired.pop(), target)
    for path in leftovers:
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)
