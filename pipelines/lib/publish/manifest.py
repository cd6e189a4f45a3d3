"""`manifest.json`: what a department's extract holds, and the check of what it received.

One manifest per department folder, written last into the folder before it is swapped
in. It says who it is for and under which policy and contract versions it was built,
and per table the rows, the columns with their type and treatment, and every file with
its size and SHA-256. `verify_extract` recomputes all of it from the files a department
has, so a changed, missing or added file is found (`safecity verify-extract <dir>`).

The manifest is not signed: it proves the files match it, not who wrote it. The audit
log keeps each manifest's SHA-256, which the platform can confirm on request.

An extract in object storage is verified in place (`verify_extract` takes its
`upath.UPath` as well as a local folder).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pipelines.lib.storage import Location, relative_files

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative to the department folder, with `/`
    bytes: int
    sha256: str


@dataclass(frozen=True)
class ColumnEntry:
    name: str
    type: str
    treatment: str


@dataclass(frozen=True)
class TableEntry:
    name: str
    rows: int
    row_scope: str
    contract_version: str
    columns: tuple[ColumnEntry, ...]
    files: tuple[FileEntry, ...]


def sha256_file(path: Location) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_entry(folder: Path, path: Path) -> FileEntry:
    return FileEntry(
        path=path.relative_to(folder).as_posix(),
        bytes=path.stat().st_size,
        sha256=sha256_file(path),
    )


def manifest_document(
    *,
    department: str,
    purpose: str,
    publication_id: str,
    built_at: str,
    policy_file: str,
    policy_version: str,
    personal: str,
    tables: Sequence[TableEntry],
    reports: Sequence[FileEntry] = (),
) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "department": department,
        "purpose": purpose,
        "publication_id": publication_id,
        "built_at": built_at,
        "policy": {"file": policy_file, "version": policy_version, "personal_data": personal},
        "contract_versions": {table.name: table.contract_version for table in tables},
        "tables": {
            table.name: {
                "rows": table.rows,
                "row_scope": table.row_scope,
                "contract_version": table.contract_version,
                "columns": [
                    {"name": c.name, "type": c.type, "treatment": c.treatment}
                    for c in table.columns
                ],
                "files": [
                    {"path": f.path, "bytes": f.bytes, "sha256": f.sha256} for f in table.files
                ],
            }
            for table in tables
        },
        # Reports every department receives alike (the department quality scorecard).
        "reports": [{"path": f.path, "bytes": f.bytes, "sha256": f.sha256} for f in reports],
    }


def manifest_bytes(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def listed_files(document: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for table in (document.get("tables") or {}).values():
        yield from table.get("files") or []
    yield from document.get("reports") or []


def verify_extract(folder: Location) -> list[str]:
    """Every way the files in `folder` differ from its manifest; empty when they match.

    Checks that each listed file exists with its size and SHA-256, and that no file is
    there the manifest does not list. Problems are sentences naming the file.
    """
    manifest_path = folder / MANIFEST
    if not folder.is_dir():
        return ["no such folder"]
    try:
        document = json.loads(manifest_path.read_text(encoding="utf-8"))
        entries = [
            (str(e["path"]), int(e["bytes"]), str(e["sha256"])) for e in listed_files(document)
        ]
    except FileNotFoundError:
        return [f"{MANIFEST}: missing, so nothing in {folder} can be verified"]
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as error:
        return [f"{MANIFEST}: unreadable ({type(error).__name__}: {error})"]

    problems: list[str] = []
    listed: set[str] = set()
    for relative, size, expected in entries:
        pure = PurePosixPath(relative)
        # A manifest pointing outside the folder would verify files the department never received.
        if pure.is_absolute() or ".." in pure.parts or relative == MANIFEST:
            problems.append(f"{relative}: listed with a path outside the extract")
            continue
        listed.add(relative)
        path = folder / pure
        if not path.is_file():
            problems.append(f"{relative}: missing (listed in the manifest)")
        elif path.stat().st_size != size:
            problems.append(
                f"{relative}: changed ({path.stat().st_size:,} bytes, manifest says {size:,})"
            )
        elif sha256_file(path) != expected:
            problems.append(f"{relative}: changed (SHA-256 differs from the manifest)")
    for relative in relative_files(folder):
        if relative != MANIFEST and relative not in listed:
            problems.append(f"{relative}: not in the manifest (unexpected file)")
    return problems
