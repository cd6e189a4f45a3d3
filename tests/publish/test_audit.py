"""Every publication is recorded in the append-only audit log: who received what, which columns, rows, policy
(the log in the lake, local or in S3)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from pipelines.lib.publish.audit import read_audit
from pipelines.lib.publish.extracts import publish_department
from pipelines.lib.publish.manifest import MANIFEST
from tests.publish.helpers import TEST_KEY


def test_two_publications_append_two_sets_of_rows(city_copy, policy, contracts) -> None:
    grant = policy.departments["market_regulation"]
    first = publish_department(
        city_copy, policy, grant, contracts, key=TEST_KEY, now=datetime(2026, 10, 31, 8, tzinfo=UTC)
    )
    first_file = first.audit_file.read_bytes()
    first_manifest = json.loads((first.folder / MANIFEST).read_text(encoding="utf-8"))
    second = publish_department(
        city_copy, policy, grant, contracts, key=TEST_KEY, now=datetime(2026, 11, 1, 8, tzinfo=UTC)
    )

    files = sorted(city_copy.publications_audit.glob("*.parquet"))
    assert files == sorted([first.audit_file, second.audit_file])
    assert first.audit_file.read_bytes() == first_file  # never rewritten

    log = read_audit(city_copy.publications_audit)
    assert log["publication_id"].unique(maintain_order=True).to_list() == [
        first.publication_id,
        second.publication_id,
    ]
    assert log.height == 2 * len(grant.tables)
    assert set(log["department"]) == {"market_regulation"}
    assert set(log["policy_version"]) == {policy.version}

    rows = log.filter(log["publication_id"] == first.publication_id)
    assert rows["published_at"].to_list() == [datetime(2026, 10, 31, 8, tzinfo=UTC)] * len(
        grant.tables
    )
    assert set(rows["manifest_sha256"]) == {first.manifest_sha256}
    by_table = {r["table_name"]: r for r in rows.iter_rows(named=True)}
    assert set(by_table) == {t.table for t in grant.tables}
    for name, table in first_manifest["tables"].items():
        assert by_table[name]["rows"] == table["rows"]
        assert by_table[name]["row_scope"] == table["row_scope"]
        assert by_table[name]["columns"] == [
            {"name": c["name"], "treatment": c["treatment"]} for c in table["columns"]
        ]
    person = {c["name"]: c["treatment"] for c in by_table["dim_person"]["columns"]}
    assert person["person_key"] == "pseudonymised" and person["name"] == "masked"

    latest = (second.folder / MANIFEST).read_bytes()
    assert set(log.filter(log["publication_id"] == second.publication_id)["manifest_sha256"]) == {
        hashlib.sha256(latest).hexdigest()
    }


def test_the_run_recorded_every_department(published, policy) -> None:
    log = read_audit(published.publications_audit)
    assert set(log["department"]) == set(policy.departments)
    for department, grant in policy.departments.items():
        rows = log.filter(log["department"] == department)
        assert rows["publication_id"].n_unique() == 1
        assert set(rows["table_name"]) == {t.table for t in grant.tables}
