"""Kept validations: a table validated before, with the same files, suite and code, takes its result
from the cache, and its report is the one a fresh validation gives, byte for byte; anything changed
is validated again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pipelines.lib.quality.reports import QualityReport, build_quality_report
from pipelines.lib.quality.validation_cache import KEEP_DAYS, ValidationCache
from tests.quality.extracts import Extract, good_tables
from tests.quality.test_reports import BREAKS, TABLES, snapshot


def build(extract: Extract, contracts, cache: ValidationCache | None) -> QualityReport:
    return build_quality_report(extract.folder, extract.report, contracts, cache=cache)


def validated(report: QualityReport) -> list[str]:
    return [t.table for t in report.tables if not t.kept]


def test_a_kept_validation_gives_the_report_a_fresh_one_gives(
    extract: Extract, contracts, tmp_path: Path
) -> None:
    fresh = snapshot_of(build(extract, contracts, cache=None))
    cache = ValidationCache(tmp_path / "cache")

    first = build(extract, contracts, cache)
    assert validated(first) == TABLES and first.success
    assert snapshot_of(first) == fresh
    assert len(list(cache.folder.glob("*.json"))) == len(TABLES)

    again = build(extract, contracts, cache)
    assert validated(again) == [] and again.success
    assert [(t.table, t.rows, t.evaluated) for t in again.tables] == [
        (t.table, t.rows, t.evaluated) for t in first.tables
    ]
    assert snapshot_of(again) == fresh


@pytest.mark.parametrize("kind", sorted(BREAKS))
def test_a_failing_table_reads_the_same_kept_or_validated(
    extract: Extract, contracts, tmp_path: Path, kind: str
) -> None:
    """The summary quotes what failed (values, counts): the same words from a kept result."""
    table, breaks, *_ = BREAKS[kind]
    breaks(extract.tables[table])
    extract.write()
    fresh = build(extract, contracts, cache=None)
    pages = snapshot_of(fresh)
    cache = ValidationCache(tmp_path / "cache")
    for expected in (TABLES, []):  # validated and kept, then kept
        report = build(extract, contracts, cache)
        assert validated(report) == expected
        assert [str(f) for f in report.failures] == [str(f) for f in fresh.failures] != []
        assert snapshot_of(report) == pages


def test_the_same_tables_in_another_department_are_not_validated_again(
    extract: Extract, contracts, tmp_path: Path
) -> None:
    cache = ValidationCache(tmp_path / "cache")
    build(extract, contracts, cache)
    other = Extract(root=extract.root, department="health", tables=good_tables()).write()
    kept = build(other, contracts, cache)
    assert validated(kept) == []
    # The pages are this department's (its data source names them), as a fresh validation's are.
    assert all(t.validation_page.endswith(f"/health-{t.table}.html") for t in kept.tables)
    assert snapshot_of(kept) == snapshot_of(build(other, contracts, cache=None))


def test_a_changed_file_is_validated_again_and_its_break_found(
    extract: Extract, contracts, tmp_path: Path
) -> None:
    cache = ValidationCache(tmp_path / "cache")
    build(extract, contracts, cache)
    events = extract.tables["fct_event"]
    events.loc[events.index == 3, "category"] = None  # a required value missing
    report = build(extract.write(), contracts, cache)
    assert validated(report) == ["fct_event"]
    assert not report.success
    assert [f.rule for f in report.failures] == ["required"]


def test_a_damaged_entry_is_validated_again_and_replaced(
    extract: Extract, contracts, tmp_path: Path
) -> None:
    cache = ValidationCache(tmp_path / "cache")
    build(extract, contracts, cache)
    for entry in cache.folder.glob("*.json"):
        entry.write_text('{"rows": 40, "result": ', encoding="utf-8")
    report = build(extract, contracts, cache)
    assert validated(report) == TABLES and report.success
    assert validated(build(extract, contracts, cache)) == []


def test_entries_not_used_for_a_week_are_removed(
    extract: Extract, contracts, tmp_path: Path
) -> None:
    cache = ValidationCache(tmp_path / "cache")
    build(extract, contracts, cache)
    entries = sorted(cache.folder.glob("*.json"))
    long_ago = time.time() - (KEEP_DAYS + 1) * 86_400
    for entry in entries:
        os.utime(entry, (long_ago, long_ago))
    build(extract, contracts, cache)  # every entry used again, so kept
    assert cache.prune() == 0
    for entry in entries[:2]:
        os.utime(entry, (long_ago, long_ago))
    assert cache.prune() == 2
    assert sorted(cache.folder.glob("*.json")) == entries[2:]


@pytest.fixture
def extract(tmp_path: Path) -> Extract:
    return Extract(root=tmp_path / "data", tables=good_tables()).write()


def snapshot_of(report: QualityReport) -> dict[str, str]:
    return snapshot(report.report_dir)
