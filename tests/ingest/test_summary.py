"""An ingestion summary's figures and samples, added day by day."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from polars.testing import assert_frame_equal

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.lib.ingest.ingest import ingest_deliveries
from pipelines.lib.ingest.summary import IngestionSummary, lake_summary
from tests.ingest.deliveries import DAY, csv_text, deliver, enterprise

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


def test_the_lake_summary_takes_the_days_a_step_wrote_as_it_would_read_them_back(
    data, connection, enterprises
) -> None:
    """A day the step has just written stands in the lake's summary with its own figures and
    samples, the same as reading its partition back."""
    days = [DAY + timedelta(days=n) for n in range(3)]
    bad = {"enterprise_name": ""}  # a required value missing
    deliveries = [
        [enterprise(1, **bad), enterprise(2), enterprise(3, **bad)],
        [enterprise(4), enterprise(2), enterprise(5, **bad), enterprise(6, **bad)],  # 2: a repeat
        [enterprise(7, **bad), enterprise(8, **bad), enterprise(1)],
    ]
    for day, rows in zip(days, deliveries, strict=True):
        deliver(data, enterprises, csv_text(rows).encode("utf-8"), day)
    written = {}
    for ingested in ingest_deliveries(data, enterprises, days, connection):
        written.setdefault(ingested.day, IngestionSummary(enterprises)).add(ingested)
    read_back = lake_summary(data, enterprises, days)
    assert (read_back.landed, read_back.quarantined) == (10, 7)
    assert read_back.rules == {"required_missing": 6, "duplicate_key": 1}
    for taken in ({day: written[day] for day in days[::2]}, written):
        summary = lake_summary(data, enterprises, days, taken)
        assert (summary.days, summary.landed, summary.bronze, summary.quarantined) == (
            read_back.days,
            read_back.landed,
            read_back.bronze,
            read_back.quarantined,
        )
        assert (summary.rules, summary.rule_columns) == (read_back.rules, read_back.rule_columns)
        assert summary.samples.keys() == read_back.samples.keys()
        for rule, rows in read_back.samples.items():
            assert_frame_equal(summary.samples[rule], rows)
        assert summary.samples["required_missing"]["_source_row"].to_list() == [1, 3, 3, 4, 1]
