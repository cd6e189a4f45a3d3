"""Issue 6, done when: tampering with one extract file is detected by the manifest check.

Also what the manifest says: department, policy and contract versions, build time, and per
table the rows, columns with types and treatments, and every file with size and SHA-256.
Extracts local and in S3, checked by `safecity verify-extract` in both.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.cli import main
from pipelines.lib.publish.manifest import MANIFEST, verify_extract
from pipelines.lib.storage import Location, is_remote
from tests.publish.helpers import files_of, parquet_rows, received_copy

DUCKDB_SPELLING = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}


@pytest.fixture
def received(extracts: Location, tmp_path: Path) -> Location:
    """What fire/rescue received, in a folder of its own to tamper with."""
    folder = received_copy(extracts / "fire_rescue", tmp_path)
    assert verify_extract(folder) == []
    return folder


def _a_parquet_file(folder: Location) -> Location:
    return next(f for f in files_of(folder) if f.suffix == ".parquet")


def _the_command_fails(folder: Location, capsys, *printed: str) -> None:
    """`safecity verify-extract` exits 1 and prints each of `printed`."""
    assert main(["verify-extract", str(folder)]) == 1
    err = capsys.readouterr().err
    assert all(text in err for text in printed), err


def test_manifest_describes_every_table_and_file(extracts, policy, contracts) -> None:
    for department, grant in policy.departments.items():
        folder = extracts / department
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        assert manifest["department"] == department
        assert manifest["policy"] == {
            "file": "contracts/sharing/policy.yaml",
            "version": policy.version,
            "personal_data": grant.personal,
        }
        built = datetime.fromisoformat(manifest["built_at"])
        assert manifest["built_at"].endswith("Z") and built.utcoffset().total_seconds() == 0
        assert abs((datetime.now(UTC) - built).days) < 1
        assert list(manifest["tables"]) == [t.table for t in grant.tables]
        assert manifest["contract_versions"] == {
            t.table: contracts[t.table].version for t in grant.tables
        }
        for name, table in manifest["tables"].items():
            assert table["contract_version"] == contracts[name].version
            files = table["files"]
            parquet = [f for f in files if f["path"].endswith(".parquet")]
            assert parquet or table["rows"] == 0
            assert sum(parquet_rows(folder / f["path"]) for f in parquet) == table["rows"]
            for entry in files:
                data = (folder / entry["path"]).read_bytes()
                assert entry["bytes"] == len(data)
                assert entry["sha256"] == hashlib.sha256(data).hexdigest()
            schema = _schema(folder / parquet[0]["path"]) if parquet else None
            assert [c["name"] for c in table["columns"]] == (
                schema.names if schema else [c["name"] for c in table["columns"]]
            )
            assert {c["treatment"] for c in table["columns"]} <= {
                "clear",
                "masked",
                "pseudonymised",
            }
            # The type as DuckDB wrote it: the contract's, masked columns included.
            types = {
                c.name: DUCKDB_SPELLING.get(c.physical_type, c.physical_type)
                for c in contracts[name].columns
            }
            assert all(c["type"] == types[c["name"]] for c in table["columns"]), name
        listed = {f["path"] for t in manifest["tables"].values() for f in t["files"]} | {
            f["path"] for f in manifest["reports"]
        }
        on_disk = {p.relative_to(folder).as_posix() for p in files_of(folder)} - {MANIFEST}
        assert listed == on_disk


def _schema(path: Location):
    with path.open("rb") as handle:
        return pq.read_schema(handle)


def test_events_are_split_by_month_and_csv_is_where_the_policy_asks(extracts, policy) -> None:
    months = sorted(p.name for p in (extracts / "fire_rescue" / "fct_event").iterdir())
    assert months and all(
        m.startswith("month=20") and len(m) == len("month=2026-10") for m in months
    )
    for department, grant in policy.departments.items():
        csvs = sorted(
            p.relative_to(extracts / department).as_posix()
            for p in files_of(extracts / department)
            if p.suffix == ".csv"
        )
        assert csvs == (
            sorted(f"{t.table}/{t.table}.csv" for t in grant.tables) if grant.csv else []
        )


def test_a_flipped_byte_is_detected(received, capsys) -> None:
    target = _a_parquet_file(received)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    relative = target.relative_to(received).as_posix()
    assert verify_extract(received) == [f"{relative}: changed (SHA-256 differs from the manifest)"]
    _the_command_fails(
        received, capsys, f"{relative}: changed", "extract NOT verified: 1 problem(s)"
    )


def test_a_deleted_file_is_detected(received, capsys) -> None:
    target = _a_parquet_file(received)
    target.unlink()
    relative = target.relative_to(received).as_posix()
    assert verify_extract(received) == [f"{relative}: missing (listed in the manifest)"]
    _the_command_fails(received, capsys, "missing")


def test_an_added_file_is_detected(received, capsys) -> None:
    (received / "dim_place" / "extra.parquet").write_bytes(_a_parquet_file(received).read_bytes())
    assert verify_extract(received) == [
        "dim_place/extra.parquet: not in the manifest (unexpected file)"
    ]
    _the_command_fails(received, capsys, "unexpected file")


def test_a_truncated_file_and_a_missing_manifest_are_detected(received) -> None:
    target = _a_parquet_file(received)
    target.write_bytes(target.read_bytes()[:-10])
    assert "changed" in verify_extract(received)[0]
    (received / MANIFEST).unlink()
    assert verify_extract(received) == [
        f"{MANIFEST}: missing, so nothing in {received} can be verified"
    ]


def test_a_manifest_cannot_point_outside_the_folder(received) -> None:
    manifest = json.loads((received / MANIFEST).read_text(encoding="utf-8"))
    first = next(iter(manifest["tables"].values()))
    first["files"].append({"path": "../elsewhere.parquet", "bytes": 1, "sha256": "0" * 64})
    (received / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert verify_extract(received) == [
        "../elsewhere.parquet: listed with a path outside the extract"
    ]


def test_an_intact_extract_verifies(received, policy, capsys) -> None:
    assert verify_extract(received) == []
    if not is_remote(received):
        assert main(["verify-extract", str(received)]) == 0
        out = capsys.readouterr().out
        assert (
            out.startswith("extract verified: ") and f"fire_rescue, policy {policy.version}" in out
        )
