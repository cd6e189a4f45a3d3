"""Killing an ingestion part-way leaves the lake as it was; re-running gives the clean result.

With the lake local (temporary files, then renames) and in moto's S3 (local temporary
files, then uploads).
"""

from __future__ import annotations

import hashlib
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.lake import PAUSE_BEFORE_COMMIT, PAUSED_BEFORE_COMMIT
from pipelines.lib.storage import EXTRACTS_ROOT_ENV, LAKE_ROOT_ENV

FEED = ("traffic_police", "traffic_flow")
DAY = "2026-10-02"
INGEST_ONE_DAY = f"""
import sys
from datetime import date
from pathlib import Path
from pipelines.lib.contracts import load_feed_contracts
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import connect
from pipelines.lib.ingest.ingest import ingest_delivery
contract = load_feed_contracts(Path("contracts"))[{FEED!r}]
ingest_delivery(DataDir(Path(sys.argv[1])), contract, date.fromisoformat({DAY!r}), connect())
"""


def writer_tmp(root: Path) -> Path:
    """The writer's temporary folder (where files bound for S3 wait for their upload)."""
    return root.parent / f"{root.name}-tmp"


def ingest(root: Path, pause: float | None = None, *, local_lake: bool = False) -> subprocess.Popen:
    """Ingest the day in a process of its own, the lake where the environment says (or local)."""
    env = {**os.environ, "TMPDIR": str(writer_tmp(root))}
    writer_tmp(root).mkdir(exist_ok=True)
    for name in (PAUSE_BEFORE_COMMIT, *((LAKE_ROOT_ENV, EXTRACTS_ROOT_ENV) if local_lake else ())):
        env.pop(name, None)
    if pause is not None:
        env[PAUSE_BEFORE_COMMIT] = str(pause)
    return subprocess.Popen(
        [sys.executable, "-c", INGEST_ONE_DAY, str(root)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


def ingest_to_the_end(root: Path, *, local_lake: bool = False) -> None:
    writer = ingest(root, local_lake=local_lake)
    _, errors = writer.communicate(timeout=120)
    assert writer.returncode == 0, errors


def wait_until_paused_before_commit(writer: subprocess.Popen, timeout: float = 60) -> None:
    """Both files of the partition are written, neither is renamed or uploaded yet."""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(writer.stderr, selectors.EVENT_READ)
        while True:
            assert time.monotonic() < deadline, "the writer never reached its commit"
            if selector.select(timeout=0.5):
                line = writer.stderr.readline()
                assert line, "the writer ended before it could be killed"
                if line.strip() == PAUSED_BEFORE_COMMIT:
                    return


def lake_state(data: DataDir) -> dict[str, str]:
    """What a reader of the lake sees: every Parquet file and its content."""
    return {
        p.relative_to(data.lake).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data.lake.rglob("*.parquet"))
    }


def test_kill_during_write_leaves_lake_unchanged_and_rerun_recovers(tiny_city, tmp_path, storage):
    root = tmp_path / "city"
    shutil.copytree(tiny_city, root)
    data = storage.data_dir(root)
    ingest_to_the_end(root)
    before = lake_state(data)
    partition = data.bronze / FEED[0] / FEED[1] / f"date={DAY}"
    assert (partition / "part-0.parquet").exists()

    # The department re-sends the day with half its rows: a re-run would change the partition.
    landing = root / "landing" / FEED[0] / FEED[1] / f"{FEED[1]}_{DAY.replace('-', '')}.csv"
    lines = landing.read_text(encoding="utf-8").splitlines(keepends=True)
    landing.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")

    writer = ingest(root, pause=60)
    wait_until_paused_before_commit(writer)
    # Both temporary files are written: beside their targets, or locally until their upload.
    if storage.remote:
        leftovers = list(writer_tmp(root).glob("safecity-upload-*/*"))
    else:
        quarantine = data.quarantine / FEED[0] / FEED[1] / f"date={DAY}"
        leftovers = [*partition.glob(".*.tmp"), *quarantine.glob(".*.tmp")]
    assert len(leftovers) == 2
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)

    assert lake_state(data) == before  # readers see the previous partition, whole
    if not storage.remote:
        assert list(
            partition.glob(".*.tmp")
        )  # the killed writer's leftovers are hidden, not in the lake

    ingest_to_the_end(root)
    after = lake_state(data)
    if not storage.remote:
        assert not list(partition.glob(".*.tmp"))  # cleaned up by the next writer
    assert after != before
    # The same as ingesting the re-sent day into a lake that never saw a crash (local, to compare).
    clean = tmp_path / "clean"
    shutil.copytree(tiny_city, clean)
    shutil.copy(landing, clean / landing.relative_to(root))
    ingest_to_the_end(clean, local_lake=True)
    assert lake_state(DataDir(clean, lake_root=None, extracts_root=None)) == after
