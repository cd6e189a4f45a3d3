"""When each dbt step of the warehouse last started a build that succeeded.

    started = time.time()
    since = earliest_day_written_after(bronze_files, last_start(paths, "dbt_mentions"))
    ...  # dbt build
    record_start(paths, "dbt_mentions", started)   # only once it succeeded

A daily build rebuilds the delivery days whose bronze partitions were written after the last
successful build of its step started (SAFECITY_REPROCESS_SINCE, macro `delivery_days_to_build`).
The start, not the end: a partition written while a build ran may or may not have been read by
it, so the next build takes it again. A build that failed records nothing, so the next one
takes everything written since the last one that succeeded. Data directories built before this
record existed fall back to the warehouse file's modification time.

The record is `<data dir>/warehouse_builds.json`, {step: start as Unix seconds}, written
atomically; one that cannot be read counts as absent.
"""

from __future__ import annotations

import json
from contextlib import suppress

from pipelines.lib.atomic import write_text_atomic
from pipelines.lib.data_dir import DataDir


def last_start(paths: DataDir, step: str) -> float | None:
    """When the last successful build of `step` started; else the warehouse file's modification
    time; None when the warehouse was never built."""
    if not paths.warehouse.exists():
        return None
    started = _starts(paths).get(step)
    return started if started is not None else paths.warehouse.stat().st_mtime


def record_start(paths: DataDir, step: str, started: float) -> None:
    write_text_atomic(
        paths.warehouse_builds,
        json.dumps({**_starts(paths), step: started}, indent=2, sort_keys=True) + "\n",
    )


def _starts(paths: DataDir) -> dict[str, float]:
    with suppress(OSError, ValueError):
        document = json.loads(paths.warehouse_builds.read_text(encoding="utf-8"))
        if isinstance(document, dict):
            return {
                str(step): float(started)
                for step, started in document.items()
                if isinstance(started, int | float)
            }
    return {}
