"""`safecity run` as a user runs it: a subprocess, its output and its exit code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import pytest

from pipelines import cli
from pipelines.lib import settings

if TYPE_CHECKING:
    from conftest import LandingTree


def _safecity(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed console script (as `make demo` does), in a clean environment."""
    script = Path(sys.executable).with_name("safecity")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pipelines.cli"]
    env = {**os.environ, "HOME": str(home)}
    for name in ("DAGSTER_HOME", "SAFECITY_DATA_DIR", "DAGSTER_DISABLE_TELEMETRY"):
        env.pop(name, None)
    # A guard against a hung run, not a speed test: a full run of the tiny city takes about
    # a minute alone, and several on two busy cores.
    return subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=600)


def test_run_materialises_everything_and_summarises(
    landing_tree: LandingTree, tmp_path: Path
) -> None:
    root = landing_tree.root
    result = _safecity("run", "--data-dir", str(root), home=tmp_path / "home")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output

    assert "start landing_inventory" in result.stdout
    assert "done  landing_inventory" in result.stdout
    assert "safecity run succeeded" in result.stdout
    summary = result.stdout.split("safecity run succeeded", 1)[1]
    assert re.search(r"  landing_inventory +materialized", summary)
    assert "total_files 6" in summary
    # Ingestion ran over the delivery days found: the quiet deliveries are empty partitions.
    assert re.search(
        r"  bronze/market_regulation/food_inspections +materialized .*landed_rows 0", summary
    )
    assert re.search(
        r"  bronze/market_regulation/food_inspections +5/6  delivered_on_time \[WARN\]", summary
    )
    assert re.search(
        r"  landing_inventory +1/3  every_feed_delivered_daily \[WARN\] feeds_with_gaps 1;", summary
    )
    home = root / "dagster_home"
    assert f"  SAFECITY_DATA_DIR={root} DAGSTER_HOME={home} uv run dagster dev" in summary
    assert f"reports     {root / 'reports'}" in summary

    # The run is recorded in a persistent instance, so the UI shows it afterwards.
    assert "enabled: false" in (home / "dagster.yaml").read_text()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        # One run before the delivery days, one for them, one for the warehouse built on them.
        assert [run.status for run in runs] == [dg.DagsterRunStatus.SUCCESS] * 3
        assert {run.tags["safecity/data_dir"] for run in runs} == {str(root)}
        assert instance.get_latest_materialization_event(dg.AssetKey("landing_inventory"))
    # Telemetry off: Dagster wrote nothing under ~/.dagster.
    assert not (tmp_path / "home" / ".dagster").exists()


def test_run_on_empty_data_dir_says_generate_first(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = _safecity("run", "--data-dir", str(empty), home=tmp_path / "home")
    assert result.returncode != 0
    assert "run `safecity generate" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (empty / "dagster_home").exists()  # nothing started


def test_failed_step_prints_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    root = tmp_path / "data"
    junk = root / "landing" / "fire_rescue" / "fire_incidents" / "readme.md"
    junk.parent.mkdir(parents=True)
    junk.write_text("no deliveries here\n", encoding="utf-8")
    result = _safecity("run", "--data-dir", str(root), home=tmp_path / "home")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert "FAIL  landing_inventory" in result.stdout
    assert "No landing data" in result.stdout
    assert "safecity run FAILED" in result.stdout
    assert re.search(r"  landing_inventory +0/0", result.stdout)  # its checks never ran


def test_generate_prints_rows_per_feed_with_total(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[dict[str, object]] = []

    def generate_city(**kwargs: object) -> dict[str, int]:
        calls.append(kwargs)
        return {"market_regulation/food_inspections": 1200, "traffic_police/traffic_flow": 34}

    fake = types.ModuleType("pipelines.sample_city.generate")
    fake.generate_city = generate_city  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pipelines.sample_city.generate", fake)
    # main() switches telemetry off in its own environment; keep that inside this test.
    for telemetry in settings.TELEMETRY_OFF:
        monkeypatch.setenv(telemetry.name, telemetry.default)

    exit_code = cli.main(
        ["generate", "--scale", "tiny", "--seed", "7", "--out", str(tmp_path), "--days", "3"]
    )
    assert exit_code == 0
    assert calls[0]["out"] == tmp_path
    assert (calls[0]["scale"], calls[0]["seed"], calls[0]["days"]) == ("tiny", 7, 3)
    lines = capsys.readouterr().out.splitlines()
    assert "market_regulation/food_inspections  1,200" in lines
    assert "traffic_police/traffic_flow            34" in lines
    assert "total                               1,234" in lines


def test_format_row_counts_aligns_numbers() -> None:
    table = cli.format_row_counts({"a/b": 5, "long/feed_name": 12345})
    assert table.splitlines() == [
        "feed              rows",
        "a/b                  5",
        "long/feed_name  12,345",
        "total           12,350",
    ]


def test_generate_then_run_on_the_tiny_city(tmp_path: Path) -> None:
    """The quickstart's two steps for real, on the tiny city: every feed delivered daily."""
    data = tmp_path / "data"
    generated = _safecity(
        "generate", "--scale", "tiny", "--seed", "3", "--out", str(data), home=tmp_path / "home"
    )
    assert generated.returncode == 0, generated.stderr
    assert "traffic_police/traffic_flow" in generated.stdout
    assert "total" in generated.stdout
    assert (data / "ground_truth" / "manifest.json").exists()

    result = _safecity("run", "--data-dir", str(data), home=tmp_path / "home")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.split("safecity run succeeded", 1)[1]
    assert "feeds 15" in summary and "total_files 105" in summary
    assert re.search(r"  landing_inventory +3/3\n", summary)
