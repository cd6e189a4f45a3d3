"""Progress on the console: one line updated in place on a terminal, a few milestones elsewhere.

A person at a terminal sees one status line that changes as work moves on, and the
milestones that stay. Piped output (CI, `make demo | tee`, tests) gets the milestones
only: a log with a line per file or per dbt model belongs in the run's log file, not
on the console.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from typing import TextIO

from pipelines.lib import settings

_CLEAR_LINE = "\r\x1b[K"  # back to the line's start, erase to its end (any VT100-like terminal)


class Progress:
    """Milestones (kept) and a status line (replaced, shown on a terminal only)."""

    def __init__(self, out: TextIO, *, interactive: bool | None = None) -> None:
        self.out = out
        self.interactive = _is_terminal(out) if interactive is None else interactive
        self.started = time.monotonic()
        self._status = ""

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def milestone(self, text: str) -> None:
        """A line that stays, stamped with the time since the start."""
        self._erase_status()
        self.out.write(f"[{seconds(self.elapsed()):>7}] {text}\n")
        self._draw_status()
        self.out.flush()

    def status(self, text: str) -> None:
        """The line that says what is happening now; ignored when nobody watches it change."""
        if not self.interactive:
            return
        self._erase_status()
        self._status = text
        self._draw_status()
        self.out.flush()

    def close(self) -> None:
        """Take the status line away, so whatever comes next starts on a clean line."""
        self._erase_status()
        self._status = ""
        self.out.flush()

    def _erase_status(self) -> None:
        if self.interactive and self._status:
            self.out.write(_CLEAR_LINE)

    def _draw_status(self) -> None:
        if self.interactive and self._status:
            line = f"[{seconds(self.elapsed()):>7}] {self._status}"
            # Longer than the terminal, it would wrap, and \r would redraw only its last part.
            width = shutil.get_terminal_size((100, 24)).columns - 1
            self.out.write(line if len(line) <= width else line[: width - 1] + "…")


def _is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty() and settings.value(settings.TERM) != "dumb"
    except (AttributeError, ValueError):  # a closed or fake stream
        return False


def seconds(value: float) -> str:
    """'4.2s' under a minute, '3m07s' above."""
    if value < 60:
        return f"{value:.1f}s"
    minutes, rest = divmod(int(value), 60)
    return f"{minutes}m{rest:02d}s"


# A step tells how far it has got by starting a log line with "[done/total] ": the runner
# shows it on the status line, and the whole line goes to the run's log.
_STEP_PROGRESS = re.compile(r"^\[(\d+)/(\d+)\] (.*)$", re.DOTALL)


def progress_message(done: int, total: int, text: str) -> str:
    return f"[{done}/{total}] {text}"


def parse_progress(message: str | None) -> tuple[int, int, str] | None:
    """(done, total, text) of a line made by `progress_message`, else None."""
    found = _STEP_PROGRESS.match(message or "")
    return (int(found[1]), int(found[2]), found[3]) if found else None


class StepProgress:
    """A step's "[done/total]" lines, sent to its log together at most every `every` seconds.

    Each log line is an event Dagster stores: a line per file made 2,520 of them for the 42 feeds
    of 60 days of `large`, 1.5 s of the ingestion. Batched, the run's log keeps every line.
    """

    def __init__(self, log: Callable[[str], None], every: float = 1.0) -> None:
        self.log = log
        self.every = every
        self.lines: list[str] = []
        self.done = self.total = 0
        self.sent = time.monotonic()

    def add(self, done: int, total: int, text: str) -> None:
        self.lines.append(text)
        self.done, self.total = done, total
        if time.monotonic() - self.sent >= self.every:
            self.flush()

    def flush(self) -> None:
        """Send what is held (before another line goes to the log, and at the end)."""
        if self.lines:
            self.log(progress_message(self.done, self.total, "\n".join(self.lines)))
            self.lines = []
        self.sent = time.monotonic()
