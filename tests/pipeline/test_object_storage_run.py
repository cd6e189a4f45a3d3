"""`safecity run` with the lake and the extracts in object storage (moto's S3): every stage reads and
writes them there, and the result is the same as with a local lake."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

from pipelines.defs.publish.assets import DEPARTMENTS
from pipelines.lib.analytics import table_row_counts
from pipelines.lib.linkage.stages import KINDS
from pipelines.lib.publish.audit import read_audit
from pipelines.lib.publish.manifest import verify_extract
from pipelines.lib.storage import is_remote, read_parquet
from tests.conftest import safecity_run
from tests.object_storage import new_storage


@pytest.fixture(scope="module")
def city_in_s3(s3_server, tiny_city, tmp_path_factory):
    """The tiny city run with SAFECITY_LAKE_ROOT and SAFECITY_EXTRACTS_ROOT in S3."""
    root = tmp_path_factory.mktemp("object_storage_run") / "city"
    shutil.copytree(tiny_city, root)
    storage = new_storage("s3", s3_server)
    with pytest.MonkeyPatch.context() as patch:
        storage.apply(patch)
        result = safecity_run(root, root.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    return storage.data_dir(root)


def test_every_stage_reads_and_writes_the_lake_and_extracts_in_s3(city_in_s3) -> None:
    data = city_in_s3
    assert is_remote(data.lake) and is_remote(data.extracts)
    assert not (data.root / "lake").exists() and not (data.root / "extracts").exists()

    landing_files = [p for p in data.landing.rglob("*.*")]
    for zone in (data.bronze, data.quarantine):
        partitions = [p for p in zone.rglob("part-0.parquet") if p.parent.name.startswith("date=")]
        assert len(partitions) == len(landing_files) > 0  # one partition per delivery
    for kind in KINDS:
        assert read_parquet(data.linkage / kind / "keys.parquet").height > 0
    audit = read_audit(data.publications_audit)
    assert set(audit["department"]) == set(DEPARTMENTS)
    for department in DEPARTMENTS:
        assert verify_extract(data.extracts / department) == []
        assert (data.quality_report(department) / "index.html").is_file()  # validated in place


def test_the_result_is_the_same_as_with_a_local_lake(city_in_s3, built_city) -> None:
    assert table_row_counts(city_in_s3.analytics) == table_row_counts(
        built_city / "analytics.duckdb"
    )
    scorecard = "reports/scorecard/department_scorecard.parquet"
    assert pl.read_parquet(city_in_s3.root / scorecard).equals(
        pl.read_parquet(built_city / scorecard)
    )
