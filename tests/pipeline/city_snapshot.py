"""What a `safecity run` built, in figures two builds of one city can be compared by, and a run
started as a process of its own that can be killed when it reaches a step.

Shared by tests/pipeline/test_killed_runs.py and benchmarks/kill_runs.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

# Fields of an extract's manifest.json that differ between two clean runs of the same city: which
# publication it is and when it was built. Everything else (rows, files and their sha256) is the
# data, and must be equal.
RUN_FIELDS = {"publication_id", "built_at"}


@dataclass(frozen=True)
class CitySnapshot:
    bronze: dict[str, int]  # "department/feed" -> rows
    quarantine: dict[str, int]
    warehouse: dict[str, int]  # "schema.table" of the analytics copy -> rows
    extracts: dict[str, object]  # department -> its manifest.json without RUN_FIELDS


def snapshot(root: Path) -> CitySnapshot:
    return CitySnapshot(
        bronze=_lake_rows(root / "lake" / "bronze"),
        quarantine=_lake_rows(root / "lake" / "quarantine"),
        warehouse=_table_rows(root / "analytics.duckdb"),
        extracts={
            manifest.parent.name: _without_run_fields(json.loads(manifest.read_text("utf-8")))
            for manifest in sorted((root / "extracts").glob("*/manifest.json"))
        },
    )


def differences(expected: CitySnapshot, got: CitySnapshot) -> list[str]:
    """One line per difference; empty when both builds are the same."""
    lines = []
    for part in ("bronze", "quarantine", "warehouse"):
        want, have = getattr(expected, part), getattr(got, part)
        for name in sorted(want.keys() | have.keys()):
            if want.get(name) != have.get(name):
                lines.append(f"{part} {name}: {want.get(name)} rows expected, {have.get(name)}")
    for department in sorted(expected.extracts.keys() | got.extracts.keys()):
        want_files = _files(expected.extracts.get(department))
        have_files = _files(got.extracts.get(department))
        for path in sorted(want_files.keys() | have_files.keys()):
            if want_files.get(path) != have_files.get(path):
                lines.append(f"extract {department} {path}: content differs")
        if expected.extracts.get(department) != got.extracts.get(department) and not any(
            line.startswith(f"extract {department} ") for line in lines
        ):
            lines.append(f"extract {department}: manifest differs")
    return lines


def _lake_rows(folder: Path) -> dict[str, int]:
    rows = {}
    for feed in sorted(p for p in folder.glob("*/*") if p.is_dir()):
        files = sorted(feed.glob("date=*/*.parquet"))
        if not files:
            continue
        paths = ", ".join(f"'{f}'" for f in files)
        with duckdb.connect() as connection:
            row = connection.execute(f"select count(*) from read_parquet([{paths}])").fetchone()
        rows[f"{feed.parent.name}/{feed.name}"] = int(row[0]) if row else 0
    return rows


def _table_rows(database: Path) -> dict[str, int]:
    if not database.is_file():
        return {}
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        rows = {}
        for schema, table in tables:
            row = connection.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
            rows[f"{schema}.{table}"] = int(row[0]) if row else 0
    return rows


def _without_run_fields(manifest: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in manifest.items() if key not in RUN_FIELDS}


def _files(manifest: object) -> dict[str, str]:
    """Every file a manifest lists (tables' parts and reports) -> its sha256."""
    if not isinstance(manifest, dict):
        return {}
    files = {}
    for table in (manifest.get("tables") or {}).values():
        for entry in table.get("files", []):
            files[entry["path"]] = entry["sha256"]
    for entry in manifest.get("reports") or []:
        files[entry["path"]] = entry["sha256"]
    return files


class RunProcess:
    """`safecity run --data-dir ROOT` as a user starts it, in a process of its own."""

    def __init__(self, root: Path, home: Path, output: Path) -> None:
        env = {**os.environ, "HOME": str(home)}
        env.pop("DAGSTER_HOME", None)
        self.root = root
        self.started = time.time()
        self.output = output
        self._out = output.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "run", "--data-dir", str(root)],
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_for_step(self, step: re.Pattern[str], timeout: float = 600) -> str:
        """Wait until the run's log says a step matching `step` started; return its key."""
        deadline = time.monotonic() + timeout
        started = re.compile(r"^\S+ \S+\s+(\S+) STEP_START ", re.MULTILINE)
        while time.monotonic() < deadline:
            for key in started.findall(self.log_text()):
                if step.fullmatch(key):
                    return key
            if self.process.poll() is not None:
                raise AssertionError(f"the run ended before {step.pattern}: {self.text()}")
            time.sleep(0.2)
        raise AssertionError(f"no step {step.pattern} started in {timeout:.0f}s: {self.text()}")

    def log_text(self) -> str:
        logs = [
            p for p in (self.root / "logs").glob("run-*.log") if p.stat().st_mtime >= self.started
        ]
        return max(logs).read_text("utf-8", errors="replace") if logs else ""

    def kill(self, signal_number: int) -> int:
        self.process.send_signal(signal_number)
        return self.wait()

    def wait(self, timeout: float | None = 900) -> int:
        code = self.process.wait(timeout)  # reaped: a killed run is gone, not a zombie
        self._out.close()
        return code

    def text(self) -> str:
        return self.output.read_text("utf-8", errors="replace")
