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

A part of a table (its Parquet file, its CSV, a month of events) whose rows are those it was
last published with is carried over from the publication in place rather than written again
(reuse.py): a daily run writes what changed. One that another department receives alike is
written once and linked into both (shared_parts.py).

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
from pipelines.lib.publish.reuse import LastPublication, Part, content_digest, save_state
from pipelines.lib.publish.shared_parts import PartStore, referenced_digests
from pipelines.lib.publish.spreadsheet_csv import write_csv
from pipelines.lib.sql_names import quoted
from pipelines.lib.storage import Location, is_remote, mirror_folder, remove_folder

# Tables split into one folder per month of this timestamp column: a department that
# keeps a history replaces or adds a month rather than one file that grows forever.
MONTHLY: dict[str, str] = {"fct_event": "occurred_at"}
MONTH_COLUMN = "month"
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd"
_PARAMETER = re.compile(r"\$([a-z_]+)")


class PublishError(Exception):
    """The analytics copy is missing, or does not hold what the policy grants."""


@dataclass(frozen=True)
class PublishedTable:
    name: str
    rows: int
    files: int
    bytes: int
    carried: int  # files carried over unchanged from the last publication
    shared: int  # files written for another department alike, linked in


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

    @property
    def carried(self) -> int:
        return sum(t.carried for t in self.tables)

    @property
    def shared(self) -> int:
        return sum(t.shared for t in self.tables)


def publish_department(
    paths: DataDir,
    policy: SharingPolicy,
    grant: DepartmentGrant,
    contracts: Mapping[str, TableContract],
    *,
    key: PseudonymKey | None = None,
    now: datetime | None = None,
    rewrite_all: bool = False,
) -> Publication:
    """Write the department's extract and its audit row; returns what was published.

    `key` defaults to `$SAFECITY_PSEUDONYM_KEY`, read only when a column is pseudonymised.
    Parts of tables unchanged since the last publication are carried over, not written
    (reuse.py), unless `rewrite_all`.
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
    state_file = paths.extract_state(grant.department)
    last = LastPublication.load(target, state_file, rewrite_all=rewrite_all)
    store = PartStore(paths.extract_parts, reuse=not rewrite_all)
    try:
        parameters = {
            "department": grant.department,
            # Months as the city's departments count them, in its time zone.
            "city_timezone": city_profile(paths.root).timezone,
            **(key.sql_parameters() if key else {}),
        }
        connection = connect(str(paths.analytics), read_only=True)
        try:
            tables = [
                write_table(
                    connection, plan, parameters, building, csv=grant.csv, last=last, store=store
                )
                for plan in plans
            ]
        finally:
            connection.close()
        entries = [table.entry for table in tables]
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
        save_state(state_file, publication_id, [part for t in tables for part in t.parts])
        store.prune(referenced_digests(state_file.parent))
        if is_remote(target):
            carried = [path for table in tables for path in table.carried]
            mirror_folder(building, target, last=MANIFEST, keep=carried)
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
            PublishedTable(
                t.entry.name,
                t.entry.rows,
                len(t.entry.files),
                sum(f.bytes for f in t.entry.files),
                len(t.carried),
                t.shared,
            )
            for t in tables
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
    paths.extract_state(department).unlink(missing_ok=True)
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


@dataclass(frozen=True)
class WrittenTable:
    entry: TableEntry
    parts: tuple[Part, ...]  # what each part was written from, for the next publication
    carried: tuple[str, ...]  # files carried over from the last publication, not written
    shared: int  # files linked in as written for another department alike, not written


def write_table(
    connection: duckdb.DuckDBPyConnection,
    plan: TablePlan,
    parameters: Mapping[str, object],
    folder: Path,
    *,
    csv: bool,
    last: LastPublication,
    store: PartStore,
) -> WrittenTable:
    """Write one table's files into `folder/<table>/`, but for the parts `last` carries over
    and those `store` holds as written for another department alike."""
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
    table = plan.table
    table_dir = folder / table
    table_dir.mkdir()
    month_source = MONTHLY.get(table)
    month = _month_expression(month_source) if month_source else None
    contents = _contents(connection, plan, parameters, month)
    basis = [
        query,
        month,
        PARQUET_OPTIONS,
        sorted(_used(query + (month or ""), parameters).items()),
        types,
    ]
    parquet: dict[str | None, Part]
    if month is None:
        parquet = {
            None: Part(f"{table}/{table}.parquet", content_digest([*basis, contents.get(None)]))
        }
    else:
        parquet = {
            key: Part(f"{table}/{MONTH_COLUMN}={key}/", content_digest([*basis, key, content]))
            for key, content in contents.items()
        }
    csv_part = Part(
        f"{table}/{table}.csv", content_digest([*basis, "csv", sorted(contents.items())])
    )
    parts = [*parquet.values(), *([csv_part] if csv else [])]

    carried: dict[str, list[FileEntry]] = {}  # this department's own, as published
    shared: dict[str, list[FileEntry]] = {}  # written for another department alike
    for part in parts:
        if (entries := last.carry(part, folder)) is not None:
            carried[part.path] = entries
        elif (entries := store.take(part, folder)) is not None:
            shared[part.path] = entries
    done = carried.keys() | shared.keys()
    to_write = [key for key, part in parquet.items() if part.path not in done]
    if month is None and to_write:
        target = table_dir / f"{table}.parquet"
        connection.execute(f"COPY ({query}) TO {sql_string(str(target))} ({PARQUET_OPTIONS})", used)
    elif month is not None:
        # A COPY per month, each ordered: PARTITION_BY writes a month's rows in the order its
        # threads reach them, so the same rows did not always give the same file.
        monthly = plan.select_sql(where=(f"{month} = $month",))
        for key in to_write:
            target = table_dir / f"{MONTH_COLUMN}={key}" / "part-0.parquet"
            target.parent.mkdir()
            connection.execute(
                f"COPY ({monthly}) TO {sql_string(str(target))} ({PARQUET_OPTIONS})",
                _used(monthly, {**parameters, "month": key}),
            )
    if csv and csv_part.path not in done:
        columns = [(c.name, types[c.name]) for c in plan.columns]
        write_csv(connection, query, used, columns, table_dir / f"{table}.csv")

    reused = [entry for entries in (*carried.values(), *shared.values()) for entry in entries]
    reused_paths = {entry.path for entry in reused}
    written = [
        file_entry(folder, p)
        for p in table_dir.rglob("*")
        if p.is_file() and p.relative_to(folder).as_posix() not in reused_paths
    ]
    for part in parts:
        if part.path not in done:
            store.keep(part, folder, [e for e in written if part.holds(e.path)])
    entry = TableEntry(
        name=table,
        rows=sum(rows for rows, _ in contents.values()),
        row_scope=plan.rows,
        contract_version=plan.contract_version,
        columns=tuple(ColumnEntry(c.name, types[c.name], c.treatment) for c in plan.columns),
        files=tuple(sorted([*reused, *written], key=lambda f: f.path)),
    )
    own = sorted(f.path for files in carried.values() for f in files)
    return WrittenTable(entry, tuple(parts), tuple(own), sum(map(len, shared.values())))


def _month_expression(month_source: str) -> str:
    """The month of `month_source` in the city's time zone, as the table is split by it.

    Computed from the warehouse column, so a department that is not granted `occurred_at`
    still gets its events split by month; the month is the folder's name, not a column.
    """
    return (
        f"coalesce(strftime(timezone($city_timezone, {quoted(month_source)}), '%Y-%m'), 'unknown')"
    )


def _contents(
    connection: duckdb.DuckDBPyConnection,
    plan: TablePlan,
    parameters: Mapping[str, object],
    month: str | None,
) -> dict[str | None, tuple[int, int]]:
    """Rows and the sum of their hashes, by month (or under None): what the department would
    receive, in a tenth of the time of writing it."""
    columns = ", ".join(quoted(c.name) for c in plan.columns)
    # Named so that no column can be (a contract's names have no space): a table's own
    # `month` column must not be taken for the part.
    part = '"safecity part"'
    rows = plan.select_sql(extra=(f"{month or 'NULL'} AS {part}",), ordered=False)
    summed = connection.execute(
        f"SELECT {part}, count(*), sum(hash({columns})) FROM ({rows}) GROUP BY 1",
        _used(rows, parameters),
    ).fetchall()
    return {key: (int(count), int(hashes)) for key, count, hashes in summed}


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
