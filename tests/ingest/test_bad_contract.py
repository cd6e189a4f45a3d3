"""A bad contract is its own feed's problem: the others are defined and ingested, and it is reported.

A pattern Python's `re` accepts but the ingestion engine refuses (`\\Z`) used to pass
validation, then fail ingestion with a cut-off `regex parse error:` and stop every
department's downstream assets. Now the contract is refused at load time, its feed is
left out, and the landing inventory's `contracts_valid` check fails naming file and line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.defs.landing.checks import contracts_valid_result
from pipelines.lib.city_profile import city_profile
from pipelines.lib.contracts import load_contract, load_feed_contracts
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.ingest import bronze_schema
from pipelines.lib.ingest.lake import write_schema_file
from tests.ingest.deliveries import csv_text, enterprise

REPO_ROOT = Path(__file__).resolve().parents[2]
FIRE = "contracts/feeds/fire_rescue/fire_incidents.odcs.yaml"
GOOD_PATTERN, BAD_PATTERN = r"pattern: ^JQ\d{13}$", r"pattern: ^JQ\d{13}\Z"


def contracts_with_a_bad_pattern(root: Path) -> tuple[Path, int]:
    """A copy of the repository's contracts, one pattern broken; the line it is on."""
    contracts = root / "contracts"
    shutil.copytree(REPO_ROOT / "contracts", contracts)
    path = root / FIRE
    text = path.read_text(encoding="utf-8")
    assert text.count(GOOD_PATTERN) == 1
    path.write_text(text.replace(GOOD_PATTERN, BAD_PATTERN), encoding="utf-8")
    return contracts, text[: text.index(GOOD_PATTERN)].count("\n") + 1


def problem(line: int) -> str:
    return (
        f"{FIRE}:{line}: schema[0].properties[0].logicalTypeOptions.pattern: "
        r"pattern '^JQ\d{13}\Z': unrecognized escape sequence at '\Z' (ingestion runs patterns "
        r"in polars' Rust regex engine: no look-around, no back-references, \z or $ for the end)"
    )


def test_contracts_valid_check_fails_naming_file_and_line(tmp_path: Path) -> None:
    contracts, line = contracts_with_a_bad_pattern(tmp_path)
    loaded = load_feed_contracts(contracts)
    assert ("fire_rescue", "fire_incidents") not in loaded
    assert (
        len(loaded) == len(list((contracts / "feeds").glob("*/*.odcs.yaml"))) - 1
    )  # every other feed is served
    result = contracts_valid_result(loaded)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert result.metadata["invalid_feeds"] == dg.TextMetadataValue("fire_rescue/fire_incidents")
    assert result.metadata["problems"] == dg.IntMetadataValue(1)
    assert result.description == (
        f"1 invalid feed contract(s), not ingested until fixed:\n{problem(line)}"
    )
    passing = contracts_valid_result(load_feed_contracts(REPO_ROOT / "contracts"))
    assert passing.passed and passing.description == "every feed contract is valid"


def test_the_other_feeds_are_ingested_and_the_run_names_the_bad_contract(tmp_path: Path) -> None:
    contracts, line = contracts_with_a_bad_pattern(tmp_path)
    data = tmp_path / "data"
    good = data / "landing" / "emergency_management" / "enterprises"
    good.mkdir(parents=True)
    (good / "enterprises_20260302.csv").write_text(
        csv_text([enterprise(1), enterprise(2)]), encoding="utf-8"
    )
    bad = data / "landing" / "fire_rescue" / "fire_incidents"
    bad.mkdir(parents=True)
    (bad / "fire_incidents_20260302.xlsx").write_bytes(b"not read: its contract is invalid")
    # The feed was ingested before its contract broke: the lake holds its (empty) bronze schema,
    # which the warehouse goes on reading. (A feed that never reached bronze under a valid
    # contract has nothing for the warehouse to read: its staging model then fails.)
    valid = load_contract(REPO_ROOT / FIRE)
    write_schema_file(DataDir(data), valid, bronze_schema(valid, city_profile(data)))

    env = {**os.environ, "SAFECITY_CONTRACTS_DIR": str(contracts), "HOME": str(tmp_path)}
    env.pop("DAGSTER_HOME", None)
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--data-dir", str(data)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    # The code location loaded; the run fails, and its summary says what is wrong, with file
    # and line, and that nothing else failed.
    assert result.returncode == 1, output
    failed = output.split("\nfailed (each makes the run fail)\n", 1)[1].split("\nwarnings:")[0]
    assert failed.splitlines() == [
        "  landing_inventory · contracts_valid: 1 invalid feed contract(s), not ingested until "
        "fixed:",
        f"    {problem(line)}",
    ], output
    # The good feed is in bronze, and the warehouse and the extracts are built from the lake.
    bronze = pl.read_parquet(
        data / "lake/bronze/emergency_management/enterprises/date=2026-03-02/part-0.parquet"
    )
    assert bronze.height == 2
    assert not list((data / "lake/bronze/fire_rescue/fire_incidents").glob("date=*"))
    assert (data / "analytics.duckdb").is_file()
    assert (data / "extracts" / "fire_rescue" / "manifest.json").is_file()
    inventory = json.loads((data / "reports/landing_inventory.json").read_text(encoding="utf-8"))
    assert [(u["path"], u["reason"]) for u in inventory["unknown_files"]] == [
        (
            "fire_rescue/fire_incidents/fire_incidents_20260302.xlsx",
            f"its contract {FIRE} is invalid (see the contracts_valid check): "
            "not ingested until it is fixed",
        )
    ]
