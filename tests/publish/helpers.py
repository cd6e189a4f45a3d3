"""Helpers for the publishing tests: a key of their own, and every value an extract holds, as text."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.lib.publish.pseudonym import PseudonymKey

TEST_KEY = PseudonymKey(b"tests/publish: a key for one test only")


def text_values(folder: Path) -> Iterator[tuple[str, str]]:
    """(file relative to `folder`, value) for every non-null value of every file."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            for column in table.columns:
                if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
                    column = pc.cast(column, pa.string())
                for value in column.to_pylist():
                    if value is not None:
                        yield relative, value
        elif path.suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                for row in csv.reader(handle):
                    for cell in row:
                        yield relative, cell
        else:
            # Anything else (the manifest) is scanned as it is, whole.
            yield relative, path.read_text(encoding="utf-8")


def parquet_table(folder: Path, table: str) -> pa.Table:
    """One table of an extract, all its Parquet files (the month folders are not a column)."""
    files = sorted((folder / table).rglob("*.parquet"))
    return pa.concat_tables([pq.read_table(f, partitioning=None) for f in files])
