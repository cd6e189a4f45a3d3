"""Parts of extracts written once for every department that receives them alike.

    store = PartStore(paths.extract_parts, reuse=not rewrite_all)
    entries = store.take(part, building)    # as written for another department, or None
    store.keep(part, building)               # after writing it: for the next department

Most tables reach several departments as the same file: `dim_place`, `fct_event`, the
bridges, granted whole with the same columns and treatments (on `large`, 13 departments
receive 139 Parquet and CSV files). A part's digest (reuse.py) is a function of its query,
the query's parameters (the department among them only when the query filters by it),
column types, writer and rows: two departments with the same digest receive the same bytes.
So a part one department wrote is copied into the next department's folder (a copy by the
kernel, not a link: each department's files stay its own) instead of being written again. Nothing can pass from one department to another that the other's own
query would not have written: a different filter, column or treatment is a different query,
so a different digest.

`extract_state/parts/<digest>/` holds each part's files (hard links to the files published,
so no second copy on one file system) and their SHA-256 when written: a file found changed
(a department edited its own copy in place) is not handed on. Entries that no department's
state refers to are removed an hour after they were made (`prune`), which leaves those that
departments publishing side by side have just written.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from pipelines.lib.publish.manifest import FileEntry, file_entry
from pipelines.lib.publish.reuse import Part

SUMS = "SHA256SUMS.json"
KEEP_UNREFERENCED_SECONDS = 3600


@dataclass(frozen=True)
class PartStore:
    folder: Path
    reuse: bool = True  # False: take nothing (a full refresh writes every file), still keep

    def take(self, part: Part, building: Path) -> list[FileEntry] | None:
        """The part's files copied into `building` from the store; their entries, or None."""
        if not self.reuse:
            return None
        entry = self.folder / part.digest
        try:
            sums = json.loads((entry / SUMS).read_text(encoding="utf-8"))
            taken = []
            for name, sha256 in sorted(sums.items()):
                target = building / part.file(name)
                target.parent.mkdir(parents=True, exist_ok=True)
                # A copy, not a link: one department editing its own files in place must
                # not change another's (the kernel copies, nothing is encoded again).
                shutil.copyfile(entry / name, target)
                taken.append(file_entry(building, target))
                if taken[-1].sha256 != sha256:
                    raise ValueError(f"{entry / name} changed since it was written")
        except (OSError, ValueError, TypeError, AttributeError):
            # Not there, pruned meanwhile, or changed: write it.
            part.remove_from(building)
            return None
        return taken

    def keep(self, part: Part, building: Path, entries: list[FileEntry]) -> None:
        """Hand the part's files just written (`entries`, in `building`) on to the store."""
        entry = self.folder / part.digest
        if entry.exists() or not entries:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        making = self.folder / f".{part.digest}.{uuid.uuid4().hex}.tmp"
        making.mkdir()
        try:
            for file in entries:
                os.link(building / file.path, making / part.name_in(file.path))
            sums = {part.name_in(f.path): f.sha256 for f in entries}
            (making / SUMS).write_text(json.dumps(sums, sort_keys=True), encoding="utf-8")
            os.rename(making, entry)
        except OSError:  # kept by a department side by side, or links refused: not kept
            shutil.rmtree(making, ignore_errors=True)

    def prune(self, referenced: set[str], now: float | None = None) -> int:
        """Remove the entries no state refers to, made over an hour ago; the number removed."""
        oldest = (time.time() if now is None else now) - KEEP_UNREFERENCED_SECONDS
        removed = 0
        for entry in self.folder.iterdir() if self.folder.is_dir() else ():
            try:
                if entry.name not in referenced and entry.stat().st_mtime < oldest:
                    shutil.rmtree(entry)
                    removed += 1
            except FileNotFoundError:  # removed meanwhile by a department side by side
                continue
        return removed


def referenced_digests(state_folder: Path) -> set[str]:
    """Every digest a department's state refers to (`extract_state/<department>.json`)."""
    digests: set[str] = set()
    for state in state_folder.glob("*.json"):
        try:
            digests.update(json.loads(state.read_text(encoding="utf-8"))["parts"].values())
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            continue
    return digests
