"""The dispatch loop on the tiny city, against what the generator planted (ground_truth/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines import cli
from pipelines.lib import dispatch_report
from pipelines.lib.city_profile import city_profile

STAGES = ("signed", "on_scene", "handled", "closed")


@pytest.fixture(scope="module")
def loop(built_city: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(built_city / "analytics.duckdb"), read_only=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def truth(built_city: Path) -> pl.DataFrame:
    return pl.read_parquet(built_city / "ground_truth" / "dispatch_assignments.parquet")


def _local(frame: pl.DataFrame, timezone: str) -> pl.DataFrame:
    return frame.with_columns(
        pl.col(f"{s}_at").dt.convert_time_zone(timezone).dt.replace_time_zone(None) for s in STAGES
    )


def test_every_assignment_and_its_lifecycle_times_match_the_truth(
    loop: duckdb.DuckDBPyConnection, truth: pl.DataFrame, built_city: Path
) -> None:
    timezone = city_profile(built_city).timezone  # the truth's times are the city's local times
    mart = _local(
        loop.execute(
            "select instruction_id, department, role, signed_at, on_scene_at, handled_at, closed_at "
            "from dispatch_assignments"
        ).pl(),
        timezone,
    )
    expected = truth.select(
        "instruction_id",
        "department",
        "role",
        *(f"{s}_at" for s in STAGES),
        "incomplete",
    ).with_columns(
        # An incomplete feedback leaves out the handling step: not delivered, not found.
        pl.when(~pl.col("incomplete")).then(pl.col("handled_at")).alias("handled_at")
    )
    assert mart.height == expected.height > 0
    joined = expected.join(mart, on=["instruction_id", "department"], suffix="_mart", how="left")
    assert joined.filter(pl.col("role_mart").is_null()).height == 0
    for stage in STAGES:
        column = f"{stage}_at"
        wrong = joined.filter(
            pl.col(column)
            .dt.cast_time_unit("us")
            .ne_missing(pl.col(f"{column}_mart").dt.cast_time_unit("us"))
        )
        assert wrong.height == 0, (stage, wrong.head(3))
    # and the durations are those times' differences
    differences = loop.execute(
        """select count(*) from dispatch_assignments
           where minutes_to_sign is distinct from date_diff('second', issued_at, signed_at) / 60.0
              or hours_to_close is distinct from date_diff('second', issued_at, closed_at) / 3600.0"""
    ).fetchone()[0]
    assert differences == 0


def test_unanswered_and_false_closures_are_found_exactly(
    loop: duckdb.DuckDBPyConnection, built_city: Path
) -> None:
    truth_dir = built_city / "ground_truth"
    unanswered = dispatch_report.unanswered(loop, truth_dir)
    false_closures = dispatch_report.false_closures(loop, truth_dir)
    assert unanswered.planted > 0 and false_closures.planted > 0
    assert (unanswered.precision, unanswered.recall) == (1.0, 1.0)
    assert (false_closures.precision, false_closures.recall) == (1.0, 1.0)


def test_an_unanswered_assignment_is_one_whose_signing_deadline_has_passed(
    loop: duckdb.DuckDBPyConnection,
) -> None:
    late = loop.execute(
        """select count(*) filter (where unanswered and sign_by > as_of),
                  count(*) filter (where status = 'awaiting_signature' and sign_by <= as_of)
           from dispatch_assignments"""
    ).fetchone()
    assert late == (0, 0)


def test_every_planted_uninstructed_warning_is_listed(
    loop: duckdb.DuckDBPyConnection, built_city: Path
) -> None:
    listed = dispatch_report.uninstructed_listed(loop, built_city / "ground_truth")
    assert listed and all(listed)
    # and no listed warning has an instruction on its rule and subject
    answered = loop.execute(
        """select count(*) from uninstructed_warnings as u
           join dispatch_instructions as i
             on i.source_type = u.rule_id and u.subject_key in (i.organisation_key, i.place_key)
            and i.issued_at <= u.issued_at and i.issued_at > u.issued_at - interval 3 day"""
    ).fetchone()[0]
    assert answered == 0


def test_escalations_due_are_overdue_open_assignments_without_their_notice(
    loop: duckdb.DuckDBPyConnection, built_city: Path
) -> None:
    rows = loop.execute(
        """select e.*, a.closed_at, a.as_of from escalations_due as e
           join dispatch_assignments as a using (instruction_id, department)"""
    ).pl()
    assert rows.height > 0
    assert rows["closed_at"].null_count() == rows.height
    assert (rows["due_since"] <= rows["as_of"]).all()
    sent = loop.execute(
        """select count(*) from escalations_due as e
           join read_parquet($notices) as n
             on n.instruction_id = e.instruction_id and n.department = e.department
            and n.overdue_stage = e.overdue_stage and n.step = e.step""",
        {
            "notices": str(
                built_city / "lake/bronze/command_centre/supervision_notices/date=*/*.parquet"
            )
        },
    ).fetchone()[0]
    assert sent == 0


def test_the_assessment_counts_what_the_assignments_hold(loop: duckdb.DuckDBPyConnection) -> None:
    mismatched = loop.execute(
        """select count(*) from dispatch_assessment as s
           join (select department, count(*) as n, count(*) filter (where unanswered) as u
                 from dispatch_assignments group by all) as a using (department)
           where s.period = 'all' and (s.assignments <> a.n or s.unanswered <> a.u)"""
    ).fetchone()[0]
    assert mismatched == 0
    assert dispatch_report.department_ranks(loop)


def test_rule_feedback_counts_the_lead_departments_outcomes(
    loop: duckdb.DuckDBPyConnection,
) -> None:
    rows = loop.execute(
        "select source_type, closed, problem_found, no_problem from rule_feedback"
    ).fetchall()
    assert rows
    assert all(found + not_found <= closed for _, closed, found, not_found in rows)
    assert sum(found for _, _, found, _ in rows) > 0


def test_each_department_receives_its_own_instructions_and_assessment(
    loop: duckdb.DuckDBPyConnection, built_city: Path
) -> None:
    extracts = built_city / "extracts"
    everyone = loop.execute(
        "select department, count(*) from dispatch_assignments group by all"
    ).fetchall()
    assert everyone
    for department, count in everyone:
        own = pl.read_parquet(extracts / department / "dispatch_assignments" / "*.parquet")
        assert set(own["department"]) == {department}
        assert own.height == count
        assessment = pl.read_parquet(extracts / department / "dispatch_assessment" / "*.parquet")
        assert set(assessment["department"]) == {department}
    centre = pl.read_parquet(extracts / "command_centre" / "dispatch_assignments" / "*.parquet")
    assert centre.height == sum(count for _, count in everyone)


def test_safecity_loop_prints_the_open_instructions_on_the_citys_clock(
    loop: duckdb.DuckDBPyConnection, built_city: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["loop", "--data-dir", str(built_city)]) == 0
    printed = capsys.readouterr().out
    zone = city_profile(built_city).timezone
    oldest = (
        loop.execute(
            "select department, issued_at from dispatch_assignments where closed_at is null"
        )
        .pl()
        .group_by("department")
        .agg(pl.col("issued_at").min().dt.convert_time_zone(zone).dt.strftime("%Y-%m-%d %H:%M"))
    )
    assert oldest.height
    for department, issued in oldest.iter_rows():
        row = next(line for line in printed.splitlines() if line.startswith(f"| {department} "))
        assert row.rstrip(" |").endswith(issued), (row, issued)
    assert "assessment over the window" in printed
    for department in dispatch_report.department_ranks(loop):
        assert f"| {department} " in printed.split("assessment over the window")[1]
