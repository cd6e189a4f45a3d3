"""The quality_report/<department> assets: their definitions, and their check on good and broken extracts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.defs.quality.assets import (
    CHECK_NAME,
    DEPARTMENTS,
    QUALITY_GROUP,
    QUALITY_REPORTS,
    extract_key,
    quality_report_key,
)
from pipelines.lib.contracts import contracts_dir
from pipelines.lib.resources import DATA_DIR_RESOURCE_KEY, DataDirResource
from tests.quality.extracts import DEPARTMENT, Extract


def materialize(root: Path, department: str = DEPARTMENT) -> dg.ExecuteInProcessResult:
    (asset,) = [a for a in QUALITY_REPORTS if quality_report_key(department) in a.keys]
    return dg.materialize(
        [asset],
        resources={DATA_DIR_RESOURCE_KEY: DataDirResource(root=str(root))},
        raise_on_error=False,
    )


def only_check(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == CHECK_NAME
    return check


def test_one_report_per_department_downstream_of_its_extract() -> None:
    from pipelines.definitions import defs

    assert (
        tuple(sorted(p.name for p in (contracts_dir() / "feeds").iterdir() if p.is_dir()))
        == DEPARTMENTS
    )
    graph = defs.resolve_asset_graph()
    for department in DEPARTMENTS:
        node = graph.get(quality_report_key(department))
        assert node.group_name == QUALITY_GROUP
        assert node.parent_keys == {extract_key(department)}
        assert set(node.check_keys) == {
            dg.AssetCheckKey(quality_report_key(department), CHECK_NAME)
        }


def test_loading_the_code_location_does_not_import_great_expectations() -> None:
    code = "import sys, pipelines.definitions; print('great_expectations' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.stdout.strip() == "False", result.stderr


def test_good_extract_passes_and_links_its_report(extract: Extract) -> None:
    result = materialize(extract.root)
    assert result.success
    (materialization,) = result.asset_materializations_for_node(f"quality_report__{DEPARTMENT}")
    metadata = materialization.metadata
    assert metadata["report"].value == str(extract.report / "index.html")
    assert Path(metadata["report"].value).is_file()
    assert metadata["report_url"].value == (extract.report / "index.html").as_uri()
    assert metadata["tables"].value == 4 and metadata["failed_expectations"].value == 0
    assert "| fct_event | 40 |" in metadata["summary"].value

    check = only_check(result)
    assert check.passed
    assert check.metadata["failed_tables"].value == "none"
    assert set(check.metadata["per_table"].value) == {
        "bridge_event_person",
        "dim_organisation",
        "dim_person",
        "fct_event",
    }


def test_broken_extract_fails_its_check_with_the_expectations_in_words(extract: Extract) -> None:
    events = extract.tables["fct_event"]
    events.loc[4, "event_type"] = "flood"
    events.loc[5, "event_key"] = events.loc[6, "event_key"]
    events["category"] = events["category"].where(events.index != 3, None)
    extract.write()

    result = materialize(extract.root)
    assert result.success  # the asset materialised; its check says the extract is broken
    check = only_check(result)
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["failed_tables"].value == "fct_event"
    assert check.metadata["failed_expectations"].value == 3
    failures = check.metadata["failures"].value
    # The types the feeds' mappings give (enumFrom), sorted; and the value that broke it.
    assert "fct_event: event_type is one of: affray, air_quality_episode, " in failures
    assert "work_accident; 1 of 40 rows break it, e.g. flood" in failures
    assert (
        "fct_event: event_key is the primary key: no duplicates; 2 of 40 rows break it" in failures
    )
    assert "fct_event: category is required: no empty values; 1 of 40 rows break it" in failures
    assert check.metadata["per_table"].value["fct_event"]["failed"] == 3
    assert check.description.startswith("1 of 4 tables fail: fct_event: ")


def test_no_extract_warns_and_leaves_no_stale_report(extract: Extract) -> None:
    assert only_check(materialize(extract.root)).passed
    assert extract.report.is_dir()
    (extract.folder / "manifest.json").unlink()

    result = materialize(extract.root)
    assert result.success
    check = only_check(result)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "No extract published for fire_rescue" in check.description
    assert not extract.report.exists()
