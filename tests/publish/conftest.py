"""Fixtures: the warehouse contracts and the sharing policy, the tiny city's extracts as
published, and a private copy of its analytics copy to publish from.

Publishing is tested with the extracts and the lake (its audit log) local and in moto's
S3 (tests/object_storage.py): tests taking `city_copy`, `published` or `extracts` run
twice, `[local]` and `[s3]`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.defs.publish.assets import DEPARTMENTS
from pipelines.lib.contracts import contracts_dir
from pipelines.lib.contracts.tables import TableContract, load_table_contracts
from pipelines.lib.data_dir import DataDir
from pipelines.lib.publish.extracts import SHARED_REPORTS, publish_department
from pipelines.lib.publish.policy import SharingPolicy, load_policy, policy_path
from pipelines.lib.storage import Location
from tests.object_storage import MODES, new_storage


@pytest.fixture(scope="session")
def contracts() -> dict[str, TableContract]:
    return load_table_contracts(contracts_dir())


@pytest.fixture(scope="session")
def policy(contracts) -> SharingPolicy:
    return load_policy(policy_path(contracts_dir()), contracts, DEPARTMENTS)


@pytest.fixture(scope="session", params=MODES)
def published(request, built_city: Path, policy, contracts, tmp_path_factory) -> DataDir:
    """The tiny city with every department published: [local] as `safecity run` published it;
    [s3] published again from the same analytics copy and reports, extracts and audit log in S3."""
    if request.param == "local":
        return new_storage("local", None).data_dir(built_city)
    built = new_storage("local", None).data_dir(built_city)
    root = tmp_path_factory.mktemp("published_to_s3")
    shutil.copyfile(built.analytics, root / "analytics.duckdb")
    for report in SHARED_REPORTS:
        (root / "reports" / report).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built.reports / report, root / "reports" / report)
    city = new_storage("s3", request.getfixturevalue("s3_server")).data_dir(root)
    for _department, grant in policy.departments.items():
        publish_department(
            city, policy, grant, contracts
        )  # the key `safecity run` used (tests/conftest.py)
    return city


@pytest.fixture(scope="session")
def extracts(published: DataDir) -> Location:
    """`extracts/` of the tiny city as published (read only: copy before changing)."""
    folder = published.extracts
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(
        DEPARTMENTS
    )
    return folder


@pytest.fixture
def city_copy(built_city: Path, tmp_path: Path, storage) -> DataDir:
    """A data directory of its own with the tiny city's analytics copy (and nothing published yet);
    its lake and extracts local or in S3."""
    root = tmp_path / "data"
    root.mkdir()
    shutil.copyfile(
        new_storage("local", None).data_dir(built_city).analytics, root / "analytics.duckdb"
    )
    return storage.data_dir(root)
