"""GX validation results kept by what they validated, so an unchanged table is not validated again.

    cache = ValidationCache(paths.quality_validations)
    key = cache.key(contract, published, files, table_dir, code)
    kept = cache.get(key)          # a Kept (rows, GX's own JSON of the result), or None
    cache.put(key, Kept(rows, text))

Great Expectations costs about 0.1 s per table whatever its size (per-expectation overhead), and
the same table content is validated many times over: the tiny city's 13 extracts hold 119 tables
but only 32 distinct ones (`dim_place`, `fct_event` and others reach several departments as the
same files), and a daily run leaves many tables as they were. A result depends on nothing but the
table's files, its suite and the code that derives and runs the suite, so the key is exactly
those: the bytes of every file (hashed as read, not as the manifest claims), the contract and
the manifest's entry the suite is derived from (suites.py is pure), and the code and library
versions (GX's among them). Anything else changed validates again. Since a result is a function
of those bytes, a report built from another department's entry shows nothing (no unexpected value
quoted) that its own extract does not hold.

Entries live in the data directory, beside the reports rather than in them (they are not
published), one JSON file each, written atomically; an entry not used for `KEEP_DAYS` is removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from pipelines.lib.atomic import write_text_atomic
from pipelines.lib.contracts.tables import TableContract
from pipelines.lib.publish.manifest import sha256_file
from pipelines.lib.quality.extract import PublishedTable
from pipelines.lib.storage import Location

KEEP_DAYS = 7


@dataclass(frozen=True)
class Kept:
    rows: int  # the table's rows, which the report shows beside the result
    result: str  # the result as GX's validation results store serialises it


@dataclass(frozen=True)
class ValidationCache:
    folder: Path

    @staticmethod
    def key(
        contract: TableContract,
        published: PublishedTable,
        files: list[Location],
        table_dir: Location,
        code: str,
    ) -> str:
        """What a validation result depends on: the code, the suite's inputs and every file's bytes."""
        digest = hashlib.sha256()
        for part in (code, repr(contract), repr(published)):
            digest.update(part.encode("utf-8") + b"\0")
        for path in files:
            digest.update(str(path).removeprefix(str(table_dir)).encode("utf-8") + b"\0")
            digest.update(sha256_file(path).encode("utf-8") + b"\0")
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> Kept | None:
        entry = self._entry(key)
        try:
            document = json.loads(entry.read_text(encoding="utf-8"))
            kept = Kept(rows=int(document["rows"]), result=str(document["result"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):  # damaged: validate again, and replace it
            return None
        with suppress(OSError):  # used: kept another KEEP_DAYS (unless pruned meanwhile)
            os.utime(entry)
        return kept

    def put(self, key: str, kept: Kept) -> None:
        document = {"rows": kept.rows, "result": kept.result}
        write_text_atomic(self._entry(key), json.dumps(document))

    def prune(self, now: float | None = None) -> int:
        """Remove the entries not used for KEEP_DAYS (and what a stopped writer left); the
        number removed."""
        oldest = (time.time() if now is None else now) - KEEP_DAYS * 86_400
        removed = 0
        for entry in self.folder.iterdir() if self.folder.is_dir() else ():
            try:
                if entry.stat().st_mtime < oldest:
                    entry.unlink()
                    removed += 1
            except FileNotFoundError:  # removed meanwhile by another run's prune
                continue
        return removed
