"""A department never sees a half-written publication: a failure leaves the previous one as it was."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from pipelines.lib.publish import extracts as extracts_module
from pipelines.lib.publish.audit import read_audit
from pipelines.lib.publish.extracts import publish_department
from pipelines.lib.publish.manifest import verify_extract
from tests.publish.helpers import TEST_KEY

DEPARTMENT = "emergency_management"


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _publish(city, policy, contracts):
    return publish_department(city, policy, policy.departments[DEPARTMENT], contracts, key=TEST_KEY)


def test_a_failure_while_writing_leaves_the_previous_publication(city_copy, policy, contracts, monkeypatch) -> None:
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


def test_a_crash_between_the_two_renames_is_repaired_by_the_next_run(city_copy, policy, contracts, monkeypatch) -> None:
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


def test_republishing_the_same_warehouse_gives_the_same_files(city_copy, policy, contracts) -> None:
    first = _snapshot(_publish(city_copy, policy, contracts).folder)
    second = _snapshot(_publish(city_copy, policy, contracts).folder)
    first.pop("manifest.json"), second.pop("manifest.json")  # its build time and id differ
    assert first == second
