"""Validating a department's extract: a good one passes, each kind of break fails by name, and the
data docs open as HTML, list every suite, repeat byte for byte, and need no network."""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Callable
from pathlib import Path

import lxml.html
import pandas as pd
import pytest

from pipelines.lib.quality.extract import ManifestError, read_manifest, read_table
from pipelines.lib.quality.reports import NoExtractError, QualityReport, build_quality_report
from pipelines.lib.quality.validation_cache import ValidationCache
from tests.quality.extracts import Extract

TABLES = ["bridge_event_person", "dim_organisation", "dim_person", "fct_event"]


def build(extract: Extract, contracts) -> QualityReport:
    return build_quality_report(extract.folder, extract.report, contracts)


def snapshot(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_reading_the_extract(extract: Extract) -> None:
    manifest = read_manifest(extract.folder)
    assert sorted(manifest.tables) == TABLES
    assert manifest.tables["dim_person"].treatment_of("name") == "pseudonymised"
    assert manifest.tables["dim_person"].rows == 40
    events = read_table(extract.folder, "fct_event")
    # Read file by file: the month= folders add no column.
    assert list(events.columns) == list(extract.tables["fct_event"].columns)
    assert sorted(events["event_key"]) == sorted(extract.tables["fct_event"]["event_key"])
    assert len({p.parent.name for p in (extract.folder / "fct_event").rglob("*.parquet")}) == 3


def test_a_good_extract_meets_its_contracts_and_its_data_docs_list_every_suite(
    extract: Extract, contracts
) -> None:
    report = build(extract, contracts)
    assert report.problems == ()
    assert [t.table for t in report.tables] == TABLES
    assert report.success, report.failures
    assert all(t.success and t.failed == 0 and t.evaluated >= 5 for t in report.tables)
    assert report.evaluated == sum(t.evaluated for t in report.tables)

    index = extract.report / "index.html"
    assert report.index == index and index.is_file()
    document = lxml.html.parse(str(index)).getroot()
    assert document.tag == "html" and document.find("body") is not None
    summary = document.get_element_by_id("safecity-quality-summary")
    assert (
        "fire_rescue" in summary.findtext("h1") and "meets its contracts" in summary.text_content()
    )
    links = {a.get("href") for a in summary.iter("a")}
    for table in report.tables:
        # One validation page and one suite page per table, linked from the index by relative paths.
        pages = list((extract.report / "validations" / table.table).rglob("*.html"))
        assert [p.relative_to(extract.report).as_posix() for p in pages] == [table.validation_page]
        assert {table.validation_page, table.suite_page} <= links
        for page in (table.validation_page, table.suite_page):
            assert lxml.html.parse(str(extract.report / page)).getroot().tag == "html"
    # GX's own index (a scripted table) lists every suite as well.
    gx_index = index.read_text(encoding="utf-8")
    assert all(f"expectations/{table}.html" in gx_index for table in TABLES)


BREAKS: dict[str, tuple[str, Callable[[pd.DataFrame], None], str, str, str | None]] = {
    # name: (table, how it breaks, GX expectation, contract rule, column)
    "null_in_required": ("fct_event", lambda f: f.__setitem__("category", f["category"].where(f.index != 3, None)),
                         "expect_column_values_to_not_be_null", "required", "category"),
    "duplicate_primary_key": ("dim_organisation", lambda f: f.loc.__setitem__((5, "organisation_key"), f.loc[6, "organisation_key"]),
                              "expect_column_values_to_be_unique", "unique", "organisation_key"),
    "enum_violation": ("fct_event", lambda f: f.loc.__setitem__((4, "event_type"), "flood"),
                       "expect_column_values_to_be_in_set", "enum", "event_type"),
    "pattern_violation": ("fct_event", lambda f: f.loc.__setitem__((7, "county_code"), "5101"),
                          "expect_column_values_to_match_regex", "pattern", "county_code"),
    "range_violation": ("fct_event", lambda f: f.__setitem__("deaths", f["deaths"].where(f.index != 8, -1)),
                        "expect_column_values_to_be_between", "range", "deaths"),
    "clear_name_in_pseudonymised_column": ("dim_person", lambda f: f.loc.__setitem__((2, "name"), "张三"),
                                           "expect_column_values_to_match_regex", "pseudonymised", "name"),
    "clear_phone_in_masked_column": ("dim_person", lambda f: f.loc.__setitem__((9, "phone"), "13812345678"),
                                     "expect_column_values_to_match_regex", "masked", "phone"),
    "column_outside_the_contract": ("dim_organisation", lambda f: f.__setitem__("secret_note", "x"),
                                    "expect_table_columns_to_match_set", "columns", None),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(BREAKS))
def test_each_kind_of_break_fails_with_the_expectation_named(
    extract: Extract, contracts, kind: str
) -> None:
    table, breaks, expectation, rule, column = BREAKS[kind]
    breaks(extract.tables[table])
    report = build(extract.write(), contracts)

    assert not report.success
    assert [t.table for t in report.tables if not t.success] == [table]
    (failure,) = report.failures
    assert (failure.table, failure.expectation, failure.rule, failure.column) == (
        table,
        expectation,
        rule,
        column,
    )
    assert failure.words in str(failure)
    if column is not None:
        assert failure.observed.startswith("1 of ") or failure.observed.startswith("2 of "), (
            failure.observed
        )
    else:
        assert failure.observed == "unexpected secret_note"
    if table == "dim_person":
        # Personal values are withheld from the summary (and so from Dagster's metadata).
        assert "张三" not in str(failure) and "13812345678" not in str(failure)
        assert "withheld" in failure.observed
    # The report says so, in words, on its first page.
    summary = (
        lxml.html.parse(str(report.index)).getroot().get_element_by_id("safecity-quality-summary")
    )
    assert "does NOT meet its contracts" in summary.text_content()
    assert failure.words in summary.text_content()


def test_results_keep_counts_and_first_values_but_no_row_index_or_data_hash(
    extract: Extract, contracts, tmp_path: Path
) -> None:
    """What doubled the time of validating a large table is not asked of GX: the index of the
    unexpected rows (its pandas engine copies the frame for it once per expectation) and a hash
    of every value (the batch's fingerprint). What the report shows is still there."""
    extract.tables["fct_event"].loc[4, "event_type"] = "flood"
    cache = ValidationCache(tmp_path / "validations")
    report = build_quality_report(extract.write().folder, extract.report, contracts, cache=cache)

    (failure,) = report.failures
    assert failure.observed == "1 of 40 rows break it, e.g. flood"
    results = [
        json.loads(json.loads(entry.read_text(encoding="utf-8"))["result"])
        for entry in (tmp_path / "validations").glob("*.json")
    ]
    assert len(results) == len(TABLES)
    for result in results:
        assert "pandas_data_fingerprint" not in result["meta"]["batch_markers"]
        index_lists = {"unexpected_index_list", "partial_unexpected_index_list"}
        assert all(not index_lists & set(item["result"]) for item in result["results"])
    (broken,) = [item for r in results for item in r["results"] if not item["success"]]
    assert broken["result"]["unexpected_count"] == 1
    assert broken["result"]["partial_unexpected_list"] == ["flood"]


def test_row_count_other_than_the_manifest_says(extract: Extract, contracts) -> None:
    manifest_path = extract.folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["tables"]["fct_event"]["rows"] = 41
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    (failure,) = build(extract, contracts).failures
    assert (failure.table, failure.rule, failure.observed) == (
        "fct_event",
        "row_count",
        "observed 40",
    )


def test_problems_outside_any_suite_fail_the_report(extract: Extract, contracts) -> None:
    manifest_path = extract.folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["tables"]["dim_secret"] = {"rows": 1, "columns": [{"name": "x", "treatment": "clear"}]}
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    (extract.folder / "dim_organisation" / "part-1.parquet").write_bytes(b"not parquet")
    report = build(extract, contracts)
    assert not report.success
    assert [p.split(":")[0] for p in report.problems] == ["dim_organisation", "dim_secret"]
    assert (
        "not readable as Parquet" in report.problems[0]
        and "no warehouse contract" in report.problems[1]
    )
    assert [t.table for t in report.tables] == ["bridge_event_person", "dim_person", "fct_event"]

    manifest["tables"]["dim_person"]["columns"][0]["treatment"] = "hashed"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ManifestError, match="treatment 'hashed'"):
        read_manifest(extract.folder)
    report = build(extract, contracts)
    assert not report.success and report.tables == () and "treatment 'hashed'" in report.problems[0]
    assert report.index.is_file()


def test_no_extract_no_report(tmp_path: Path, contracts) -> None:
    with pytest.raises(NoExtractError, match="no extract published for fire_rescue"):
        build_quality_report(
            tmp_path / "extracts" / "fire_rescue",
            tmp_path / "reports" / "quality" / "fire_rescue",
            contracts,
        )
    assert not (tmp_path / "reports" / "quality" / "fire_rescue").exists()


def test_same_extract_same_report_offline_and_nothing_left_behind(
    extract: Extract, contracts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    build(extract, contracts)
    first = snapshot(extract.report)
    build(extract, contracts)
    assert snapshot(extract.report) == first

    # GX kept its project in memory: no gx/ folder, nothing in the working directory or
    # home, and in reports/ only the department's report (no temporary folders).
    assert list(workdir.iterdir()) == []
    assert not (tmp_path / "home").exists()
    assert [p.name for p in (extract.root / "reports").iterdir()] == ["quality"]
    assert [p.name for p in (extract.root / "reports" / "quality").iterdir()] == ["fire_rescue"]
    pages = [extract.report / name for name in first if name.endswith(".html")]
    assert len(pages) == 1 + 2 * len(TABLES)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "great-expectations-web-assets" not in text  # the logo beacon points at static/
        assert "ge_load_time" not in text


def test_validates_thirty_thousand_rows_per_table(tmp_path: Path, contracts) -> None:
    """The small city's size: every table of a department's extract at about 30k rows."""
    from tests.quality.extracts import good_tables

    extract = Extract(root=tmp_path / "data", tables=good_tables(rows=30_000)).write()
    build(extract, contracts)  # GX imported and warmed up
    report = build(extract, contracts)
    assert report.success, report.failures
    assert sum(t.rows for t in report.tables) == 105_000
    # About 1.5 s on the reference machine; generous for a loaded one.
    assert report.seconds < 30, report.seconds
