"""A run with nothing new: `safecity run` stops in seconds when nothing it reads changed since the
last run that completed, and builds when anything did. A run that fails, is interrupted or is
killed is never taken for a complete one (pipelines/lib/run_state.py)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import pipelines.cli as cli
from pipelines.lib import run_state, settings
from pipelines.lib.data_dir import DataDir
from pipelines.runner import RunInterrupted, RunReport, StepFailure

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture
def city(tiny_city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DataDir]:
    """A copy of the tiny city with its own contracts folder (so a test may change a contract)
    and a warehouse, analytics copy and extracts as a build leaves them (files, not built)."""
    root = tmp_path / "city"
    shutil.copytree(tiny_city / "landing", root / "landing")
    shutil.copy2(tiny_city / "city.yaml", root / "city.yaml")
    contracts = tmp_path / "contracts"
    shutil.copytree(REPOSITORY / "contracts", contracts)
    monkeypatch.setenv(settings.CONTRACTS_DIR.name, str(contracts))
    monkeypatch.setenv(settings.DATA_DIR.name, str(root))  # `safecity run` exports it; restored
    for name in ("LAKE_ROOT", "EXTRACTS_ROOT"):
        monkeypatch.delenv(getattr(settings, name).name, raising=False)
    data = DataDir(root)
    for path in (data.warehouse, data.analytics):
        path.write_bytes(b"built")
    (root / "extracts" / "fire_rescue").mkdir(parents=True)
    (root / "extracts" / "fire_rescue" / "manifest.json").write_text("{}", encoding="utf-8")
    yield data


def _inputs(data: DataDir, today: str = "2026-10-08") -> dict[str, str]:
    return run_state.input_fingerprint(data, city_profile=data.root / "city.yaml", today=today)


def _recorded(data: DataDir) -> run_state.CompleteRun:
    assert run_state.record(data, _inputs(data), ["run-1"], run_state.landing_file_count(data))
    last = run_state.last_complete_run(data)
    assert last is not None
    assert run_state.changes_since(last, _inputs(data), data) == []  # nothing new yet
    return last


def _later(path: Path) -> None:
    """Touch `path` one second later than it was (file systems with coarse times see it too)."""
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000_000))


def test_a_new_or_changed_or_removed_landing_file_makes_the_next_run_build(city: DataDir) -> None:
    last = _recorded(city)
    feed = city.landing / "fire_rescue" / "fire_incidents"
    delivery = sorted(feed.iterdir())[-1]

    _later(delivery)  # re-delivered, same size
    assert run_state.changes_since(last, _inputs(city), city) == ["landing files changed"]

    last = _recorded(city)
    shutil.copy2(delivery, feed / delivery.name.replace("2026", "2027"))  # a new day
    assert run_state.changes_since(last, _inputs(city), city) == ["landing files changed"]

    last = _recorded(city)
    delivery.unlink()
    assert run_state.changes_since(last, _inputs(city), city) == ["landing files changed"]


def test_a_changed_contract_city_profile_setting_or_day_makes_the_next_run_build(
    city: DataDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    last = _recorded(city)
    contract = settings.contracts_dir() / "feeds" / "fire_rescue" / "fire_incidents.odcs.yaml"
    contract.write_text(contract.read_text("utf-8") + "\n# a comment is a change\n", "utf-8")
    assert run_state.changes_since(last, _inputs(city), city) == ["contracts changed"]

    last = _recorded(city)
    profile = city.root / "city.yaml"
    profile.write_text(profile.read_text("utf-8") + "\n", "utf-8")
    assert run_state.changes_since(last, _inputs(city), city) == ["city profile changed"]

    last = _recorded(city)
    monkeypatch.setenv(settings.PSEUDONYM_KEY.name, "another-pseudonym-key-of-32-characters!!")
    assert run_state.changes_since(last, _inputs(city), city) == ["settings changed"]

    last = _recorded(city)
    assert run_state.changes_since(last, _inputs(city, today="2026-10-09"), city) == [
        "the day changed"
    ]


def test_touching_what_the_last_run_built_makes_the_next_run_build(city: DataDir) -> None:
    last = _recorded(city)
    shutil.rmtree(city.root / "extracts" / "fire_rescue")  # an extract deleted by hand
    assert run_state.changes_since(last, _inputs(city), city) == [
        "what the last run built changed since (warehouse, lake, extracts or reports)"
    ]
    last = _recorded(city)
    decisions = city.root / "lake" / "linkage" / "person" / "decisions.parquet"
    decisions.parent.mkdir(parents=True)
    decisions.write_bytes(b"a review decision")  # `safecity review` writes to the lake
    assert run_state.changes_since(last, _inputs(city), city) != []


def test_the_day_is_the_citys(city: DataDir) -> None:
    now = datetime(2026, 10, 7, 17, 30, tzinfo=UTC)  # 01:30 on the 8th in Chengdu
    assert run_state.today_in("Asia/Shanghai", now) == "2026-10-08"
    assert run_state.today_in("Europe/London", now) == "2026-10-07"


def test_a_marker_that_cannot_be_read_is_no_complete_run(city: DataDir) -> None:
    _recorded(city)
    marker = run_state.marker_path(city)
    for broken in ("not json", "{}", json.dumps({"format": 999}), "[1, 2]"):
        marker.write_text(broken, encoding="utf-8")
        assert run_state.last_complete_run(city) is None
    assert run_state.changes_since(None, _inputs(city), city) == ["no complete run recorded"]


# --- `safecity run`: the decision, with the build itself stood in for -----------------------


class FakeBuild:
    """Stands in for the build (pipelines.cli._materialize): counts the builds, and checks that no
    run is taken for complete while one is under way."""

    def __init__(self, data: DataDir, outcome: str = "success") -> None:
        self.data = data
        self.outcome = outcome
        self.builds = 0

    def __call__(self, *_: object) -> RunReport:
        self.builds += 1
        assert not run_state.marker_path(self.data).exists(), "a build started with a marker"
        if self.outcome == "interrupted":
            raise RunInterrupted("run-x", "during warehouse (dbt_mentions)")
        if self.outcome == "error":
            raise RuntimeError("the instance could not be opened")
        report = RunReport(
            elapsed=1.0, asset_keys=[], check_keys=[], step_of={}, stages={}, run_ids=["run-x"]
        )
        if self.outcome == "failure":
            report.failures["step"] = StepFailure("step", "bronze/x", "boom")
        return report


def _run(data: DataDir, build: FakeBuild, monkeypatch: pytest.MonkeyPatch, *options: str) -> int:
    monkeypatch.setattr(cli, "_materialize", build)
    monkeypatch.setattr(cli, "_warehouse_coverage", lambda: [])
    return cli.main(["run", "--data-dir", str(data.root), *options])


def test_a_second_run_with_nothing_new_builds_nothing_and_says_so(
    city: DataDir, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    build = FakeBuild(city)
    assert _run(city, build, monkeypatch) == 0
    assert build.builds == 1 and run_state.marker_path(city).exists()
    capsys.readouterr()

    assert _run(city, build, monkeypatch) == 0
    assert build.builds == 1  # nothing new: not built again
    out = capsys.readouterr().out
    assert "nothing new or changed since the last complete run" in out
    assert "runs run-x" in out and "nothing built" in out
    delivered = sum(1 for path in city.landing.rglob("*") if path.is_file())
    assert f"unchanged: the {delivered} landing files, contracts, dbt project, city profile" in out
    assert "reused: the warehouse, the analytics copy, the extracts" in out

    assert _run(city, build, monkeypatch, "--full-refresh") == 0  # builds anyway
    assert build.builds == 2
    assert "building: since the last complete run" in capsys.readouterr().out

    _later(sorted((city.landing / "traffic_police" / "traffic_flow").iterdir())[0])
    assert _run(city, build, monkeypatch) == 0
    assert build.builds == 3
    assert "landing files changed" in capsys.readouterr().out


@pytest.mark.parametrize("outcome", ["failure", "interrupted", "error"])
def test_a_run_that_fails_or_is_stopped_is_never_complete(
    city: DataDir, monkeypatch: pytest.MonkeyPatch, outcome: str
) -> None:
    assert _run(city, FakeBuild(city), monkeypatch) == 0
    _later(sorted((city.landing / "fire_rescue" / "fire_incidents").iterdir())[0])

    assert _run(city, FakeBuild(city, outcome), monkeypatch) != 0
    # The marker of the run before went when the build started, and none came back.
    assert not run_state.marker_path(city).exists()
    again = FakeBuild(city)
    assert _run(city, again, monkeypatch) == 0
    assert again.builds == 1  # the next run builds, though nothing changed since the failure


def test_the_code_digest_is_the_codes_not_where_it_is_checked_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same code in two folders is the same code (a moved checkout, a second worktree), and
    a changed lock file is changed code."""
    digests = []
    for name in ("here", "elsewhere"):
        checkout = tmp_path / name
        shutil.copytree(REPOSITORY / "pipelines", checkout / "pipelines")
        shutil.copy2(REPOSITORY / "uv.lock", checkout / "uv.lock")
        monkeypatch.setattr(
            run_state.pipelines, "__file__", str(checkout / "pipelines" / "__init__.py")
        )
        digests.append(run_state.code_digest())
    assert digests[0] == digests[1]

    with (tmp_path / "elsewhere" / "uv.lock").open("a", encoding="utf-8") as lock:
        lock.write("\n# another library version\n")
    assert run_state.code_digest() != digests[0]
