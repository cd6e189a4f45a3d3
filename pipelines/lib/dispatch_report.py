"""The dispatch loop as people read it (`safecity loop`), and, on a sample city, measured
against its ground truth: what the marts found of what the generator planted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl


@dataclass(frozen=True)
class Found:
    """Precision and recall of a set of (instruction, department) pairs against the truth."""

    true_positives: int
    found: int
    planted: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.planted if self.planted else 1.0


def _pairs(frame: pl.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["instruction_id"], frame["department"], strict=True))


def _found(marked: set[tuple[str, str]], truth: set[tuple[str, str]]) -> Found:
    return Found(len(marked & truth), len(marked), len(truth))


def assignments(analytics: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return analytics.execute("select * from dispatch_assignments").pl()


def unanswered(analytics: duckdb.DuckDBPyConnection, truth_dir: Path) -> Found:
    truth = pl.read_parquet(truth_dir / "dispatch_assignments.parquet")
    mart = assignments(analytics)
    return _found(
        _pairs(mart.filter(pl.col("unanswered"))), _pairs(truth.filter(pl.col("unanswered")))
    )


def false_closures(analytics: duckdb.DuckDBPyConnection, truth_dir: Path) -> Found:
    truth = pl.read_parquet(truth_dir / "dispatch_assignments.parquet")
    mart = assignments(analytics)
    return _found(
        _pairs(mart.filter(pl.col("reopened"))), _pairs(truth.filter(pl.col("false_closure")))
    )


def department_ranks(analytics: duckdb.DuckDBPyConnection, period: str = "all") -> list[str]:
    """Departments by score, best first, for one period ('all' or 'YYYY-MM')."""
    rows = analytics.execute(
        "select department from dispatch_assessment where period = ? order by score desc, department",
        [period],
    ).fetchall()
    return [row[0] for row in rows]


def slow_departments(truth_dir: Path) -> list[str]:
    return sorted(pl.read_parquet(truth_dir / "slow_departments.parquet")["department"])


def uninstructed_listed(analytics: duckdb.DuckDBPyConnection, truth_dir: Path) -> list[bool]:
    """For each warning situation planted without an instruction: whether uninstructed_warnings
    lists a warning of its rule on its organisation (by credit code)."""
    planted = pl.read_parquet(truth_dir / "uninstructed_warnings.parquet")
    listed = analytics.execute(
        """select u.rule_id, o.uscc from uninstructed_warnings as u
           join dim_organisation as o on o.organisation_key = u.subject_key"""
    ).fetchall()
    return [
        (row["rule_id"], row["subject_uscc"]) in set(listed)
        for row in planted.iter_rows(named=True)
    ]


def open_by_department(analytics: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Open assignments (not closed) per department: how many, overdue, unanswered, oldest."""
    return analytics.execute(
        """select department,
                  count(*) as open,
                  count(*) filter (where status = 'unanswered') as unanswered,
                  count(*) filter (where sign_overdue or arrive_overdue or close_overdue) as overdue,
                  count(*) filter (where role = 'lead') as leading,
                  strftime(min(issued_at), '%Y-%m-%d %H:%M') as oldest_issued
           from dispatch_assignments where closed_at is null
           group by all order by open desc, department"""
    ).pl()


def open_instructions(analytics: duckdb.DuckDBPyConnection, per_department: int) -> pl.DataFrame:
    """The oldest open assignments of each department, most overdue first."""
    return analytics.execute(
        """select department, instruction_id, source_type, level, status,
                  strftime(issued_at, '%m-%d %H:%M') as issued
           from dispatch_assignments where closed_at is null
           qualify row_number() over (partition by department order by issued_at, instruction_id) <= ?
           order by department, issued_at""",
        [per_department],
    ).pl()


def assessment(analytics: duckdb.DuckDBPyConnection, period: str = "all") -> pl.DataFrame:
    return analytics.execute(
        """select score_rank as rank, department, assignments, on_time_sign_rate as sign_on_time,
                  on_time_close_rate as close_on_time, overdue_backlog as backlog, unanswered,
                  reopen_rate, feedback_completeness as feedback, score
           from dispatch_assessment where period = ? order by score_rank, department""",
        [period],
    ).pl()


def table(frame: pl.DataFrame) -> str:
    """A frame as a compact text table (no shape or type lines), to fit a screen."""
    with pl.Config(
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        tbl_rows=60,
        tbl_cols=20,
        tbl_width_chars=140,
        tbl_formatting="ASCII_MARKDOWN",
        float_precision=3,
    ):
        return str(frame)
