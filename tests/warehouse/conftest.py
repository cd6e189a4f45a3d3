"""The tiny sample city, ingested and built into the warehouse once for these tests (by `safecity run`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest


def safecity_run(data: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--data-dir", str(data)],
        env=env, capture_output=True, text=True, timeout=600,
    )


@pytest.fixture(scope="session")
def built_city(tiny_city, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("warehouse") / "city"
    shutil.copytree(tiny_city, root)
    result = safecity_run(root, root.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.fixture
def analytics(built_city):
    connection = duckdb.connect(str(built_city / "analytics.duckdb"), read_only=True)
    yield connection
    connection.close()
