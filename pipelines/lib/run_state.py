"""Whether a `safecity run` has anything to do: the inputs of the last run that completed.

A run that completes without a failure writes `<data dir>/last_complete_run.json`: a fingerprint
of everything a run reads (the inputs) and of what it left behind (the outputs). The next run
compares: when no input changed and no output was touched since, everything the run would build
is already built from the same inputs, and `safecity run` says so and stops in seconds instead
of rebuilding the warehouse, the extracts and the reports from the same data.

The inputs:
- the landing zone: every file's path, size and modification time (a delivery that lands,
  is replaced, touched or removed changes it; its content is not hashed, which on a large city
  would read every delivery again: days_to_ingest also goes by modification times);
- the contracts folder, the dbt project (without its target and logs) and the city profile, by
  content;
- the code: the `pipelines` package by content, the lock file, and the versions of the libraries
  that build (Dagster, dbt, DuckDB, polars, Splink, Great Expectations);
- the settings a run reads (`settings.ENVIRONMENT`, secrets included, kept only as part of one
  hash) and today's date in the city's time zone (the delivery window, and what is overdue).

The outputs: the warehouse, its analytics copy, the lake, the extracts, the reports and the
alerts, by path, size and modification time: a `safecity review` decision (written to the lake),
a run from the UI, or a deleted extract makes the next run build. A lake or extracts in object
storage are not listed, so such a data directory builds on every run.

The marker is deleted before a build starts and written only when the build completed without a
failure, so a run that is killed, fails or is interrupted never leaves a stale "complete" behind.
`safecity run --full-refresh` ignores it.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pipelines
from pipelines.lib import settings
from pipelines.lib.atomic import write_text_atomic
from pipelines.lib.data_dir import DataDir
from pipelines.lib.storage import is_remote

MARKER_NAME = "last_complete_run.json"
FORMAT = 1
# The libraries whose version changes what a run builds.
_LIBRARIES = (
    "dagster",
    "dagster-dbt",
    "dbt-core",
    "dbt-duckdb",
    "duckdb",
    "polars",
    "splink",
    "great-expectations",
)
# Settings that change nothing a run builds: the terminal, the crash tests' pause, telemetry.
_NOT_INPUTS = {
    settings.TERM.name,
    settings.CRASH_TEST_PAUSE.name,
    settings.REPROCESS_SINCE.name,  # the warehouse step's, for dbt
    settings.DAGSTER_HOME.name,
    *(s.name for s in settings.TELEMETRY_OFF),
}
# Folders of the dbt project that dbt writes, not its sources.
_DBT_OUTPUT_FOLDERS = {"target", "logs", "dbt_packages"}
_SKIPPED_NAMES = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
# What the input parts are, for a person: "... unchanged".
INPUT_NAMES = {
    "landing": "landing files",
    "contracts": "contracts",
    "dbt_project": "dbt project",
    "city_profile": "city profile",
    "code": "code and library versions",
    "settings": "settings",
    "day": "the day",
}


@dataclass(frozen=True)
class CompleteRun:
    """What the marker says about the last run that completed."""

    completed_at: str
    run_ids: list[str]
    inputs: dict[str, str]
    outputs: str
    landing_files: int


def marker_path(data_dir: DataDir) -> Path:
    return data_dir.root / MARKER_NAME


def input_fingerprint(data_dir: DataDir, *, city_profile: Path, today: str) -> dict[str, str]:
    """One hash per input a run reads (see the module's docstring)."""
    return {
        "landing": _tree_stats(data_dir.landing),
        "contracts": _tree_contents(settings.contracts_dir()),
        "dbt_project": dbt_project_digest(),
        "city_profile": _file_contents(city_profile),
        "code": code_digest(),
        "settings": _settings_digest(),
        "day": today,
    }


def dbt_project_digest() -> str:
    """The dbt project's own files, not what dbt writes into it."""
    return _tree_contents(settings.dbt_project_dir(), skip=_DBT_OUTPUT_FOLDERS)


def today_in(time_zone: str, now: datetime | None = None) -> str:
    """Today as the city counts days: a new day moves the delivery window and what is overdue."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(time_zone)).date().isoformat()


def landing_file_count(data_dir: DataDir) -> int:
    return sum(len(files) for _, _, files in os.walk(data_dir.landing))


def output_fingerprint(data_dir: DataDir) -> str | None:
    """A hash of what runs leave behind; None when part of it is in object storage."""
    if is_remote(data_dir.lake) or is_remote(data_dir.extracts):
        return None
    paths: list[Path] = [
        data_dir.warehouse,
        data_dir.analytics,
        Path(data_dir.lake),
        Path(data_dir.extracts),
        data_dir.reports,
        data_dir.alerts,
    ]
    digest = hashlib.sha256()
    for path in paths:
        digest.update(_bytes(f"{path}\0"))
        if path.is_dir() and not path.is_symlink():
            digest.update(_bytes(_tree_stats(path)))
        else:
            digest.update(_bytes(_entry(path)))
    return digest.hexdigest()


def forget(data_dir: DataDir) -> None:
    """A build starts (or something changed what the last one built): no run is complete now."""
    marker_path(data_dir).unlink(missing_ok=True)


def record(
    data_dir: DataDir, inputs: Mapping[str, str], run_ids: Iterable[str], landing_files: int
) -> bool:
    """The build completed without a failure: remember its inputs and what it left. False when
    the outputs cannot be listed (object storage): nothing is recorded, every run builds."""
    outputs = output_fingerprint(data_dir)
    if outputs is None:
        return False
    content = {
        "format": FORMAT,
        "completed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_ids": list(run_ids),
        "inputs": dict(inputs),
        "outputs": outputs,
        "landing_files": landing_files,
    }
    write_text_atomic(marker_path(data_dir), json.dumps(content, indent=2) + "\n")
    return True


def last_complete_run(data_dir: DataDir) -> CompleteRun | None:
    """The marker, or None when there is none or it cannot be read (then the run builds)."""
    try:
        content: Any = json.loads(marker_path(data_dir).read_text("utf-8"))
        if content.get("format") != FORMAT:
            return None
        return CompleteRun(
            completed_at=str(content["completed_at"]),
            run_ids=[str(run_id) for run_id in content["run_ids"]],
            inputs={str(k): str(v) for k, v in content["inputs"].items()},
            outputs=str(content["outputs"]),
            landing_files=int(content["landing_files"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def changes_since(
    last: CompleteRun | None, inputs: Mapping[str, str], data_dir: DataDir
) -> list[str]:
    """What changed since the last complete run, for a person; empty when nothing did."""
    if last is None:
        return ["no complete run recorded"]
    changed = [
        f"{INPUT_NAMES.get(name, name)} changed"
        for name in sorted(inputs.keys() | last.inputs.keys())
        if inputs.get(name) != last.inputs.get(name)
    ]
    if output_fingerprint(data_dir) != last.outputs:
        changed.append(
            "what the last run built changed since (warehouse, lake, extracts or reports)"
        )
    return changed


# --- hashing ----------------------------------------------------------------------------------


def _bytes(text: str) -> bytes:
    """Paths as the bytes the file system holds them: a landed file's name that is not UTF-8
    (Python keeps those bytes as surrogates) must not stop the run before ingestion names it."""
    return text.encode("utf-8", "surrogateescape")


def _entry(path: Path) -> str:
    """A file's size and modification time (or its kind), without following a link."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return "missing"
    if stat.S_ISREG(info.st_mode):
        return f"{info.st_size}:{info.st_mtime_ns}"
    if stat.S_ISLNK(info.st_mode):
        return f"link:{os.readlink(path)}"
    return f"mode:{stat.S_IFMT(info.st_mode)}"


def _walk(root: Path, skip: AbstractSet[str] = frozenset()) -> list[Path]:
    """Every entry under `root`, sorted, links not followed; names in `skip` left out."""
    entries: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skip and d not in _SKIPPED_NAMES)
        base = Path(folder)
        for name in [*dirs, *sorted(files)]:
            entries.append(base / name)
    return sorted(entries)


def _tree_stats(root: Path) -> str:
    digest = hashlib.sha256()
    for path in _walk(root):
        digest.update(_bytes(f"{path.relative_to(root)}\0{_entry(path)}\0"))
    return digest.hexdigest()


def _tree_contents(root: Path, skip: AbstractSet[str] = frozenset()) -> str:
    digest = hashlib.sha256()
    for path in _walk(root, skip):
        digest.update(_bytes(f"{path.relative_to(root)}\0"))
        if path.is_file() and not path.is_symlink():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        else:
            digest.update(_bytes(_entry(path)))
    return digest.hexdigest()


def _file_contents(path: Path) -> str:
    try:
        return f"{path}:{hashlib.sha256(path.read_bytes()).hexdigest()}"
    except OSError:
        return f"{path}:missing"


def code_digest() -> str:
    """The pipeline's code, the lock file and the versions of the libraries a build depends on."""
    package = Path(pipelines.__file__).parent
    digest = hashlib.sha256(_bytes(_tree_contents(package)))
    # The lock file by content alone: the same commit checked out elsewhere is the same code
    # (the linkage pair store keys on this digest, and would rescore every pair after a move).
    lock = package.parent / "uv.lock"
    digest.update(lock.read_bytes() if lock.is_file() else b"no lock file")
    for library in _LIBRARIES:
        try:
            version = metadata.version(library)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(_bytes(f"{library}=={version}\0"))
    return digest.hexdigest()


def _settings_digest() -> str:
    digest = hashlib.sha256()
    for setting in settings.ENVIRONMENT:
        if setting.name not in _NOT_INPUTS:
            digest.update(_bytes(f"{setting.name}={settings.value(setting)}\0"))
    return digest.hexdigest()
