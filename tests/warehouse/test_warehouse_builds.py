"""The start of each dbt step's last successful build, from which a daily build takes the days written."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.lib.data_dir import DataDir
from pipelines.lib.warehouse_builds import last_start, record_start


def _built(tmp_path: Path, mtime: float) -> DataDir:
    paths = DataDir(tmp_path)
    paths.warehouse.write_bytes(b"")
    os.utime(paths.warehouse, (mtime, mtime))
    return paths


def test_never_built_has_no_start(tmp_path: Path) -> None:
    assert last_start(DataDir(tmp_path), "dbt_mentions") is None


def test_a_recorded_start_is_used_per_step_not_the_warehouse_time(tmp_path: Path) -> None:
    paths = _built(tmp_path, 2_000.0)
    record_start(paths, "dbt_mentions", 1_000.0)
    record_start(paths, "dbt_entities_and_marts", 1_500.0)
    # a partition written at 1,200 s, while the build that ended at 2,000 s ran, is taken again
    assert last_start(paths, "dbt_mentions") == 1_000.0
    assert last_start(paths, "dbt_entities_and_marts") == 1_500.0
    record_start(paths, "dbt_mentions", 3_000.0)
    assert last_start(paths, "dbt_mentions") == 3_000.0
    assert last_start(paths, "dbt_entities_and_marts") == 1_500.0


def test_without_a_record_the_warehouse_time_stands_in(tmp_path: Path) -> None:
    paths = _built(tmp_path, 2_000.0)
    assert last_start(paths, "dbt_mentions") == 2_000.0
    for damaged in ("not json", "[1, 2]", '{"dbt_mentions": "yesterday"}'):
        paths.warehouse_builds.write_text(damaged)
        assert last_start(paths, "dbt_mentions") == 2_000.0
