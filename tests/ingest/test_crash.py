"""Killing an ingestion part-way leaves the lake as it was; re-running gives the clean result."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines.lib.ingest.lake import PAUSE_BEFORE_COMMIT

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


def ingest(root: Path, pause: float | None = None) -> subprocess.Popen:
    env = {**os.environ}
    env.pop(PAUSE_BEFORE_COMMIT, None)
    if pause is not None:
        env[PAUSE_BEFORE_COMMIT] = str(pause)
    return subprocess.Popen([sys.executable, "-c", INGEST_ONE_DAY, str(root)], env=env)


def lake_state(root: Path) -> dict[str, str]:
    """What a reader of the lake sees: every Parquet file and its content."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / "lake").rglob("*.parquet"))
    }


def test_kill_during_write_leaves_lake_unchanged_and_rerun_recovers(tiny_city, tmp_path):
    root = tmp_path / "city"
    shutil.copytree(tiny_city, root)
    assert ingest(root).wait(timeout=120) == 0
    before = lake_state(root)
    partition = root / "lake" / "bronze" / FEED[0] / FEED[1] / f"date={DAY}"
    assert (partition / "part-0.parquet").exists()

    # The department re-sends the day with half its rows: a re-run would change the partition.
    landing = root / "landing" / FEED[0] / FEED[1] / f"{FEED[1]}_{DAY.replace('-', '')}.csv"
    lines = landing.read_text(encoding="utf-8").splitlines(keepends=True)
    landing.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")

    writer = ingest(root, pause=60)
    deadline = time.monotonic() + 60
    while not list(partition.glob(".*.tmp")):  # both temporary files written, not yet renamed
        assert writer.poll() is None, "the writer ended before it could be killed"
        assert time.monotonic() < deadline, "the writer never reached its commit"
        time.sleep(0.02)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)

    assert lake_state(root) == before  # readers see the previous partition, whole
    assert list(partition.glob(".*.tmp"))  # the killed writer's leftovers are hidden, not in the lake

    assert ingest(root).wait(timeout=120) == 0
    after = lake_state(root)
    assert not list(partition.glob(".*.tmp"))  # cleaned up by the next writer
    assert after != before
    # The same as ingesting the re-sent day into a lake that never saw a crash.
    clean = tmp_path / "clean"
    shutil.copytree(tiny_city, clean)
    shutil.copy(landing, clean / landing.relative_to(root))
    assert ingest(clean).wait(timeout=120) == 0
    assert lake_state(clean) == after
