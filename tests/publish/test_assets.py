"""The publish stage in Dagster: one asset per department, its metadata, the manifest check, the key
(with the extracts and the audit log local and in S3)."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs
from pipelines.defs.publish.assets import (
    CHECK_NAME,
    DEPARTMENTS,
    build_extract_asset,
    build_manifest_check,
    extract_key,
)
from pipelines.lib.contracts import CONTRACTS_DIR_ENV, contracts_dir
from pipelines.lib.publish.manifest import verify_extract
from pipelines.lib.publish.pseudonym import PSEUDONYM_KEY_ENV
from pipelines.lib.resources import DATA_DIR_RESOURCE_KEY, DataDirResource
from tests.publish.helpers import files_of


def _materialize(
    department: str, root: Path, *, check_only: bool = False
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [build_extract_asset(department), build_manifest_check(department)],
        selection=dg.AssetSelection.checks_for_assets(extract_key(department))
        if check_only
        else None,
        resources={DATA_DIR_RESOURCE_KEY: DataDirResource(root=str(root))},
        raise_on_error=False,
    )


def test_one_asset_per_department_after_the_analytics_copy() -> None:
    graph = defs.resolve_asset_graph()
    for department in DEPARTMENTS:
        node = graph.get(extract_key(department))
        assert node.group_name == "publish"
        assert dg.AssetKey("analytics_copy") in node.parent_keys
        assert dg.AssetCheckKey(extract_key(department), CHECK_NAME) in graph.asset_check_keys
        assert not node.pools  # reads the analytics copy: not in the warehouse pool


def test_safecity_run_published_every_department(extracts) -> None:
    for department in DEPARTMENTS:
        assert verify_extract(extracts / department) == []


def test_the_asset_reports_what_it_published(city_copy, policy) -> None:
    result = _materialize("traffic_police", city_copy.root)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("extracts__traffic_police")
    metadata = materialization.metadata
    assert metadata["tables"].value == len(policy.departments["traffic_police"].tables)
    assert metadata["rows"].value > 1000 and metadata["files"].value >= 10
    assert metadata["personal_data"].value == "clear"
    assert metadata["manifest"].value == str(
        city_copy.extracts / "traffic_police" / "manifest.json"
    )
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == CHECK_NAME and check.passed


def test_the_check_can_run_again_and_finds_a_changed_file(city_copy) -> None:
    assert _materialize("fire_rescue", city_copy.root).success
    target = next(f for f in files_of(city_copy.extracts / "fire_rescue") if f.suffix == ".parquet")
    target.write_bytes(target.read_bytes()[:-1] + bytes([target.read_bytes()[-1] ^ 0xFF]))

    result = _materialize("fire_rescue", city_copy.root, check_only=True)
    assert not result.asset_materializations_for_node(
        "extracts__fire_rescue"
    )  # the check alone ran
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    assert check.metadata["problems"].value == 1
    assert "changed" in check.metadata["first_problems"].value


def test_a_missing_key_fails_with_a_clear_message(city_copy, monkeypatch) -> None:
    monkeypatch.delenv(PSEUDONYM_KEY_ENV, raising=False)
    result = _materialize("fire_rescue", city_copy.root)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert "SAFECITY_PSEUDONYM_KEY is not set" in str(failure)
    assert not (city_copy.extracts / "fire_rescue").exists()
    # A department granted personal data in clear needs no key.
    assert _materialize("traffic_police", city_copy.root).success


def test_a_department_the_policy_no_longer_lists_is_withdrawn(
    city_copy, tmp_path, monkeypatch
) -> None:
    assert _materialize("ecology_environment", city_copy.root).success
    assert (city_copy.extracts / "ecology_environment" / "manifest.json").is_file()

    contracts = tmp_path / "contracts"
    shutil.copytree(contracts_dir(), contracts)
    policy = contracts / "sharing" / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text[: text.index("  ecology_environment:")], encoding="utf-8")
    monkeypatch.setenv(CONTRACTS_DIR_ENV, str(contracts))

    result = _materialize("ecology_environment", city_copy.root)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("extracts__ecology_environment")
    assert materialization.metadata["granted"].value is False
    assert not (city_copy.extracts / "ecology_environment").exists()
    (check,) = result.get_asset_check_evaluations()
    assert check.passed and check.metadata["extract"].value == "none (nothing granted)"
