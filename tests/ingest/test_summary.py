"""An ingestion summary's figures and samples, added day by day."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.lib.ingest.summary import IngestionSummary

CONTRACT = FEED_CONTRACTS[("emergency_management", "hidden_hazards")]


def _quarantine(rules: list[tuple[str, str | None]], first_row: int = 1) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "_source_row": range(first_row, first_row + len(rules)),
            "rule": [rule for rule, _ in rules],
            "column": [column for _, column in rules],
        },
        schema={"_source_row": pl.Int64, "rule": pl.String, "column": pl.String},
    )


def test_rows_are_counted_by_rule_and_column_and_samples_kept_in_delivered_order() -> None:
    summary = IngestionSummary(CONTRACT, sample_size=2)
    summary.add_rows(
        date(2026, 10, 1),
        10,
        _quarantine(
            [("required_missing", "name"), ("pattern_mismatch", "code"), ("required_missing", None)]
        ),
    )
    summary.add_rows(
        date(2026, 10, 2), 5, _quarantine([("required_missing", "name")] * 2, first_row=7)
    )
    assert (summary.landed, summary.bronze, summary.quarantined) == (20, 15, 5)
    assert summary.rules == {"required_missing": 4, "pattern_mismatch": 1}
    assert summary.rule_columns == {
        ("required_missing", "name"): 3,
        ("required_missing", ""): 1,
        ("pattern_mismatch", "code"): 1,
    }
    assert summary.samples["required_missing"]["_source_row"].to_list() == [1, 3]  # two, the first
    assert summary.samples["pattern_mismatch"]["_source_row"].to_list() == [2]
    assert summary.rules_short_of_samples({"required_missing", "pattern_mismatch"}) == [
        "pattern_mismatch"
    ]


def test_a_summary_without_samples_keeps_none_and_wants_none() -> None:
    summary = IngestionSummary(CONTRACT, sample_size=0)
    summary.add_rows(date(2026, 10, 1), 3, _quarantine([("required_missing", "name")]))
    assert summary.rules == {"required_missing": 1}
    assert summary.samples == {}
    assert summary.sample_failures() is None
    # Nothing to look for: the step's own summaries never read a quarantine's whole rows.
    assert summary.rules_short_of_samples({"required_missing"}) == []
