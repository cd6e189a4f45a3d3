"""Helpers for the publishing tests: a key of their own, every value an extract holds, as text, and
files read, copied and compared wherever the extract is (a local folder, or S3)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.lib.publish.pseudonym import PseudonymKey
from pipelines.lib.storage import Location, is_remote, relative_files

TEST_KEY = PseudonymKey(b"tests/publish: a key for one test only")

# What a scan for personal data looks for in a text (overlapping: every window of the length).
IDENTITY_NUMBER = re.compile(r"(?=(\d{17}[\dX]))")
PHONE = re.compile(r"(?=(1\d{10}))")


def text_outside_persons(analytics: Path) -> set[str]:
    """Every text value of the warehouse outside dim_person: organisation names, addresses,
    division names... A two-character name such as 江凯 also occurs inside organisation names
    and addresses that have nothing to do with the person (锦江凯…); a value that is one of
    these is no leak."""
    connection = duckdb.connect(str(analytics), read_only=True)
    try:
        columns = connection.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' AND data_type = 'VARCHAR' AND table_name <> 'dim_person'"
        ).fetchall()
        found: set[str] = set()
        for table, column in columns:
            found.update(
                v
                for (v,) in connection.execute(
                    f'SELECT DISTINCT "{column}" FROM "{table}"'
                ).fetchall()
                if v
            )
        return found
    finally:
        connection.close()


def read_arrow(path: Location) -> pa.Table:
    """One Parquet file as it is (no partition column from a `month=` folder)."""
    with path.open("rb") as handle:
        return pq.read_table(handle)


def parquet_rows(path: Location) -> int:
    with path.open("rb") as handle:
        return pq.ParquetFile(handle).metadata.num_rows


def csv_rows(path: Location) -> list[list[str]]:
    """A published CSV's cells, read as a spreadsheet does (UTF-8 with its byte order mark)."""
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def csv_records(path: Location) -> list[dict[str, str]]:
    header, *rows = csv_rows(path)
    return [dict(zip(header, row, strict=True)) for row in rows]


def files_of(folder: Location) -> list[Location]:
    return [folder / relative for relative in relative_files(folder)]


def snapshot(folder: Location) -> dict[str, str]:
    """Every file under `folder` and the SHA-256 of its content."""
    return {
        relative: hashlib.sha256((folder / relative).read_bytes()).hexdigest()
        for relative in relative_files(folder)
    }


def copy_folder(source: Location, target: Location) -> None:
    """A copy of every file of `source` under `target` (what a department received, to tamper with)."""
    for relative in relative_files(source):
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        (target / relative).write_bytes((source / relative).read_bytes())


def received_copy(extract: Location, tmp_path: Path) -> Location:
    """What a department received, copied where a test may tamper with it: into `tmp_path`
    for a local extract, under a prefix of its own beside the extracts for one in S3."""
    if is_remote(extract):
        target = extract.parent.parent / f"received-{uuid.uuid4().hex}" / extract.name
    else:
        target = tmp_path / extract.name
    copy_folder(extract, target)
    return target


def text_values(folder: Location) -> Iterator[tuple[str, str]]:
    """(file relative to `folder`, value) for every non-null value of every file."""
    for path in files_of(folder):
        relative = path.relative_to(folder).as_posix()
        if path.suffix == ".parquet":
            table = read_arrow(path)
            for column in table.columns:
                if not pa.types.is_string(column.type) and not pa.types.is_large_string(
                    column.type
                ):
                    column = pc.cast(column, pa.string())
                for value in column.to_pylist():
                    if value is not None:
                        yield relative, value
        elif path.suffix == ".csv":
            for row in csv_rows(path):
                for cell in row:
                    yield relative, cell
        else:
            # Anything else (the manifest) is scanned as it is, whole.
            yield relative, path.read_text(encoding="utf-8")


def parquet_table(folder: Location, table: str) -> pa.Table:
    """One table of an extract, all its Parquet files (the month folders are not a column)."""
    files = [f for f in files_of(folder / table) if f.suffix == ".parquet"]
    return pa.concat_tables([read_arrow(f) for f in files])
