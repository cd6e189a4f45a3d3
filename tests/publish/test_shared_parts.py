"""A part that departments receive alike is written once and linked into each; every extract is
still exactly the one its department's own query writes (lib/publish/shared_parts.py)."""

from __future__ import annotations

import json
import os
import time

import pytest

from pipelines.lib.publish.extracts import publish_department
from pipelines.lib.publish.manifest import MANIFEST, verify_extract
from pipelines.lib.publish.shared_parts import PartStore, referenced_digests
from tests.publish.helpers import TEST_KEY, snapshot


def _files(folder) -> dict[str, str]:
    return {path: sha for path, sha in snapshot(folder).items() if path != MANIFEST}


def _publish_all(city, policy, contracts, **options) -> dict:
    return {
        department: publish_department(city, policy, grant, contracts, key=TEST_KEY, **options)
        for department, grant in policy.departments.items()
    }


def test_every_extract_with_shared_parts_equals_the_one_written_alone(
    city_copy, policy, contracts
) -> None:
    shared = _publish_all(city_copy, policy, contracts)
    first = next(iter(shared.values()))
    assert first.shared == 0  # the first department found nothing to share
    assert sum(p.shared for p in shared.values()) > 0
    assert all(p.carried == 0 for p in shared.values())
    received = {d: _files(p.folder) for d, p in shared.items()}
    for publication in shared.values():
        assert verify_extract(publication.folder) == []

    # Each department again, every file written by its own query alone.
    alone = _publish_all(city_copy, policy, contracts, rewrite_all=True)
    assert all(p.shared == 0 and p.carried == 0 for p in alone.values())
    for department, publication in alone.items():
        assert _files(publication.folder) == received[department], department


def test_a_table_granted_differently_is_not_shared(city_copy, policy, contracts) -> None:
    # market_regulation receives every column of dim_organisation; traffic_police six of them.
    assert policy.departments["traffic_police"].tables
    market = publish_department(
        city_copy, policy, policy.departments["market_regulation"], contracts, key=TEST_KEY
    )
    traffic = publish_department(
        city_copy, policy, policy.departments["traffic_police"], contracts, key=TEST_KEY
    )
    assert traffic.shared > 0  # events, places... are received alike
    organisations = "dim_organisation/dim_organisation.parquet"
    assert _files(traffic.folder)[organisations] != _files(market.folder)[organisations]


@pytest.mark.parametrize("storage", ["local"], indirect=True)  # a department's own folder
def test_a_shared_file_is_a_copy_of_its_own_and_one_changed_since_is_not_handed_on(
    city_copy, policy, contracts
) -> None:
    fire = publish_department(
        city_copy, policy, policy.departments["fire_rescue"], contracts, key=TEST_KEY
    )
    health = publish_department(
        city_copy, policy, policy.departments["health"], contracts, key=TEST_KEY
    )
    places = "dim_place/dim_place.parquet"
    assert health.shared > 0 and "dim_place" in {t.name for t in health.tables if t.shared}
    assert not os.path.samefile(fire.folder / places, health.folder / places)
    received = _files(health.folder)[places]

    # fire_rescue edits its own copy in place (the store links that very file): health's
    # copy stays as it was, and the next department is not handed the edit.
    (fire.folder / places).write_bytes(b"edited by fire_rescue")
    assert _files(health.folder)[places] == received
    water = publish_department(
        city_copy, policy, policy.departments["water"], contracts, key=TEST_KEY
    )
    assert _files(water.folder)[places] == received
    assert verify_extract(water.folder) == []


def test_entries_no_department_refers_to_are_pruned_after_an_hour(
    city_copy, policy, contracts
) -> None:
    publish_department(
        city_copy, policy, policy.departments["fire_rescue"], contracts, key=TEST_KEY
    )
    store = PartStore(city_copy.extract_parts)
    referenced = referenced_digests(city_copy.extract_state("fire_rescue").parent)
    entries = {entry.name for entry in store.folder.iterdir()}
    assert entries and entries <= referenced

    state = city_copy.extract_state("fire_rescue")
    document = json.loads(state.read_text(encoding="utf-8"))
    forgotten = sorted(document["parts"].values())[0]
    document["parts"] = {p: d for p, d in document["parts"].items() if d != forgotten}
    state.write_text(json.dumps(document), encoding="utf-8")
    referenced = referenced_digests(state.parent)

    assert store.prune(referenced) == 0  # made just now: kept for departments side by side
    assert store.prune(referenced, now=time.time() + 2 * 3600) == 1
    assert {entry.name for entry in store.folder.iterdir()} == entries - {forgotten}
