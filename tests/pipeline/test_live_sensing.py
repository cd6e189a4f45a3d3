"""Sensing without waiting for midnight: with the daemon running (`make dev`), 5-minute window
files of a leak land and become its CAP alert, in force now, with no one pressing a button.

The suite's second city is delivered in window files (`--windows`) and built. A copy of it gets
`dagster dev`; then the last windows of a hazard-installation telemetry feed, up to this moment,
land, replayed from the city's last generated day onto today (pipelines/sample_city/replay.py):
a planted leak that was up all that day is up now. The landing sensor ingests the windows into
today's partition, the automation sensor refreshes everything downstream, and the test only
watches for the leak's Alert.
"""

from __future__ import annotations

import shutil
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import polars as pl
from lxml import etree

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.lib.alerts import CAP_NAMESPACE
from pipelines.lib.alerts.cap import cap_schema
from pipelines.lib.city_profile import city_profile
from pipelines.lib.data_dir import DataDir
from pipelines.sample_city.replay import replay_up_to
from tests.local_server import (
    AUTOMATION_SENSOR,
    LANDING_SENSOR,
    SENSOR_NAME_TAG,
    dagster_dev,
    runs_since,
    tail,
    utc,
    wait_for_first_ticks,
)

FEED = ("emergency_management", "sensor_telemetry")
# Readings up to now: 25 minutes, more than a threshold rule's hold (seeds/config/sensor_alarm_rules.csv).
WINDOWS = 6
TIMEOUT_SECONDS = 1500  # a few minutes on a quiet machine; several times that for a busy one
NS = {"cap": CAP_NAMESPACE}
SEEDS = Path(__file__).resolve().parents[2] / "dbt_project/seeds/config"


def test_window_files_of_a_leak_become_its_cap_alert_in_force_now(other_built_city, tmp_path):
    root = tmp_path / "city"
    shutil.copytree(other_built_city, root)
    data = DataDir(root)
    contract = FEED_CONTRACTS[FEED]
    leak = _leak_up_all_last_day(root)
    folder = data.landing_feed(contract.department, contract.feed)
    step = contract.landing.window_minutes
    assert step is not None, f"{contract.feed} is delivered in windows"
    now = _now_with_windows_in_one_day(ZoneInfo(city_profile(root).timezone), step)
    held = replay_up_to(
        contract, folder, leak["last_day"], now, WINDOWS, tmp_path / "not_yet_delivered"
    )
    today = now.date()

    home = root / "dagster_home"
    with (
        dagster_dev(root, home, tmp_path / "dagster_dev.log") as log,
        dg.DagsterInstance.from_config(str(home)) as instance,
    ):
        wait_for_first_ticks(instance, log)
        dropped = time.time()
        for path in held:
            shutil.move(path, folder / path.name)
        deadline = dropped + TIMEOUT_SECONDS
        while (published := _alert_of(data, leak["device_id"], today)) is None or _unfinished(
            instance, dropped
        ):
            assert time.time() < deadline, (
                f"no CAP alert for {leak['device_id']} on {today} within {TIMEOUT_SECONDS} s:\n"
                + runs_since(instance, dropped)
                + tail(log)
            )
            time.sleep(2)
        runs = instance.get_runs(filters=dg.RunsFilter(created_after=utc(dropped)))

    print(
        f"\nwindow files landed to the leak's CAP Alert: {published.stat().st_mtime - dropped:.0f} s"
    )
    alert = etree.parse(str(published))
    assert cap_schema().validate(alert)
    assert _text(alert, "cap:msgType") == "Alert"
    # In force from the moment it was computed, not from the coming midnight.
    sent = datetime.fromisoformat(_text(alert, "cap:sent"))
    effective = datetime.fromisoformat(_text(alert, "cap:info/cap:effective"))
    assert utc(dropped).replace(microsecond=0) <= sent == effective <= datetime.now(UTC)
    # Nobody pressed a button: every run since the drop is a sensor's.
    by = {run.tags.get(SENSOR_NAME_TAG) for run in runs}
    assert by == {LANDING_SENSOR, AUTOMATION_SENSOR}, runs_since(instance, dropped)
    assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs), runs_since(
        instance, dropped
    )


def _now_with_windows_in_one_day(zone: ZoneInfo, window_minutes: int) -> datetime:
    """Now in the city, once the windows up to it all lie in today. Run just after the city's
    midnight, the first windows would be yesterday's: the leak would warn on yesterday, whose
    messages are sent at midnight (before anything landed), and today's would only continue
    that warning, as an Update. So then the test waits, up to half an hour."""
    now = datetime.now(zone)
    needed = timedelta(minutes=window_minutes * WINDOWS)
    since_midnight = now - now.replace(hour=0, minute=0, second=0, microsecond=0)
    if since_midnight < needed:
        time.sleep((needed - since_midnight).total_seconds())
        now = datetime.now(zone)
    return now


def _leak_up_all_last_day(root: Path) -> dict:
    """A planted leak at a hazard installation that began before the last generated day and
    lasted to its end: up in every window of that day."""
    truth = root / "ground_truth"
    incidents = pl.read_parquet(truth / "sensor_incidents.parquet").join(
        pl.read_parquet(truth / "sensor_devices.parquet").select("device_id", "device_type"),
        on="device_id",
    )
    # A value over (or under) a threshold: a rate-of-change rule needs more than the windows here.
    thresholds = pl.read_csv(SEEDS / "sensor_alarm_rules.csv").filter(
        pl.col("condition").is_in(["above", "below"])
        & (pl.col("hold_minutes") < (WINDOWS - 1) * 5)
        & (pl.col("severity") == "incident")
    )
    last_day = max(incidents["ended_at"]).date()
    staying = incidents.join(thresholds, on=["device_type", "measure"]).filter(
        (pl.col("department") == FEED[0])
        & (pl.col("started_at").dt.date() < last_day)
        & (pl.col("ended_at").dt.date() == last_day)
    )
    assert staying.height >= 1, "the tiny city plants a gas leak that stays to the end"
    return {**staying.row(0, named=True), "last_day": last_day}


def _alert_of(data: DataDir, device_id: str, day: date) -> Path | None:
    """The CAP Alert of a warning raised on `day` by `device_id`'s alarm, once published."""
    for path in data.alerts.glob("*.xml"):
        alert = etree.parse(str(path))
        as_of = alert.find(".//cap:parameter[cap:valueName='as_of_date']/cap:value", NS)
        description = _text(alert, "cap:info/cap:description") or ""
        if as_of is not None and as_of.text == day.isoformat() and device_id in description:
            return path
    return None


def _unfinished(instance: dg.DagsterInstance, dropped: float) -> bool:
    runs = instance.get_runs(filters=dg.RunsFilter(created_after=utc(dropped)))
    return not runs or any(not run.is_finished for run in runs)


def _text(element, path: str) -> str:
    return element.findtext(path, namespaces=NS) or ""
