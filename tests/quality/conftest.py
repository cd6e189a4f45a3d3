"""Fixtures: the warehouse contracts, and a good department extract in tmp_path (see extracts.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.lib.contracts import contracts_dir
from pipelines.lib.contracts.tables import TableContract, load_table_contracts
from tests.quality.extracts import Extract, good_tables


@pytest.fixture(scope="session")
def contracts() -> dict[str, TableContract]:
    return load_table_contracts(contracts_dir())


@pytest.fixture
def extract(tmp_path: Path) -> Extract:
    return Extract(root=tmp_path / "data", tables=good_tables()).write()
