"""The warehouse build's dbt arguments: full refresh on request, else the days written since the last build."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import date
from pathlib import Path

from pipelines.lib.city_profile import Bounds, load_city_profile
from pipelines.lib.dbt_args import (
    FULL_REFRESH_TAG,
    dbt_build_args,
    earliest_day_written_after,
    first_day_to_reprocess,
    wants_full_refresh,
)

CHENGDU = load_city_profile(Path(__file__).resolve().parents[2] / "contracts" / "city.yaml")
WENZHOU = replace(
    CHENGDU,
    code="3303",
    name="温州市",
    short_name="温州",
    bounds=Bounds(119.6, 27.0, 121.3, 28.65),
    grid_cell_degrees=0.005,
)


def dbt_vars(args: list[str]) -> dict:
    return json.loads(args[args.index("--vars") + 1])


def test_a_daily_build_reprocesses_from_the_earliest_changed_day() -> None:
    args = dbt_build_args(full_refresh=False, city=CHENGDU)
    assert args[0] == "build" and "--full-refresh" not in args
    # The day is no dbt var (a changed var makes dbt parse everything again): the vars are the city's.
    assert dbt_vars(args) == CHENGDU.dbt_vars()
    day = first_day_to_reprocess(full_refresh=False, reprocess_since=date(2026, 10, 3))
    assert day == "2026-10-03"


def test_full_refresh_rebuilds_everything_and_needs_no_day() -> None:
    args = dbt_build_args(full_refresh=True, city=CHENGDU)
    assert args[:2] == ["build", "--full-refresh"]
    assert dbt_vars(args) == CHENGDU.dbt_vars()
    assert first_day_to_reprocess(full_refresh=True, reprocess_since=date(2026, 10, 3)) is None
    assert first_day_to_reprocess(full_refresh=False, reprocess_since=None) is None


def test_the_city_profile_reaches_dbt_as_vars() -> None:
    variables = dbt_vars(dbt_build_args(full_refresh=True, city=WENZHOU))
    assert variables == {
        "city_code": "3303",
        "city_name_prefixes": ["浙江省", "温州市", "浙江", "温州"],
        "city_timezone": "Asia/Shanghai",
        "city_bounds": {"lon_min": 119.6, "lat_min": 27.0, "lon_max": 121.3, "lat_max": 28.65},
        "grid_cell_degrees": 0.005,
    }


def test_full_refresh_comes_from_the_run_tag() -> None:
    assert wants_full_refresh({FULL_REFRESH_TAG: "true"})
    assert wants_full_refresh({FULL_REFRESH_TAG: "True"})
    assert not wants_full_refresh({FULL_REFRESH_TAG: "false"})
    assert not wants_full_refresh({})


def _partition(root: Path, feed: str, day: str, mtime: float) -> Path:
    path = root / "dept" / feed / f"date={day}" / "part-0.parquet"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x")
    os.utime(path, (mtime, mtime))
    return path


def test_earliest_partition_written_after_the_last_build(tmp_path: Path) -> None:
    built_at = 1_000_000.0
    partitions = [
        _partition(tmp_path, "a", "2026-10-01", built_at - 10),  # built in already
        _partition(tmp_path, "a", "2026-10-05", built_at + 10),  # the day that landed
        _partition(tmp_path, "b", "2026-10-03", built_at + 20),  # a re-delivered earlier day
        _partition(tmp_path, "b", "2026-10-04", built_at - 5),
    ]
    assert earliest_day_written_after(partitions, built_at) == date(2026, 10, 3)
    assert earliest_day_written_after(partitions, built_at + 100) is None
    # Never built: the incremental models build every day on their first build anyway.
    assert earliest_day_written_after(partitions, None) is None
