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
from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.jobs import PHASE_JOBS
from pipelines.lib import settings
from pipelines.lib.run_state import MARKER_NAME

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


def _log_of(stdout: str, root: Path) -> str:
    """The run's log file, which the first line and the summary both name."""
    named = re.search(r"\(log: (\S+)\)", stdout.splitlines()[0])
    assert named, stdout
    log = Path(named[1])
    assert log.parent == root / "logs" and re.fullmatch(r"run-\d{8}T\d{6}Z\.log", log.name)
    assert f"  log         {log}" in stdout
    return log.read_text(encoding="utf-8")


def test_run_materialises_everything_and_summarises(
    landing_tree: LandingTree, tmp_path: Path
) -> None:
    root = landing_tree.root
    result = _safecity("run", "--data-dir", str(root), home=tmp_path / "home")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output

    # Every feed with a contract is ingested; the 3 that delivered are built, the others say so
    # (their partitions stay missing).
    feeds = len(FEED_CONTRACTS)
    delivered, quiet = len(landing_tree.feeds), len(FEED_CONTRACTS) - len(landing_tree.feeds)
    # Milestones, not a line per step, file or dbt model: the console fits one screen.
    assert "] landing: 6 delivery files of 3 feeds" in result.stdout
    assert f"] ingestion: {feeds} feeds, delivery days 2026-03-01 .. 2026-03-04" in result.stdout
    assert (
        f"] ingestion: {delivered} of {feeds} feeds built, {quiet} with no delivery (0 rows landed"
    ) in result.stdout
    assert re.search(r"\] warehouse: (\d+) of \1 dbt models built", result.stdout)
    assert len(result.stdout.splitlines()) < 40, result.stdout
    assert "Running with dbt" not in output and "food_inspections_20260301" not in output
    assert "safecity run succeeded" in result.stdout
    summary = result.stdout.split("safecity run succeeded", 1)[1]
    assert re.search(r"  market_regulation +1 +0 +0  0 \(0\.0%\)", summary)
    assert re.search(rf"  total +{delivered} +0 +0  0 \(0\.0%\)", summary)
    assert (
        f"built: landing, ingestion {delivered} of {feeds} feeds ({quiet} with no delivery)"
    ) in summary
    # Every feed late (the deliveries are of 2026-03), and the landing checks below.
    warned = re.search(
        r"warnings: (\d+) checks failed as warnings \(delivered_on_time (\d+),", summary
    )
    assert warned and (int(warned[1]), int(warned[2])) == (feeds + 3, feeds), summary
    assert "every_feed_delivered_daily 1" in summary and "no_unknown_landing_files 1" in summary
    home = root / "dagster_home"
    assert f"  SAFECITY_DATA_DIR={root} DAGSTER_HOME={home} uv run dagster dev" in summary
    assert f"reports     {root / 'reports'}" in summary

    # Every detail is in the log: dbt's own output, a line per delivery file, every asset and check.
    log = _log_of(result.stdout, root)
    assert "Running with dbt=" in log
    assert "food_inspections_20260301.csv: 0 rows -> 0 bronze, 0 quarantined" in log
    assert re.search(r"  landing_inventory +materialized +feeds 3 · total_files 6", log)
    # Ingestion ran over the delivery days found: the quiet deliveries are empty partitions.
    assert re.search(
        r"  bronze/market_regulation/food_inspections +materialized .*landed_rows 0", log
    )
    inspections = re.findall(r"  bronze/market_regulation/food_inspections:(\w+)  (\w+)", log)
    assert len(inspections) == 6
    assert [name for name, result in inspections if result != "passed"] == ["delivered_on_time"]
    assert "bronze/market_regulation/food_inspections:delivered_on_time  FAILED [WARN]" in log
    assert re.search(
        r"  landing_inventory:every_feed_delivered_daily  FAILED \[WARN\] .*feeds_with_gaps 1", log
    )
    assert "  landing_inventory:no_unknown_landing_files  FAILED [WARN]" in log
    assert "  landing_inventory:deliveries_in_window  passed" in log

    # The run is recorded in a persistent instance, so the UI shows it afterwards.
    assert "enabled: false" in (home / "dagster.yaml").read_text()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        # One run before the delivery days, one for them, one for the warehouse built on them.
        assert [run.status for run in runs] == [dg.DagsterRunStatus.SUCCESS] * 3
        # Runs of the named jobs, in the UI's code location (pipelines/defs/jobs.py).
        assert [run.job_name for run in reversed(runs)] == list(PHASE_JOBS)
        assert {run.remote_job_origin.location_name for run in runs} == {"safecity"}
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


def test_sql_before_any_run_says_which_data_directory_to_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run built elsewhere is the usual cause: the message says how to point at it."""
    assert cli.main(["sql", "--data-dir", str(tmp_path), "select 1"]) == 1
    error = capsys.readouterr().err
    assert f"no analytics copy at {tmp_path / 'analytics.duckdb'}" in error
    assert "--data-dir DIR, or $SAFECITY_DATA_DIR" in error
    assert len(error.strip().splitlines()) == 1


def test_failed_step_prints_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    root = tmp_path / "data"
    junk = root / "landing" / "fire_rescue" / "fire_incidents" / "readme.md"
    junk.parent.mkdir(parents=True)
    junk.write_text("no deliveries here\n", encoding="utf-8")
    result = _safecity("run", "--data-dir", str(root), home=tmp_path / "home")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert "] FAILED landing_inventory: No landing data" in result.stdout
    assert "safecity run FAILED" in result.stdout
    summary = result.stdout.split("safecity run FAILED", 1)[1]
    assert "\n  landing_inventory: No landing data" in summary  # once, with its reason
    assert "warehouse and what follows not built: the lake holds no ingested delivery" in summary
    log = _log_of(result.stdout, root)
    assert "  landing_inventory:every_feed_delivered_daily  not run" in log  # checks never ran
    assert not (root / MARKER_NAME).exists()  # a failed run is no complete run: the next builds


def test_generate_prints_rows_per_department_with_total(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[dict[str, object]] = []

    def generate_city(**kwargs: object) -> dict[str, int]:
        calls.append(kwargs)
        report = kwargs["progress"]
        assert callable(report)
        report("market_regulation/food_inspections: 1200 rows")  # per feed: no line when piped
        return {
            "market_regulation/food_inspections": 1200,
            "market_regulation/food_sampling": 300,
            "traffic_police/traffic_flow": 34,
        }

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
    assert lines[:4] == [
        "department         feeds   rows",
        "market_regulation      2  1,500",
        "traffic_police         1     34",
        "total                  3  1,534",
    ]
    assert lines[4].startswith("generated the tiny city (seed 7) in ")
    assert lines[4].endswith(f": 0 delivery files under {tmp_path}")
    assert lines[5:] == [f"next: safecity run --data-dir {tmp_path}"]


def test_format_row_counts_aligns_numbers() -> None:
    table = cli.format_row_counts({"a/b": 5, "long_department/feed": 12345, "a/c": 1})
    assert table.splitlines() == [
        "department       feeds    rows",
        "a                    2       6",
        "long_department      1  12,345",
        "total                3  12,351",
    ]


def test_two_runs_after_a_dbt_change_parse_the_project_once(tmp_path: Path, monkeypatch) -> None:
    """Two `safecity run`s started together after a model changed (the test workers do) parse
    one after the other, and the second finds the manifest the first wrote: one parse, never a
    manifest read while it is written."""
    import threading
    import time

    project = tmp_path / "dbt_project"
    (project / "models").mkdir(parents=True)
    (project / "models" / "a_model.sql").write_text("select 1", encoding="utf-8")
    parses = []

    def parse(dbt_dir: Path) -> None:  # stands in for `dbt parse`: slow, then the manifest
        parses.append(dbt_dir)
        time.sleep(0.5)
        (dbt_dir / "target" / "manifest.json").write_text("{}", encoding="utf-8")

    monkeypatch.setattr(cli, "_parse_dbt_project", parse)
    runs = [threading.Thread(target=cli._parse_dbt_project_if_stale, args=(project,)) for _ in "ab"]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert parses == [project]
    cli._parse_dbt_project_if_stale(project)  # current now: nothing to parse
    assert parses == [project]
