"""Every department receives the department quality scorecard in its extract, listed in its manifest."""

from __future__ import annotations

import json

import polars as pl

from pipelines.lib.publish.manifest import verify_extract


def test_every_department_receives_the_same_scorecard(built_city):
    extracts = built_city / "extracts"
    departments = sorted(p for p in extracts.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert len(departments) == 5
    published = pl.read_parquet(built_city / "reports" / "scorecard" / "department_scorecard.parquet")
    for folder in departments:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert {r["path"] for r in manifest["reports"]} == {
            "reports/scorecard/department_scorecard.parquet", "reports/scorecard/summary_by_department.parquet",
        }
        assert pl.read_parquet(folder / "reports" / "scorecard" / "department_scorecard.parquet").equals(published)
        assert verify_extract(folder) == []


def test_a_tampered_scorecard_is_detected(built_city, tmp_path):
    import shutil

    folder = tmp_path / "traffic_police"
    shutil.copytree(built_city / "extracts" / "traffic_police", folder)
    report = folder / "reports" / "scorecard" / "summary_by_department.parquet"
    report.write_bytes(report.read_bytes()[:-1] + b"\0")
    assert verify_extract(folder) == ["reports/scorecard/summary_by_department.parquet: changed (SHA-256 differs from the manifest)"]
