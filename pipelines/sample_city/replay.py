"""A sample city's delivery replayed on another day: its window files landed again as today's.

Live sensing is shown and measured on data that arrives now (the latency benchmark, the test of
a window file going through the daemon to its CAP alert), but the sample city is generated for
fixed days. A window file of a generated day is replayed whole days later: its name and every
time in it are moved by the same number of days, so the readings are as they were, only today.

Times are found the way the sample city writes them: dates `YYYY-MM-DD` and `YYYYMMDD` in text
(CSV cells, and the JSON ids that embed them, such as a push's `batchId`), and, in JSON lines,
numbers that are epoch milliseconds or seconds within a day of the source day (the IoT
platforms' `pushTime` and `ts`).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from pipelines.lib.contracts import FeedContract

# Epoch numbers within this margin of the source day are its times (a push received just
# after midnight, a device clock running a little behind).
_MARGIN = timedelta(days=1)


def replay_window(
    contract: FeedContract, source: Path, target_day: date, minute: int, folder: Path
) -> Path:
    """Write `source` (one of the feed's window files) as the window starting `minute` into
    `target_day`, in `folder`; its times moved by whole days (`minute` must be the source's own
    window start: the time of day is kept). Returns the new file."""
    window = contract.landing.window_of(source.name)
    if window is None:
        raise ValueError(f"{source.name}: not a window file of {contract.feed}")
    source_day, source_minute = window
    if minute != source_minute:
        raise ValueError(f"{source.name}: replayed at {minute} min, its window is {source_minute}")
    encoding = contract.landing.encoding
    text = source.read_text(encoding=encoding)
    if contract.landing.format == "jsonl":
        text = _shift_json_lines(text, source_day, target_day)
    text = _shift_dates(text, source_day, target_day)
    target = folder / contract.landing.window_filename(target_day, minute)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding=encoding)
    return target


def replay_up_to(
    contract: FeedContract, landed: Path, source_day: date, now: datetime, count: int, folder: Path
) -> list[Path]:
    """The feed's last `count` windows up to the one open at `now` (a datetime in the city's
    zone), oldest first: each the window of `source_day` (in `landed`, the feed's landing
    folder) at that time of day, replayed onto its own day, yesterday's for windows before
    midnight."""
    step = contract.landing.window_minutes
    if step is None:
        raise ValueError(f"{contract.feed} is not delivered in windows")
    current = now.replace(minute=now.minute // step * step, second=0, microsecond=0)
    replayed = []
    for k in range(count - 1, -1, -1):
        start = current - timedelta(minutes=step * k)
        minute = start.hour * 60 + start.minute
        source = landed / contract.landing.window_filename(source_day, minute)
        replayed.append(replay_window(contract, source, start.date(), minute, folder))
    return replayed


def _shift_dates(text: str, source_day: date, target_day: date) -> str:
    for pattern in ("%Y-%m-%d", "%Y%m%d"):
        text = text.replace(source_day.strftime(pattern), target_day.strftime(pattern))
    return text


def _shift_json_lines(text: str, source_day: date, target_day: date) -> str:
    start = datetime.combine(source_day, time(), UTC) - _MARGIN
    end = datetime.combine(source_day, time(), UTC) + timedelta(days=1) + _MARGIN
    shift = target_day - source_day
    # (lowest, highest, per second) of the source day's epoch numbers: milliseconds, seconds.
    units = [
        (int(start.timestamp() * 1000), int(end.timestamp() * 1000), 1000),
        (int(start.timestamp()), int(end.timestamp()), 1),
    ]

    def moved(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: moved(item) for key, item in value.items()}
        if isinstance(value, list):
            return [moved(item) for item in value]
        if isinstance(value, int) and not isinstance(value, bool):
            for low, high, per_second in units:
                if low <= value <= high:
                    return value + int(shift.total_seconds()) * per_second
        return value

    lines = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:  # a blank or broken line is delivered as it was
            lines.append(line)
            continue
        lines.append(json.dumps(moved(record), ensure_ascii=False, separators=(",", ":")))
    return "".join(f"{line}\n" for line in lines)
