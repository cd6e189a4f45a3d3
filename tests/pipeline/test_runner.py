"""The runner on a small code location of its own: a failure stays where it happened, the report
says what failed, and the console gets milestones while the log gets every event."""

# No `from __future__ import annotations`: Dagster reads the parameter annotations.

import io
import re
from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.jobs import INGESTION_JOB, LANDING_JOB, WAREHOUSE_JOB, phase_jobs
from pipelines.lib.data_dir import DataDir
from pipelines.lib.progress import Progress, progress_message
from pipelines.lib.resources import DATA_DIR_RESOURCE_KEY, DataDirResource
from pipelines.lib.run_log import RunLog
from pipelines.run_summary import print_summary, write_details
from pipelines.runner import dbt_failure, materialize_all
from tests.pipeline.workspaces import code_location

DAYS = dg.DailyPartitionsDefinition(start_date="2026-01-01")
POLICY = dg.BackfillPolicy.single_run()


@dg.asset(key=["landing_inventory"])
def inventory() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"feeds": 2, "total_files": 4})


@dg.asset(key=["bronze", "fire_rescue", "incidents"], partitions_def=DAYS, backfill_policy=POLICY)
def good_feed(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    # Each delivery day's materialisation carries its own figures; the run's are their sums.
    days = [(5, 6, 1), (4, 4, 0)]  # bronze, landed, quarantined
    for done, key in enumerate(context.partition_keys, start=1):
        context.log.info(progress_message(done, len(context.partition_keys), f"incidents {key}"))
        bronze, landed, quarantined = days[done - 1]
        context.add_asset_metadata(
            {"dagster/row_count": bronze, "landed_rows": landed, "quarantined_rows": quarantined},
            partition_key=key,
        )
    return dg.MaterializeResult()


@dg.asset(
    key=["bronze", "traffic_police", "flow"],
    partitions_def=DAYS,
    backfill_policy=POLICY,
    check_specs=[
        dg.AssetCheckSpec(
            "quarantine_rate_under_threshold", asset=["bronze", "traffic_police", "flow"]
        )
    ],
)
def quarantined_feed(context: dg.AssetExecutionContext):
    for key, landed in zip(context.partition_keys, (3, 2), strict=True):
        context.add_asset_metadata(
            {"dagster/row_count": 0, "landed_rows": landed, "quarantined_rows": landed},
            partition_key=key,
        )
    yield dg.MaterializeResult()
    yield dg.AssetCheckResult(
        check_name="quarantine_rate_under_threshold",
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description="100.0% of 5 rows quarantined",
    )


@dg.asset(
    key=["bronze", "market_regulation", "broken"], partitions_def=DAYS, backfill_policy=POLICY
)
def failing_feed() -> None:
    raise ValueError("the contract's pattern does not compile\nsecond line")


@dg.asset(key=["linkage", "after_broken"], deps=[failing_feed])
def after_failure() -> None:
    """Downstream of the failed feed, in the phase after it: built from what the lake holds."""


@dg.asset(key=["warehouse"], deps=[good_feed, quarantined_feed])
def warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    print("a line of dbt's own output")  # for the log, never the console
    return dg.MaterializeResult(metadata={"tables": 3})


@dg.asset_check(asset=warehouse, description="a warning only")
def warehouse_warns() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)


DEFS = dg.Definitions(
    assets=[inventory, good_feed, quarantined_feed, failing_feed, after_failure, warehouse],
    asset_checks=[warehouse_warns],
    resources={DATA_DIR_RESOURCE_KEY: DataDirResource(root=".")},
    jobs=phase_jobs(landing=[inventory], ingestion=[good_feed, quarantined_feed, failing_feed]),
)


@pytest.fixture
def run(tmp_path: Path):
    data = DataDir(tmp_path / "data")
    # What an ingestion step leaves first: its schema file (the warehouse phase needs the lake).
    schema = data.bronze / "fire_rescue" / "incidents" / "_schema" / "part-0.parquet"
    schema.parent.mkdir(parents=True)
    schema.write_bytes(b"")
    console = io.StringIO()
    log = RunLog(data.logs)
    with dg.DagsterInstance.ephemeral() as instance, log.capture_output():
        report = materialize_all(
            code_location(tmp_path, module=__name__, attribute="DEFS"),
            data,
            instance,
            Progress(console),
            log,
            partition_range=("2026-03-01", "2026-03-02"),
        )
        runs = instance.get_runs()
    write_details(report, log.stream)
    log.close()
    return data, report, console.getvalue(), log.path.read_text(encoding="utf-8"), runs


def test_a_failed_feed_stops_neither_the_other_feeds_nor_the_next_phase(run) -> None:
    _data, report, _console, _, runs = run
    # Three runs: before the days, the days, after them; the last one ran despite the failure.
    assert len(runs) == 3
    # Runs of the named jobs, recorded with their origin in the code location, as the UI's are.
    assert [r.job_name for r in reversed(runs)] == [LANDING_JOB, INGESTION_JOB, WAREHOUSE_JOB]
    assert {(r.remote_job_origin.location_name, r.remote_job_origin.job_name) for r in runs} == {
        ("test", r.job_name) for r in runs
    }
    assert dg.AssetKey("warehouse") in report.materialized
    assert dg.AssetKey(["bronze", "fire_rescue", "incidents"]) in report.materialized
    assert report.asset_status(dg.AssetKey(["bronze", "market_regulation", "broken"])) == "FAILED"
    assert report.asset_status(dg.AssetKey(["linkage", "after_broken"])) == "materialized"

    (failure,) = report.failures.values()
    assert failure.builds == "bronze/market_regulation/broken"
    assert failure.message == "ValueError: the contract's pattern does not compile"
    assert [c.key.name for c in report.failed_checks] == ["quarantine_rate_under_threshold"]
    assert [c.key.name for c in report.warnings] == ["warehouse_warns"]
    assert not report.success


def test_the_console_gets_milestones_and_the_log_every_event(run) -> None:
    data, report, console, log, _ = run
    lines = console.splitlines()
    assert all(line.startswith("[") for line in lines), console  # stamped milestones only
    assert "\r" not in console  # not a terminal: nothing redrawn
    texts = [line.split("] ", 1)[1] for line in lines]
    assert texts == [
        "landing: 4 delivery files of 2 feeds",
        "ingestion: 3 feeds, delivery days 2026-03-01 .. 2026-03-02",
        "FAILED bronze/market_regulation/broken: ValueError: the contract's pattern does not compile",
        "check FAILED bronze/traffic_police/flow · quarantine_rate_under_threshold: "
        "100.0% of 5 rows quarantined",
        "ingestion: 2 of 3 feeds built (15 rows landed: 9 to bronze, 6 quarantined)",
    ]  # a stage of one asset has no milestone of its own: the summary lists what was built

    # The log has what the console spared: step output, per-day progress, the full error, details.
    assert "a line of dbt's own output" in log
    assert "[2/2] incidents 2026-03-02" in log
    assert "second line" in log and "Stack Trace:" in log  # the full error
    assert re.search(r"\n  warehouse +materialized +tables 3\n", log)
    assert "  warehouse:warehouse_warns  FAILED [WARN]" in log

    summary = io.StringIO()
    print_summary(report, data, data.root / "dagster_home", summary)
    text = summary.getvalue()
    assert text.splitlines()[1] == (
        f"safecity run FAILED in {text.split(' in ', 1)[1].split(':')[0]}: 1 step failed, "
        "1 check failed as errors; 1 warning"
    )
    assert (
        "  bronze/market_regulation/broken: ValueError: the contract's pattern does not compile"
        in text
    )
    assert (
        "  bronze/traffic_police/flow · quarantine_rate_under_threshold: 100.0% of 5 rows quarantined"
        in text
    )
    assert re.search(r"\n  traffic_police +1 +5 +0  5 \(100\.0%\)\n", text)
    assert re.search(r"\n  total +2 +15 +9  6 \(40\.0%\)\n", text)  # the feeds ingested
    assert "built: landing, ingestion 2 of 3 feeds, linkage, warehouse\n" in text
    assert "warnings: 1 check failed as warnings (warehouse_warns 1)" in text
    assert f"  log         {report.log_path}" in text
    assert len(text.splitlines()) < 40


def test_a_terminal_sees_one_line_redrawn() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    progress = Progress(out)
    progress.status("ingestion: 1 of 15 feeds")
    progress.status("ingestion: 2 of 15 feeds")
    progress.milestone("ingestion: 15 of 15 feeds built")
    progress.close()
    text = out.getvalue()
    assert text.count("\n") == 1  # only the milestone stays
    assert text.count("\r\x1b[K") >= 3  # each status replaced the last, and the end cleared it
    assert text.endswith("\r\x1b[K")


def test_a_finished_status_is_not_drawn_again() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    progress = Progress(out)
    progress.status("landing: 0 of 1 inventory")
    progress.status("")
    progress.milestone("landing: 6 delivery files of 3 feeds")
    assert out.getvalue().endswith("landing: 6 delivery files of 3 feeds\n")


def test_a_summary_of_many_failures_stays_one_screen(tmp_path: Path) -> None:
    from pipelines.runner import RunReport, StepFailure

    report = RunReport(elapsed=61.0, asset_keys=[], check_keys=[], step_of={}, stages={})
    for n in range(20):
        report.failures[f"step_{n}"] = StepFailure(
            f"step_{n}", f"bronze/d/feed_{n}", "OSError: disk full"
        )
    out = io.StringIO()
    print_summary(report, DataDir(tmp_path), tmp_path / "dagster_home", out)
    text = out.getvalue()
    assert "safecity run FAILED in 1m01s: 20 steps failed; 0 warnings" in text
    assert "  bronze/d/feed_11: OSError: disk full\n" in text
    assert "feed_12" not in text
    assert "  ... and 8 more, each in the log\n" in text
    assert len(text.splitlines()) < 40


def test_dbt_tests_are_counted_by_their_kind_among_the_warnings(tmp_path: Path) -> None:
    from pipelines.runner import CheckOutcome, RunReport

    report = RunReport(elapsed=5.0, asset_keys=[], check_keys=[], step_of={}, stages={})
    names = [
        "relationships_stg_market_regulation__food_inspections_licence_no__licence_no__ref_x_",
        "relationships_stg_market_regulation__food_sampling_licence_no__licence_no__ref_x_",
        "not_null_dim_place_township_code",
        "keys_unique",
        "keys_unique",
    ]
    for n, name in enumerate(names):
        key = dg.AssetCheckKey(dg.AssetKey(f"asset_{n}"), name)
        report.checks[key] = CheckOutcome(key, False, dg.AssetCheckSeverity.WARN, {}, None)
    out = io.StringIO()
    print_summary(report, DataDir(tmp_path), tmp_path / "dagster_home", out)
    assert (
        "warnings: 5 checks failed as warnings (relationships 2, keys_unique 2, not_null 1), "
        "each in the log"
    ) in out.getvalue()


def test_a_failed_dbt_build_names_its_node_and_why() -> None:
    # dagster-dbt's message, as the cost curve's 62-million-row city gave it.
    message = (
        "The dbt CLI process with command\n\n`dbt build --select fqn:*`\n\nfailed with exit code `1`."
        " Check the stdout in the Dagster compute logs for the full information about the error.\n\n"
        "Errors parsed from dbt logs:\n\n"
        "\x1b[31mFailure in model int_subject_events (models/intermediate/int_subject_events.sql)\x1b[0m\n\n"
        "  Runtime Error in model int_subject_events (models/intermediate/int_subject_events.sql)\n"
        "  Out of Memory Error: could not allocate block of size 256.0 KiB (3.7 GiB/3.7 GiB used)\n"
        "  \n  Possible solutions:\n  * Reducing the number of threads (SET threads=X)\n"
    )
    assert dbt_failure(message) == (
        "dbt model int_subject_events: Out of Memory Error: could not allocate block of size"
        " 256.0 KiB (3.7 GiB/3.7 GiB used) (give DuckDB more memory: SAFECITY_DUCKDB_MEMORY_LIMIT,"
        " default 4GB; README, Memory and threads)"
    )
    failed_test = (
        "The dbt CLI process with command\n\n`dbt build`\n\nfailed with exit code `1`.\n\n"
        "Errors parsed from dbt logs:\n\nFailure in test unique_dim_place_place_key (models/x.yml)\n\n"
        "  Got 3 results, configured to fail if != 0\n"
    )
    assert dbt_failure(failed_test) == (
        "dbt test unique_dim_place_place_key: Got 3 results, configured to fail if != 0"
    )
    assert dbt_failure("PseudonymKeyError: set SAFECITY_PSEUDONYM_KEY") is None
