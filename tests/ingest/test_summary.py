"""An ingestion summary's figures and samples, added day by day."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
from polars.testing import assert_frame_equal

import pipelines.lib.ingest.summary as summary_module
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
        _assert_same_figures(summary, read_back)
        assert summary.samples["required_missing"]["_source_row"].to_list() == [1, 3, 3, 4, 1]


def test_a_cached_lake_summary_reads_only_the_parts_written_since(
    data, connection, enterprises, tmp_path, monkeypatch
) -> None:
    """With a cache, each part's figures are kept by its files' size and time: a second look
    reads only the parts it takes samples of failed rows from, a part written again is read
    again, and the figures and samples are those of reading every part."""
    days = [DAY + timedelta(days=n) for n in range(3)]
    bad = {"enterprise_name": ""}  # a required value missing
    deliveries = [
        [enterprise(n, **bad) for n in range(1, 7)],  # more than the samples a rule keeps
        [enterprise(7), enterprise(8, **bad)],
        [enterprise(9, **bad), enterprise(10)],
    ]
    for day, rows in zip(days, deliveries, strict=True):
        deliver(data, enterprises, csv_text(rows).encode("utf-8"), day)
    written = {}
    for ingested in ingest_deliveries(data, enterprises, days, connection):
        written.setdefault(ingested.day, IngestionSummary(enterprises)).add(ingested)

    read: list[str] = []  # "<day folder>/<bronze or quarantine>" per file read
    read_parquet, parquet_rows = summary_module.read_parquet, summary_module.parquet_rows

    def reading_quarantine(path, columns=None):
        read.append(f"{path.parent.name}/quarantine")
        return read_parquet(path, columns=columns)

    def reading_bronze(path):
        read.append(f"{path.parent.name}/bronze")
        return parquet_rows(path)

    monkeypatch.setattr(summary_module, "read_parquet", reading_quarantine)
    monkeypatch.setattr(summary_module, "parquet_rows", reading_bronze)
    cache = tmp_path / "lake_figures.json"
    first = lake_summary(data, enterprises, days, cache=cache)
    assert {part.split("/")[0] for part in read} == {f"date={day}" for day in days}
    _assert_same_figures(first, lake_summary(data, enterprises, days))

    read.clear()
    second = lake_summary(data, enterprises, days, cache=cache)
    # The first day gives every sample (five of its six failed rows); the others are counted.
    samples_only = [f"date={days[0]}/bronze", f"date={days[0]}/quarantine"]
    assert sorted(set(read)) == samples_only
    _assert_same_figures(second, first)

    # The days a step has just written are kept as it counted them, not read back, next time too.
    after_a_step = tmp_path / "after_a_step.json"
    lake_summary(data, enterprises, days, written, cache=after_a_step)
    read.clear()
    _assert_same_figures(lake_summary(data, enterprises, days, cache=after_a_step), first)
    assert sorted(set(read)) == samples_only

    deliver(
        data, enterprises, csv_text([enterprise(9, **bad), enterprise(11, **bad)]).encode(), days[2]
    )
    list(ingest_deliveries(data, enterprises, [days[2]], connection))
    read.clear()
    third = lake_summary(data, enterprises, days, cache=cache)
    assert {part.split("/")[0] for part in read} == {f"date={days[0]}", f"date={days[2]}"}
    assert third.quarantined == first.quarantined + 1
    _assert_same_figures(third, lake_summary(data, enterprises, days))

    document = json.loads(cache.read_text(encoding="utf-8"))
    for entry in document["entries"].values():
        entry["quarantined"] = "damaged"
    cache.write_text(json.dumps(document), encoding="utf-8")
    _assert_same_figures(lake_summary(data, enterprises, days, cache=cache), third)


def _assert_same_figures(summary: IngestionSummary, expected: IngestionSummary) -> None:
    assert (summary.days, summary.landed, summary.bronze, summary.quarantined) == (
        expected.days,
        expected.landed,
        expected.bronze,
        expected.quarantined,
    )
    assert (summary.rules, summary.rule_columns) == (expected.rules, expected.rule_columns)
    assert summary.samples.keys() == expected.samples.keys()
    for rule, rows in expected.samples.items():
        assert_frame_equal(summary.samples[rule], rows)
