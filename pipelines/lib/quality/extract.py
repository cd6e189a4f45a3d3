"""A department's published extract, read the way its quality suites need it.

Layout (written by the publishing stage): `extracts/<department>/manifest.json` and
one folder per table, `<table>/**/*.parquet` (fct_event by `month=YYYY-MM`, others
one or more files). Of the manifest only `tables` -> `rows` and `columns` (name,
treatment) are read: the rest (hashes, build time, policy) is the publisher's and
the department's business, checked by the manifest check, not here. The extract
may be in object storage (`SAFECITY_EXTRACTS_ROOT=s3://...`): its files are then read
through the file system of its `upath.UPath`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.lib.storage import Location, is_remote

MANIFEST = "manifest.json"

Treatment = Literal["clear", "masked", "pseudonymised"]
TREATMENTS: tuple[str, ...] = ("clear", "masked", "pseudonymised")


class ManifestError(Exception):
    """The manifest cannot be read as tables and columns."""


@dataclass(frozen=True)
class PublishedColumn:
    name: str
    treatment: Treatment


@dataclass(frozen=True)
class PublishedTable:
    name: str
    columns: tuple[PublishedColumn, ...]
    rows: int | None  # as the manifest states it, when it does

    def treatment_of(self, column: str) -> Treatment | None:
        return next((c.treatment for c in self.columns if c.name == column), None)


@dataclass(frozen=True)
class ExtractManifest:
    path: Location
    tables: dict[str, PublishedTable]


def read_manifest(extract_dir: Location) -> ExtractManifest:
    """The tables of `extract_dir/manifest.json`; a ManifestError names what is unreadable."""
    path = extract_dir / MANIFEST
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ManifestError(f"{path}: not readable as JSON ({error})") from error
    if not isinstance(document, Mapping):
        raise ManifestError(f"{path}: not a JSON object")
    raw_tables = document.get("tables")
    # `tables` is an object keyed by table name; a list of objects with a `name` is read too.
    if isinstance(raw_tables, list):
        raw_tables = {str(t.get("name")): t for t in raw_tables if isinstance(t, Mapping)}
    if not isinstance(raw_tables, Mapping):
        raise ManifestError(
            f"{path}: `tables` must be an object of table name -> {{columns, rows}}"
        )
    tables = {name: _table(path, str(name), entry) for name, entry in sorted(raw_tables.items())}
    return ExtractManifest(path=path, tables=tables)


def _table(path: Location, name: str, entry: Any) -> PublishedTable:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("columns"), list):
        raise ManifestError(f"{path}: tables.{name}: needs a `columns` list")
    columns = []
    for index, column in enumerate(entry["columns"]):
        if isinstance(column, str):
            column = {"name": column}
        if not isinstance(column, Mapping) or not isinstance(column.get("name"), str):
            raise ManifestError(f"{path}: tables.{name}.columns[{index}]: needs a `name`")
        treatment = column.get("treatment", "clear")
        if treatment not in TREATMENTS:
            raise ManifestError(
                f"{path}: tables.{name}.columns[{index}] ({column['name']}): treatment {treatment!r} "
                f"is not one of {', '.join(TREATMENTS)}"
            )
        columns.append(PublishedColumn(name=column["name"], treatment=treatment))
    rows = entry.get("rows")
    return PublishedTable(
        name=name,
        columns=tuple(columns),
        rows=rows if isinstance(rows, int) and not isinstance(rows, bool) else None,
    )


def table_files(extract_dir: Location, table: str) -> list[Location]:
    """The table's Parquet files in a stable order, leaving out hidden (in-progress) files."""
    folder = extract_dir / table
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.rglob("*.parquet")
        if path.is_file()
        and not any(part.startswith(".") for part in path.parts[len(folder.parts) :])
    )


def read_table(extract_dir: Location, table: str, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """One table of the extract as one pandas frame.

    Files are read one by one rather than as a dataset, so that the `month=` folders
    do not add a partition column the department's files do not have. With no file,
    an empty frame of the published `columns`.
    """
    files = table_files(extract_dir, table)
    if not files:
        return pd.DataFrame({name: pd.Series([], dtype=object) for name in columns})
    arrow = pa.concat_tables([_read_parquet(path) for path in files], promote_options="permissive")
    return arrow.to_pandas()


def _read_parquet(path: Location) -> pa.Table:
    if is_remote(path):
        with path.open("rb") as handle:
            return pq.read_table(handle)
    return pq.read_table(path)
