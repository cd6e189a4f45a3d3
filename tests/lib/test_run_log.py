"""The run's log file takes everything printed while a run captures output, children's output too;
the console keeps only what the run writes to it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from pipelines.lib.progress import StepProgress, parse_progress, progress_message
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


def test_a_steps_lines_are_sent_together_and_none_is_lost(monkeypatch) -> None:
    # the times monotonic() gives, call by call (each add looks; each send restarts the wait)
    clock = iter([0.0, 0.2, 0.5, 1.1, 1.1, 1.3, 1.4, 1.4])
    monkeypatch.setattr("pipelines.lib.progress.time.monotonic", lambda: next(clock))
    sent: list[str] = []
    progress = StepProgress(sent.append, every=1.0)  # started at 0.0

    progress.add(1, 4, "a.csv: 1 rows")  # 0.2
    progress.add(2, 4, "b.csv: 2 rows")  # 0.5
    progress.add(3, 4, "c.csv: 3 rows")  # 1.1: a second has passed, the three go
    progress.add(4, 4, "d.csv: 4 rows")  # 1.3: 0.2 s since they went
    progress.flush()  # the end of the step: what is held goes
    progress.flush()  # nothing held: nothing sent

    assert sent == ["[3/4] a.csv: 1 rows\nb.csv: 2 rows\nc.csv: 3 rows", "[4/4] d.csv: 4 rows"]
    assert [parse_progress(line)[:2] for line in sent] == [(3, 4), (4, 4)]
