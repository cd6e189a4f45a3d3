"""The log file of one `safecity run`: everything the console is spared.

dbt's own output, Dagster's events, every step's log lines (a line per delivery file),
warnings from libraries and the full figures of every asset and check go to
`<data dir>/logs/run-<UTC time>.log`; the console shows progress and a summary that
names this file.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO


class RunLog:
    """A new log file in `folder`, named by the UTC time it was opened."""

    def __init__(self, folder: Path, now: datetime | None = None) -> None:
        opened = (now or datetime.now(UTC)).astimezone(UTC)
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"run-{opened:%Y%m%dT%H%M%SZ}"
        path = folder / f"{stem}.log"
        number = 1
        while path.exists():  # two runs in one second keep a file each
            number += 1
            path = folder / f"{stem}-{number}.log"
        self.path = path
        self._file = path.open("a", encoding="utf-8")

    def write(self, text: str) -> None:
        self._file.write(text if text.endswith("\n") else text + "\n")
        self._file.flush()

    @property
    def stream(self) -> TextIO:
        """The file itself, for writers that take a stream."""
        return self._file

    def close(self) -> None:
        self._file.close()

    @contextlib.contextmanager
    def capture_output(self) -> Iterator[TextIO]:
        """Send whatever this process and its children print to the log; yield the console.

        At the level of file descriptors where the streams have them, so output written by
        subprocesses (dbt) and by C libraries lands in the log too, not only Python's.
        """
        try:
            descriptors = sys.stdout.fileno() == 1 and sys.stderr.fileno() == 2
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            descriptors = False
        if not descriptors:
            # Streams replaced in-process (a test capturing output): redirect them only.
            console = sys.stdout
            with contextlib.redirect_stdout(self._file), contextlib.redirect_stderr(self._file):
                yield console
            return

        sys.stdout.flush()
        sys.stderr.flush()
        saved_out, saved_err = os.dup(1), os.dup(2)
        console = os.fdopen(
            os.dup(saved_out), "w", encoding=sys.stdout.encoding or "utf-8", errors="replace"
        )
        try:
            os.dup2(self._file.fileno(), 1)
            os.dup2(self._file.fileno(), 2)
            yield console
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            console.close()
