"""The department quality scorecard of the tiny city, against what ground_truth/ says was delivered."""

from __future__ import annotations

import polars as pl


def test_scorecard_matches_the_planted_problems_per_feed_and_day(built_city):
    scorecard = pl.read_parquet(
        built_city / "reports" / "scorecard" / "department_scorecard.parquet"
    )
    records = pl.read_parquet(
        str(built_city / "ground_truth" / "records" / "*" / "*" / "*.parquet")
    )
    truth = records.group_by("department", "feed", "delivery_date").agg(
        pl.len().alias("delivered_rows"),
        pl.col("invalid_rule").is_not_null().sum().alias("quarantined_rows"),
        (pl.col("invalid_rule") == "duplicate_key").sum().alias("duplicates"),
        (pl.col("invalid_rule").is_null() & pl.col("noise").list.contains("late_arrival"))
        .sum()
        .alias("late"),
    )
    joined = scorecard.join(
        truth, on=["department", "feed", "delivery_date"], how="full", coalesce=True
    )
    # Every delivered record is scored on its day; days without records score none.
    assert joined.filter(pl.col("delivered_rows").is_null()).height == 0
    assert joined.filter(pl.col("delivered_rows_right").is_null())["delivered_rows"].sum() == 0
    delivered = joined.filter(pl.col("delivered_rows") > 0)
    assert (delivered["delivered_rows"] == delivered["delivered_rows_right"]).all()
    assert (delivered["quarantined_rows"] == delivered["quarantined_rows_right"]).all()
    expected_validity = 1 - delivered["quarantined_rows_right"] / delivered["delivered_rows_right"]
    assert ((delivered["validity"] - expected_validity).abs() < 1e-9).all()
    expected_duplication = delivered["duplicates"] / delivered["delivered_rows_right"]
    assert ((delivered["duplication"] - expected_duplication).abs() < 1e-9).all()
    # Late arrivals are the only records older than their SLA allows.
    with_rows = delivered.filter(pl.col("bronze_rows") > 0)
    expected_timeliness = 1 - with_rows["late"] / with_rows["bronze_rows"]
    assert ((with_rows["timeliness"] - expected_timeliness).abs() < 1e-9).all()
    assert scorecard["completeness"].is_between(0, 1).all()


def test_every_department_is_summarised(built_city):
    summary = pl.read_parquet(
        built_city / "reports" / "scorecard" / "summary_by_department.parquet"
    )
    departments = {p.name for p in (built_city / "landing").iterdir() if p.is_dir()}
    assert set(summary["department"]) == departments
    assert summary["validity"].is_between(0.9, 1).all()
