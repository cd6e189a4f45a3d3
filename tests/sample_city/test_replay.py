"""A window file of a generated day replayed onto another day (pipelines/sample_city/replay.py):
its name and every time in it moved by whole days, nothing else changed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.sample_city.replay import replay_up_to, replay_window

TELEMETRY = FEED_CONTRACTS[("emergency_management", "sensor_telemetry")]
FLOW = FEED_CONTRACTS[("traffic_police", "traffic_flow")]
SOURCE, TARGET = date(2026, 10, 6), date(2026, 12, 5)
SHIFT_MS = (TARGET - SOURCE).days * 86_400_000


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_a_push_is_moved_to_the_target_day_with_its_readings_as_they_were(tmp_path: Path) -> None:
    pushed = _epoch_ms(datetime(2026, 10, 6, 4, 0, 4, tzinfo=UTC))  # 12:00:04 in Chengdu
    push = {
        "msgId": "H20261006120004000144",
        "batchId": "B202610061200",
        "pushTime": pushed,
        "deviceId": "HZ00000001",
        "lng": 104.06,
        "measures": [{"code": "lel", "value": 41.5, "unit": "%LEL", "ts": pushed - 4000}],
    }
    broken = '{"msgId": "H1", "pushTime": '  # a line the platform cut off stays as it was
    source = tmp_path / "landed" / TELEMETRY.landing.window_filename(SOURCE, 720)
    source.parent.mkdir()
    source.write_text(json.dumps(push) + "\n" + broken + "\n", encoding="utf-8")

    replayed = replay_window(TELEMETRY, source, TARGET, 720, tmp_path / "replayed")

    assert replayed.name == "sensor_telemetry_20261205_1200.jsonl"
    first, second = replayed.read_text(encoding="utf-8").splitlines()
    assert json.loads(first) == {
        **push,
        "msgId": "H20261205120004000144",
        "batchId": "B202612051200",
        "pushTime": pushed + SHIFT_MS,
        "measures": [
            {"code": "lel", "value": 41.5, "unit": "%LEL", "ts": pushed - 4000 + SHIFT_MS}
        ],
    }
    assert second == broken


def test_a_csv_window_is_moved_by_its_dates(tmp_path: Path) -> None:
    source = tmp_path / FLOW.landing.window_filename(SOURCE, 835)
    source.write_text(
        "DETECTOR_ID,START_TIME,VOLUME\nTD1,2026-10-06 13:55:00,41\n",
        encoding=FLOW.landing.encoding,
    )
    replayed = replay_window(FLOW, source, TARGET, 835, tmp_path / "replayed")
    assert replayed.name == "traffic_flow_20261205_1355.csv"
    assert replayed.read_text(encoding=FLOW.landing.encoding).splitlines()[1] == (
        "TD1,2026-12-05 13:55:00,41"
    )


def test_only_a_window_file_at_its_own_time_of_day_is_replayed(tmp_path: Path) -> None:
    day_file = tmp_path / TELEMETRY.landing.filename(SOURCE)
    day_file.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="not a window file"):
        replay_window(TELEMETRY, day_file, TARGET, 0, tmp_path)
    window = tmp_path / TELEMETRY.landing.window_filename(SOURCE, 720)
    window.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="its window is 720"):
        replay_window(TELEMETRY, window, TARGET, 725, tmp_path)


def test_the_windows_up_to_now_cross_midnight_into_yesterday(tmp_path: Path) -> None:
    landed = tmp_path / "landed"
    landed.mkdir()
    for minute in (1430, 1435, 0, 5):
        (landed / TELEMETRY.landing.window_filename(SOURCE, minute)).write_text("", "utf-8")
    now = datetime(2026, 12, 5, 0, 7, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    replayed = replay_up_to(TELEMETRY, landed, SOURCE, now, 4, tmp_path / "replayed")
    assert [path.name for path in replayed] == [
        "sensor_telemetry_20261204_2350.jsonl",
        "sensor_telemetry_20261204_2355.jsonl",
        "sensor_telemetry_20261205_0000.jsonl",
        "sensor_telemetry_20261205_0005.jsonl",
    ]
