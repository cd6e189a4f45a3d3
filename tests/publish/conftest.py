"""Fixtures: the warehouse contracts and the sharing policy, the tiny city's extracts as
`safecity run` published them, and a private copy of its analytics copy to publish from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.defs.publish.assets import DEPARTMENTS
from pipelines.lib.contracts import contracts_dir
from pipelines.lib.contracts.tables import TableContract, load_table_contracts
from pipelines.lib.data_dir import DataDir
from pipelines.lib.publish.policy import SharingPolicy, load_policy, policy_path


@pytest.fixture(scope="session")
def contracts() -> dict[str, TableContract]:
    return load_table_contracts(contracts_dir())


@pytest.fixture(scope="session")
def policy(contracts) -> SharingPolicy:
    return load_policy(policy_path(contracts_dir()), contracts, DEPARTMENTS)


@pytest.fixture(scope="session")
def extracts(built_city: Path) -> Path:
    """`extracts/` of the tiny city as `safecity run` published it (read only: copy before changing)."""
    folder = DataDir(built_city).extracts
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(DEPARTMENTS)
    return folder


@pytest.fixture
def city_copy(built_city: Path, tmp_path: Path) -> DataDir:
    """A data directory of its own with the tiny city's analytics copy (and nothing published yet)."""
    root = tmp_path / "data"
    root.mkdir()
    shutil.copyfile(DataDir(built_city).analytics, root / "analytics.duckdb")
    return DataDir(root)
