"""The publication audit log: who received what, which columns, how many rows, under which policy.

Append-only: each publication adds one new Parquet file to `lake/audit/publications/`
(one row per table delivered) and no file is ever rewritten or removed by the pipeline.
A file appears whole or not at all (written to a temporary name, then renamed), and
its name starts with the publication time, so a listing is in publication order.

The publisher writes the audit file before it swaps the extract in: nothing is ever
delivered unrecorded (a failure in between leaves a row for a publication that did not
replace the previous one; its manifest SHA-256 tells them apart).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from pipelines.lib.atomic import atomic_output
from pipelines.lib.storage import Location, read_parquet

SCHEMA: dict[str, pl.DataType] = {
    "publication_id": pl.String(),
    "published_at": pl.Datetime("us", "UTC"),
    "department": pl.String(),
    "table_name": pl.String(),
    "columns": pl.List(pl.Struct({"name": pl.String(), "treatment": pl.String()})),
    "row_scope": pl.String(),
    "rows": pl.Int64(),
    "policy_version": pl.String(),
    "contract_version": pl.String(),
    "manifest_sha256": pl.String(),
}


class AuditError(Exception):
    """The audit log would be rewritten."""


@dataclass(frozen=True)
class AuditRow:
    table_name: str
    columns: tuple[tuple[str, str], ...]  # (name, treatment)
    row_scope: str
    rows: int
    contract_version: str


def append_publication(
    audit_dir: Location,
    *,
    publication_id: str,
    published_at: datetime,
    department: str,
    policy_version: str,
    manifest_sha256: str,
    tables: Sequence[AuditRow],
) -> Location:
    """Write the publication's rows as a new file; returns its path."""
    path = (
        audit_dir
        / f"{published_at.strftime('%Y%m%dT%H%M%S%fZ')}_{department}_{publication_id}.parquet"
    )
    if path.exists():  # the id is unique per publication: never overwrite a record
        raise AuditError(f"{path} already exists: the audit log is append-only")
    frame = pl.DataFrame(
        {
            "publication_id": [publication_id] * len(tables),
            "published_at": [published_at] * len(tables),
            "department": [department] * len(tables),
            "table_name": [t.table_name for t in tables],
            "columns": [[{"name": n, "treatment": tr} for n, tr in t.columns] for t in tables],
            "row_scope": [t.row_scope for t in tables],
            "rows": [t.rows for t in tables],
            "policy_version": [policy_version] * len(tables),
            "contract_version": [t.contract_version for t in tables],
            "manifest_sha256": [manifest_sha256] * len(tables),
        },
        schema=SCHEMA,
    )
    with atomic_output(path) as tmp:
        frame.write_parquet(tmp)
    return path


def read_audit(audit_dir: Location) -> pl.DataFrame:
    """Every publication recorded, oldest first (an empty frame when there is none)."""
    files: list[Location] = sorted(audit_dir.glob("*.parquet")) if audit_dir.is_dir() else []
    if not files:
        return pl.DataFrame(schema=SCHEMA)
    return pl.concat([read_parquet(f) for f in files]).sort(
        "published_at", "department", "table_name"
    )
