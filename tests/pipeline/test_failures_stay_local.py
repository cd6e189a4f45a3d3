"""A bad feed, a bad file or a delivery named for a day outside the window is that feed's or that
file's problem: `safecity run` builds every other feed and every department's warehouse, extracts
and reports, exits non-zero, and names each problem in one line with what to do.

One run of the tiny city with five problems planted beside its good deliveries:
- every hidden-hazard delivery is invalid (the feed is quarantined at 100 %);
- one fire-incident workbook cannot be read at all;
- the traffic-flow ingestion fails part way (its day-4 partition cannot be written);
- a traffic-accident delivery is named for the day before the first delivery day;
- another is named for a day decades ahead (which once made the run hang).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, timedelta

import dagster as dg
import duckdb
import pytest

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.publish.assets import DEPARTMENTS
from pipelines.lib.city_profile import city_profile
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.lake import partition
from pipelines.lib.publish.manifest import verify_extract
from tests.conftest import safecity_run

WEEK = [date(2026, 10, 1) + timedelta(days=n) for n in range(7)]
# The generated city's profile (its city.yaml) starts the delivery window on its first day.
EARLY = WEEK[0] - timedelta(days=1)
FUTURE = date(2099, 12, 31)
HAZARDS = FEED_CONTRACTS[("emergency_management", "hidden_hazards")]
INCIDENTS = FEED_CONTRACTS[("fire_rescue", "fire_incidents")]
FLOW = FEED_CONTRACTS[("traffic_police", "traffic_flow")]
ACCIDENTS = FEED_CONTRACTS[("traffic_police", "traffic_accidents")]
BAD_ROWS_PER_FILE = 8


@pytest.fixture(scope="module")
def troubled_run(tiny_city, tmp_path_factory) -> tuple[DataDir, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("troubled") / "city"
    shutil.copytree(tiny_city, root)
    assert city_profile(root).first_delivery_day == WEEK[0]
    data = DataDir(root)
    hazards = data.landing_feed(HAZARDS.department, HAZARDS.feed)
    for path in hazards.iterdir():
        header = path.read_bytes().splitlines()[0]
        columns = header.count(b",") + 1
        bad_row = b"not-a-hazard-id" + b"," * (columns - 1)  # the key broken, the rest missing
        path.write_bytes(b"\n".join([header, *[bad_row] * BAD_ROWS_PER_FILE]) + b"\n")
    unreadable = data.landing_feed(
        INCIDENTS.department, INCIDENTS.feed
    ) / INCIDENTS.landing.filename(WEEK[2])
    unreadable.write_bytes(b"this is not a workbook")
    # A file where day 4's partition folder belongs: writing it fails, the step with it.
    blocked = partition(data, FLOW, WEEK[3]).bronze.parent
    blocked.parent.mkdir(parents=True)
    blocked.write_text("in the way\n", encoding="utf-8")
    accidents = data.landing_feed(ACCIDENTS.department, ACCIDENTS.feed)
    for day in (EARLY, FUTURE):
        shutil.copy(
            accidents / ACCIDENTS.landing.filename(WEEK[0]),
            accidents / ACCIDENTS.landing.filename(day),
        )
    return data, safecity_run(root, root.parent)


def test_the_run_fails_and_names_each_problem_in_one_line(troubled_run) -> None:
    _data, result = troubled_run
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert len(result.stdout.splitlines()) < 60, result.stdout
    summary = result.stdout.split("\nsafecity run FAILED in ", 1)[1]
    assert re.match(r"[\dms.]+: 1 step failed, 3 checks failed as errors; \d+ warnings\n", summary)
    failed = summary.split("\nfailed (each makes the run fail)\n", 1)[1].split("\nwarnings:")[0]
    lines = failed.splitlines()
    assert re.fullmatch(
        r"  bronze/traffic_police/traffic_flow: (NotADirectoryError|FileExistsError): .*"
        + re.escape("date=2026-10-04")
        + ".*",
        lines[0],
    ), failed
    assert lines[1].startswith(
        "  bronze/emergency_management/hidden_hazards · quarantine_rate_under_threshold: "
        f"100.0% of {BAD_ROWS_PER_FILE * 7} rows quarantined, over the contract's 5.0% (mostly "
    ), failed
    assert lines[1].endswith(
        ": see lake/quarantine/emergency_management/hidden_hazards/ and ask emergency_management "
        "to correct and deliver again"
    )
    assert lines[2:5] == [
        "  bronze/fire_rescue/fire_incidents · schema_conforms: 1 delivery file(s) could not be read at all:",
        lines[3],
        "    ask fire_rescue to send them again; the next run ingests them",
    ]
    assert lines[3].startswith(
        "    fire_incidents_20261003.xlsx: not readable as an XLSX workbook ("
    )
    window = (
        "  landing_inventory · deliveries_in_window: 2 delivery file(s) named for a day outside "
    )
    assert lines[5].startswith(window) and lines[5].endswith(", left alone:")
    early, future = (ACCIDENTS.landing.filename(day) for day in (EARLY, FUTURE))
    assert lines[6] == (
        f"    landing/traffic_police/traffic_accidents/{early}: {EARLY} is before the first "
        f"delivery day {WEEK[0]}"
    )
    assert lines[7].startswith(
        f"    landing/traffic_police/traffic_accidents/{future}: {FUTURE} is after tomorrow ("
    )
    assert lines[8].startswith("    rename each file to the day it was delivered for")
    # One clear line each: the file is named once in all the run prints.
    for name in (early, future, "fire_incidents_20261003.xlsx"):
        assert output.count(name) == 1, name
    assert "next: fix what failed" in summary


def test_every_other_feed_and_department_is_built(troubled_run) -> None:
    data, _result = troubled_run
    for contract in FEED_CONTRACTS.values():
        built = {
            day
            for day in WEEK
            if partition(data, contract, day).bronze.is_file()
            and partition(data, contract, day).quarantine.is_file()
        }
        if contract is INCIDENTS:
            assert built == set(WEEK) - {WEEK[2]}  # the unreadable day is left as it was: absent
        elif contract is FLOW:
            assert built == set(WEEK[:3])  # the days before the failure
        else:
            assert built == set(WEEK), contract.feed
    for day in (EARLY, FUTURE):  # never ingested, and no other feed failed for them
        assert not partition(data, ACCIDENTS, day).bronze.parent.exists()
        assert not partition(data, ACCIDENTS, day).quarantine.parent.exists()

    with duckdb.connect(str(data.analytics), read_only=True) as analytics:
        departments = dict(
            analytics.execute(
                "select source_department, count(*) from fct_event group by all"
            ).fetchall()
        )
        hazard_rows = analytics.execute(
            "select count(*) from fct_event where event_type = 'hidden_hazard'"
        ).fetchone()[0]
    # Every department's events reached the warehouse (the command centre's log has none: its
    # instructions mention organisations and places, and live in the dispatch marts).
    assert set(departments) == set(DEPARTMENTS) - {"command_centre"}
    assert hazard_rows == 0  # nothing of the quarantined feed did
    for department in DEPARTMENTS:
        assert verify_extract(data.extracts / department) == []
        assert (data.quality_report(department) / "index.html").is_file()
    assert (data.reports / "scorecard" / "department_scorecard.parquet").is_file()

    with dg.DagsterInstance.from_config(str(data.root / "dagster_home")) as instance:
        statuses = [run.status for run in reversed(instance.get_runs())]
    # Before the days, the days (one step failed), and the warehouse, run despite it.
    assert statuses == [
        dg.DagsterRunStatus.SUCCESS,
        dg.DagsterRunStatus.FAILURE,
        dg.DagsterRunStatus.SUCCESS,
    ]


def test_the_log_has_the_full_story(troubled_run) -> None:
    data, _result = troubled_run
    (log,) = data.logs.iterdir()
    text = log.read_text(encoding="utf-8")
    assert "Stack Trace:" in text and "date=2026-10-04" in text  # the failed step's full error
    assert re.search(
        r"\n  bronze/traffic_police/traffic_flow +FAILED +(NotADirectoryError|FileExistsError)",
        text,
    )
    assert re.search(
        r"  bronze/emergency_management/hidden_hazards +materialized +row_count 0 ", text
    )
    assert "delivery outside the window, left alone: traffic_police/traffic_accidents/" in text
