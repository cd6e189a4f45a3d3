"""Every department receives the department quality scorecard in its extract, listed in its manifest
(extracts local and in S3)."""

from __future__ import annotations

import json

import polars as pl

from pipelines.lib.publish.manifest import verify_extract
from pipelines.lib.storage import read_parquet
from tests.publish.helpers import received_copy


def test_every_department_receives_the_same_scorecard(published, policy):
    departments = sorted(
        p for p in published.extracts.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    assert [p.name for p in departments] == sorted(policy.departments)  # every one granted
    scorecard = pl.read_parquet(published.reports / "scorecard" / "department_scorecard.parquet")
    for folder in departments:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert {r["path"] for r in manifest["reports"]} == {
            "reports/scorecard/department_scorecard.parquet",
            "reports/scorecard/summary_by_department.parquet",
        }
        assert read_parquet(
            folder / "reports" / "scorecard" / "department_scorecard.parquet"
        ).equals(scorecard)
        assert verify_extract(folder) == []


def test_a_tampered_scorecard_is_detected(published, tmp_path):
    folder = received_copy(published.extracts / "traffic_police", tmp_path)
    report = folder / "reports" / "scorecard" / "summary_by_department.parquet"
    report.write_bytes(report.read_bytes()[:-1] + b"\0")
    assert verify_extract(folder) == [
        "reports/scorecard/summary_by_department.parquet: changed (SHA-256 differs from the manifest)"
    ]
