"""The run's log file takes everything printed while a run captures output, children's output too;
the console keeps only what the run writes to it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from pipelines.lib.progress import parse_progress, progress_message
from pipelines.lib.run_log import RunLog


def test_output_of_the_process_and_its_children_goes_to_the_log(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import subprocess, sys, warnings
        from pathlib import Path
        from pipelines.lib.run_log import RunLog

        log = RunLog(Path({str(tmp_path / "logs")!r}))
        with log.capture_output() as console:
            print("python print")
            warnings.warn("a library warning")
            subprocess.run([sys.executable, "-c", "print('a child process')"], check=True)
            console.write("progress for the person\\n")
        log.write("a line of the runner")
        log.close()
        print("after the run: " + log.path.name)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    (log,) = (tmp_path / "logs").iterdir()
    assert result.stdout.splitlines() == ["progress for the person", f"after the run: {log.name}"]
    assert result.stderr == ""
    text = log.read_text(encoding="utf-8")
    for line in ("python print", "a library warning", "a child process", "a line of the runner"):
        assert line in text


def test_log_files_are_named_by_utc_time_and_never_overwritten(tmp_path: Path) -> None:
    moment = datetime(2026, 12, 3, 8, 0, 5, tzinfo=UTC)
    first, second = RunLog(tmp_path, now=moment), RunLog(tmp_path, now=moment)
    assert (first.path.name, second.path.name) == (
        "run-20261203T080005Z.log",
        "run-20261203T080005Z-2.log",
    )
    first.close()
    second.close()


def test_steps_report_progress_in_their_log_lines() -> None:
    line = progress_message(3, 30, "air_quality_hourly_20261003.csv: 967 rows")
    assert line == "[3/30] air_quality_hourly_20261003.csv: 967 rows"
    assert parse_progress(line) == (3, 30, "air_quality_hourly_20261003.csv: 967 rows")
    assert parse_progress("no delivery for 2026-10-03") is None
    assert parse_progress(None) is None
