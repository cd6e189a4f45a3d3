"""Atomic outputs: a file appears complete or not at all (docs/architecture.md, row accounting).

Writers produce a temporary file in the target's own directory, so the final
`os.replace` is a rename within one file system, which is atomic on POSIX and
Windows. Readers never see a half-written file, and a crash leaves the previous
version in place.

In object storage there is no rename, but an upload (one PUT) appears whole or not at
all: the temporary file is local, and it is uploaded once complete
(pipelines/lib/storage.py).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.lib.storage import Location, is_remote, read_parquet_or_empty, upload_on_success

if TYPE_CHECKING:
    import polars as pl


@contextmanager
def atomic_output(path: Location) -> Iterator[Path]:
    """Yield a temporary local path to write; on success it replaces `path` in one step."""
    if is_remote(path):
        with upload_on_success(path) as tmp_path:
            yield tmp_path
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # A unique hidden name rather than tempfile.mkstemp, whose 0600 mode would
    # survive the rename and hide the output from readers in the same group.
    tmp_path = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        # Only left behind when the writer failed: never publish a partial file.
        tmp_path.unlink(missing_ok=True)


def replace_dir(new: Path, target: Path) -> None:
    """Put the folder `new` where `target` is (same file system); the old one is removed only
    once the new one is in place, so a reader finds one or the other, never a mix."""
    old = target.parent / f".{target.name}.{uuid.uuid4().hex}.old"
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def append_parquet_atomic(path: Location, rows: pl.DataFrame) -> None:
    """Append `rows` to the Parquet table at `path` (created when missing): all of it rewritten in one step."""
    import polars as pl

    table = pl.concat([read_parquet_or_empty(path, rows.schema), rows])
    with atomic_output(path) as tmp_path:
        table.write_parquet(tmp_path)


def write_text_atomic(path: Location, text: str) -> None:
    with atomic_output(path) as tmp_path:
        tmp_path.write_text(text, encoding="utf-8")
