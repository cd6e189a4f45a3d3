"""The dbt files generated from the feed contracts: current in the repository, complete for a feed
the code has never seen, and safe whatever a contract says. Rendered in memory (no dbt run): the
models' results are tested by the warehouse tests, which build them."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import duckdb
import jinja2
import pytest
import yaml

from pipelines.cli import main as safecity
from pipelines.lib.contracts import load_feed_contracts
from pipelines.lib.dbt_models.project import (
    GENERATED_DIR,
    GenerateError,
    generated_files,
    stale,
    warehouse_coverage_notes,
    write,
)
from pipelines.lib.dbt_models.sources import sources_file
from pipelines.lib.dbt_models.sql import literal
from pipelines.lib.dbt_models.staging import record_id_key

REPO_ROOT = Path(__file__).resolve().parents[2]
REPO_CONTRACTS = REPO_ROOT / "contracts"
REPO_DBT = REPO_ROOT / "dbt_project"
SOURCES = Path("models/staging/_sources.yml")


def _sources(text: str) -> dict[str, dict]:
    return {source["name"]: source for source in yaml.safe_load(text)["sources"]}


def _new_department(contracts: Path) -> None:
    """A feed of a department neither the code nor the vocabulary knows: fire and rescue's
    incidents contract, renamed (its mapping names organisations, places and events)."""
    text = (contracts / "feeds/fire_rescue/fire_incidents.odcs.yaml").read_text("utf-8")
    text = text.replace("fire_rescue", "urban_management").replace("fire_incidents", "case_reports")
    (contracts / "feeds/urban_management").mkdir()
    (contracts / "feeds/urban_management/case_reports.odcs.yaml").write_text(text, "utf-8")


@pytest.fixture(scope="module")
def repository_files() -> dict[Path, str]:
    return generated_files(REPO_CONTRACTS)


def test_the_checked_in_generated_dbt_files_are_current(repository_files: dict[Path, str]) -> None:
    assert stale(REPO_DBT, repository_files) == [], "stale: run `safecity contract generate`"


def test_every_valid_feed_is_a_source_table_and_a_staging_model(
    repository_files: dict[Path, str],
) -> None:
    contracts = load_feed_contracts(REPO_CONTRACTS)
    sources = _sources(repository_files[SOURCES])
    tables = {(d, t["name"]) for d, s in sources.items() for t in s["tables"]}
    assert tables == set(contracts)
    for department, source in sources.items():
        assert f"/bronze/{department}/{{name}}/*/*.parquet'" in source["meta"]["external_location"]
        for table in source["tables"]:
            assert table["meta"]["dagster"]["asset_key"] == ["bronze", department, table["name"]]
    staged = {
        (path.parent.name, path.stem.split("__", 1)[1])
        for path in repository_files
        if path.name.startswith("stg_")
    }
    assert staged == set(contracts)


def test_the_record_ids_are_the_keys_as_every_key_was_hashed_before() -> None:
    """Event keys, linkage keys and the linkage ground truth all hash `<feed>:<key>`: a code part
    is joined by '/', a time part by '@' as DuckDB writes it, and a text key is not cast."""
    contracts = load_feed_contracts(REPO_CONTRACTS)
    keys = {(c.department, c.feed): record_id_key(c) for c in contracts.values()}
    assert keys[("emergency_management", "hazard_sources")] == "hazard_source_code || '/' || cas_no"
    assert keys[("traffic_police", "traffic_flow")] == (
        "detector_id || '@' || cast(interval_start as varchar)"
    )
    assert keys[("ecology_environment", "air_quality_hourly")] == (
        "station_code || '@' || cast(measured_at as varchar)"
    )
    single = {k: v for k, v in keys.items() if len(contracts[k].key) == 1}
    assert single == {k: contracts[k].key[0] for k in single}


def test_a_new_mapped_feed_reaches_every_union_with_no_sql_by_hand(tmp_path: Path) -> None:
    contracts_dir = tmp_path / "contracts"
    shutil.copytree(REPO_CONTRACTS, contracts_dir)
    _new_department(contracts_dir)
    dbt_dir = tmp_path / "dbt_project"
    shutil.copytree(REPO_DBT / "models", dbt_dir / "models")

    files = generated_files(contracts_dir)
    changes = write(dbt_dir, files)

    assert stale(dbt_dir, files) == []
    staging = Path("models/staging/urban_management/stg_urban_management__case_reports.sql")
    assert staging in changes.written
    assert "source('urban_management', 'case_reports')" in (dbt_dir / staging).read_text("utf-8")
    sources = _sources((dbt_dir / SOURCES).read_text("utf-8"))
    assert sources["urban_management"]["description"] == (
        "Bronze feeds of urban management, held to contracts/feeds/urban_management/."
    )
    ref = "ref('stg_urban_management__case_reports')"
    for model in ("organisation_mentions", "place_mentions", "events", "source_records"):
        assert ref in (dbt_dir / GENERATED_DIR / f"int_{model}.sql").read_text("utf-8"), model
    assert ref not in (dbt_dir / GENERATED_DIR / "int_person_mentions.sql").read_text("utf-8")

    # And when its contract goes, so do its models: nothing lingers to read a missing source.
    shutil.rmtree(contracts_dir / "feeds/urban_management")
    changes = write(dbt_dir, generated_files(contracts_dir))
    assert staging in changes.removed
    assert not (dbt_dir / staging).exists()
    assert "urban_management" not in (dbt_dir / GENERATED_DIR / "int_events.sql").read_text("utf-8")


@pytest.mark.parametrize(
    "value", ["不符合", "it's", "-- not a comment", "{{ 7 * 7 }}", "{% if x %}", "a}}b{#c"]
)
def test_a_contract_value_stays_a_value_through_jinja_and_sql(value: str) -> None:
    """Enum values and constants reach SQL only as literals; dbt renders models as Jinja first."""
    sql = jinja2.Environment().from_string(f"select {literal(value)}").render()
    assert duckdb.sql(sql).fetchone() == (value,)


@pytest.mark.parametrize(
    "words",
    ["Counts {{ 7 * 7 }} and {% if x %}", "Keys `{permit_no}` {# not a comment #}", "{{{"],
)
def test_a_contract_description_is_shown_as_written_never_run_by_dbt(words: str) -> None:
    contracts = load_feed_contracts(REPO_CONTRACTS)
    key = ("fire_rescue", "fire_incidents")
    changed = {key: dataclasses.replace(contracts[key], description=words)}
    table = _sources(sources_file(changed, None))["fire_rescue"]["tables"][0]
    # dbt renders every description with Jinja before it is shown.
    assert jinja2.Environment().from_string(table["description"]).render() == words


def _broken_contracts(tmp_path: Path) -> Path:
    contracts_dir = tmp_path / "contracts"
    shutil.copytree(REPO_CONTRACTS, contracts_dir)
    broken = contracts_dir / "feeds/fire_rescue/fire_incidents.odcs.yaml"
    broken.write_text(broken.read_text("utf-8").replace("version:", "versions:", 1), "utf-8")
    return contracts_dir


def test_nothing_is_generated_while_a_contract_is_invalid(tmp_path: Path) -> None:
    """A feed left out would silently leave the warehouse."""
    with pytest.raises(GenerateError) as error:
        generated_files(_broken_contracts(tmp_path))
    assert any("fire_incidents.odcs.yaml" in message for message in error.value.messages)


def test_the_command_says_what_to_fix_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dbt_dir = tmp_path / "dbt_project"
    shutil.copytree(REPO_DBT / "models", dbt_dir / "models")
    before = (dbt_dir / SOURCES).read_text("utf-8")
    monkeypatch.setenv("SAFECITY_CONTRACTS_DIR", str(_broken_contracts(tmp_path)))
    monkeypatch.setenv("SAFECITY_DBT_PROJECT_DIR", str(dbt_dir))

    assert safecity(["contract", "generate"]) == 1

    out = capsys.readouterr()
    assert "fire_incidents.odcs.yaml" in out.out
    assert "safecity contract check" in out.err
    assert (dbt_dir / SOURCES).read_text("utf-8") == before


def test_check_reports_stale_files_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dbt_dir = tmp_path / "dbt_project"
    shutil.copytree(REPO_DBT / "models", dbt_dir / "models")
    monkeypatch.setenv("SAFECITY_DBT_PROJECT_DIR", str(dbt_dir))
    assert safecity(["contract", "generate", "--check"]) == 0

    (dbt_dir / GENERATED_DIR / "int_events.sql").write_text("-- edited by hand\n", "utf-8")

    assert safecity(["contract", "generate", "--check"]) == 1
    assert "int_events.sql" in capsys.readouterr().out


def test_a_run_is_told_what_the_warehouse_does_not_follow(tmp_path: Path) -> None:
    """A changed mapping not generated yet, and a feed with no mapping: both said, with what to do."""
    contracts_dir = tmp_path / "contracts"
    shutil.copytree(REPO_CONTRACTS, contracts_dir)
    dbt_dir = tmp_path / "dbt_project"
    shutil.copytree(REPO_DBT / "models", dbt_dir / "models")
    assert warehouse_coverage_notes(contracts_dir, dbt_dir) == []

    sampling = contracts_dir / "feeds/market_regulation/food_sampling.odcs.yaml"
    document = yaml.safe_load(sampling.read_text("utf-8"))
    document["customProperties"] = [
        p for p in document["customProperties"] if p["property"] != "mapping"
    ]
    sampling.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")

    stale_note, unmapped_note = warehouse_coverage_notes(contracts_dir, dbt_dir)
    assert "run `safecity contract generate`" in stale_note
    assert unmapped_note.endswith("(no mapping in the contract): market_regulation/food_sampling")
