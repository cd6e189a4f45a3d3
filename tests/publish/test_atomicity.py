"""A department never sees a half-written publication: a failure leaves the previous one as it was.

Locally the new publication is swapped in by renames; in S3 it is uploaded with the
manifest last, so a publication cut short is found by the manifest check and repaired
by the next one.
"""

from __future__ import annotations

import os

import pytest

from pipelines.lib.publish import extracts as extracts_module
from pipelines.lib.publish.audit import read_audit
from pipelines.lib.publish.extracts import publish_department
from pipelines.lib.publish.manifest import MANIFEST, verify_extract
from pipelines.lib.publish.pseudonym import PseudonymKey
from tests.publish.helpers import TEST_KEY
from tests.publish.helpers import snapshot as _snapshot

DEPARTMENT = "emergency_management"


def _publish(city, policy, contracts, key: PseudonymKey = TEST_KEY):
    return publish_department(city, policy, policy.departments[DEPARTMENT], contracts, key=key)


def test_a_failure_while_writing_leaves_the_previous_publication(
    city_copy, policy, contracts, monkeypatch
) -> None:
    first = _publish(city_copy, policy, contracts)
    before = _snapshot(first.folder)
    assert len(first.tables) > 3

    real_write_table = extracts_module.write_table
    written: list[str] = []

    def fail_at_the_fourth_table(connection, plan, *args, **kwargs):
        if len(written) == 3:
            raise OSError("disk full (simulated)")
        written.append(plan.table)
        return real_write_table(connection, plan, *args, **kwargs)

    monkeypatch.setattr(extracts_module, "write_table", fail_at_the_fourth_table)
    with pytest.raises(OSError, match="simulated"):
        _publish(city_copy, policy, contracts)

    assert len(written) == 3  # three tables had been written when it failed
    assert _snapshot(first.folder) == before
    assert verify_extract(first.folder) == []
    # Nothing half-built is left beside it, and the failed publication was never recorded.
    assert [p.name for p in city_copy.extracts.iterdir()] == [DEPARTMENT]
    assert set(read_audit(city_copy.publications_audit)["publication_id"]) == {first.publication_id}


@pytest.mark.parametrize("storage", ["local"], indirect=True)  # renames: a local folder's
def test_a_crash_between_the_two_renames_is_repaired_by_the_next_run(
    city_copy, policy, contracts, monkeypatch
) -> None:
    first = _publish(city_copy, policy, contracts)
    before = _snapshot(first.folder)

    real_rename = os.rename

    def crash_on_the_second_rename(source, target):
        if str(source).endswith(".tmp"):
            raise KeyboardInterrupt  # the process dies after the first rename
        return real_rename(source, target)

    monkeypatch.setattr(extracts_module.os, "rename", crash_on_the_second_rename)
    with pytest.raises(KeyboardInterrupt):
        _publish(city_copy, policy, contracts)
    monkeypatch.undo()
    # _swap_in put the previous publication back on its way out.
    assert _snapshot(first.folder) == before

    # A process killed outright cannot: simulate the state it leaves, then run again.
    retired = first.folder.with_name(f".{DEPARTMENT}.dead.old")
    os.rename(first.folder, retired)
    assert not first.folder.exists()
    extracts_module._recover(first.folder)
    assert _snapshot(first.folder) == before
    assert [p.name for p in city_copy.extracts.iterdir()] == [DEPARTMENT]


@pytest.mark.parametrize("storage", ["s3"], indirect=True)  # uploads: S3's
def test_a_crash_during_the_upload_is_found_by_the_check_and_repaired_by_the_next_run(
    city_copy, policy, contracts
) -> None:
    first = _publish(city_copy, policy, contracts)
    before = _snapshot(first.folder)

    # The next publication differs (another key, other pseudonyms); the process dies as the
    # manifest is uploaded, after the files it lists (and the audit row) were.
    fs = first.folder.fs
    upload = fs.put_file

    def die_at_the_manifest(local, remote, *args, **kwargs):
        if str(remote).endswith(f"/{DEPARTMENT}/{MANIFEST}"):
            raise KeyboardInterrupt
        return upload(local, remote, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(fs, "put_file", die_at_the_manifest)
        _publish(city_copy, policy, contracts, key=PseudonymKey(b"tests/publish: the next key"))

    cut_short = _snapshot(first.folder)
    assert cut_short[MANIFEST] == before[MANIFEST]  # the previous manifest, and new files under it
    assert cut_short != before
    problems = verify_extract(first.folder)
    assert problems and all(": changed (" in p for p in problems)  # size or SHA-256

    second = _publish(
        city_copy, policy, contracts, key=PseudonymKey(b"tests/publish: the next key")
    )
    assert verify_extract(second.folder) == []
    assert _snapshot(second.folder) != before
    assert [p.name for p in city_copy.extracts.iterdir()] == [DEPARTMENT]


def test_republishing_the_same_warehouse_gives_the_same_files(city_copy, policy, contracts) -> None:
    first = _snapshot(_publish(city_copy, policy, contracts).folder)
    second = _snapshot(_publish(city_copy, policy, contracts).folder)
    first.pop("manifest.json"), second.pop("manifest.json")  # its build time and id differ
    assert first == second
