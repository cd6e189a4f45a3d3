"""A publication carries over the files of the last one that nothing changed, and is then the
same extract, file for file, as one written whole (lib/publish/reuse.py).

Run `[local]` (files hard-linked into the new folder) and `[s3]` (files left in place, not
uploaded again).
"""

from __future__ import annotations

import json

import duckdb
import pytest

from pipelines.lib.publish.extracts import publish_department
from pipelines.lib.publish.manifest import MANIFEST, verify_extract
from tests.publish.helpers import TEST_KEY, parquet_rows, snapshot

DEPARTMENT = "market_regulation"  # granted CSV too, and events, which are split by month


def _publish(city, policy, contracts, **options):
    grant = policy.departments[DEPARTMENT]
    assert grant.csv
    return publish_department(city, policy, grant, contracts, key=TEST_KEY, **options)


def _files(folder) -> dict[str, str]:
    """Every published file but the manifest (whose id and time differ), with its SHA-256."""
    return {path: sha for path, sha in snapshot(folder).items() if path != MANIFEST}


def _tables(folder) -> dict:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["tables"]


def _rows_as_the_manifest_says(folder) -> None:
    """Each table's files hold the rows its manifest entry gives: a file carried over whose
    table changed would not."""
    for table, entry in _tables(folder).items():
        parquet = [f["path"] for f in entry["files"] if f["path"].endswith(".parquet")]
        assert sum(parquet_rows(folder / path) for path in parquet) == entry["rows"], table


def _event_months(city) -> list[str]:
    connection = duckdb.connect(str(city.analytics), read_only=True)
    try:
        return [
            month
            for (month,) in connection.execute(
                "SELECT DISTINCT strftime(timezone('Asia/Shanghai', occurred_at), '%Y-%m') "
                "FROM fct_event ORDER BY 1"
            ).fetchall()
        ]
    finally:
        connection.close()


def _change(city, statement: str) -> None:
    """The warehouse after a daily run changed something: the analytics copy edited in place."""
    connection = duckdb.connect(str(city.analytics))
    try:
        changed = connection.execute(statement).fetchall()
        assert changed and changed[0][0] > 0, statement
    finally:
        connection.close()


def test_nothing_changed_carries_every_file_over(city_copy, policy, contracts) -> None:
    first = _publish(city_copy, policy, contracts)
    assert first.carried == 0
    written = _files(first.folder)

    again = _publish(city_copy, policy, contracts)

    assert again.carried == again.files == first.files
    assert _files(again.folder) == written
    assert _tables(again.folder) == _tables(first.folder)
    assert verify_extract(again.folder) == []
    assert again.publication_id != first.publication_id


def test_only_the_changed_table_and_month_are_written_and_the_extract_equals_a_whole_one(
    city_copy, policy, contracts
) -> None:
    months = _event_months(city_copy)
    assert len(months) >= 2, "the tiny city's events span at least two months"
    first = _publish(city_copy, policy, contracts)
    before = _files(first.folder)

    # A place's address corrected, and one event of the first month re-described.
    _change(
        city_copy,
        "UPDATE dim_place SET standard_address = coalesce(standard_address, '') || ' (corrected)' "
        "WHERE place_key = (SELECT min(place_key) FROM dim_place)",
    )
    _change(
        city_copy,
        "UPDATE fct_event SET description = 'corrected' WHERE event_key = ("
        "SELECT min(event_key) FROM fct_event WHERE "
        f"strftime(timezone('Asia/Shanghai', occurred_at), '%Y-%m') = '{months[0]}')",
    )
    # One of its dispatch assignments gone: a table with a column of its own called `month`.
    _change(
        city_copy,
        "DELETE FROM dispatch_assignments WHERE instruction_id = (SELECT min(instruction_id) "
        f"FROM dispatch_assignments WHERE department = '{DEPARTMENT}')",
    )
    update = _publish(city_copy, policy, contracts)
    after = _files(update.folder)

    changed = {path for path in after if before.get(path) != after[path]}
    assert changed == {
        "dim_place/dim_place.parquet",
        "dim_place/dim_place.csv",
        "fct_event/fct_event.csv",
        "dispatch_assignments/dispatch_assignments.parquet",
        "dispatch_assignments/dispatch_assignments.csv",
        *(path for path in after if path.startswith(f"fct_event/month={months[0]}/")),
    }
    assert update.carried == update.files - len(changed)
    assert verify_extract(update.folder) == []
    _rows_as_the_manifest_says(update.folder)

    whole = _publish(city_copy, policy, contracts, rewrite_all=True)
    assert whole.carried == 0
    assert _files(whole.folder) == after
    assert _tables(whole.folder) == _tables(update.folder)


def test_a_month_with_no_events_left_is_gone(city_copy, policy, contracts) -> None:
    months = _event_months(city_copy)
    _publish(city_copy, policy, contracts)
    _change(
        city_copy,
        f"DELETE FROM fct_event WHERE strftime(timezone('Asia/Shanghai', occurred_at), '%Y-%m') = '{months[0]}'",
    )
    update = _publish(city_copy, policy, contracts)
    assert not any(
        path.startswith(f"fct_event/month={months[0]}/") for path in _files(update.folder)
    )
    assert verify_extract(update.folder) == []
    assert update.carried > 0
    _rows_as_the_manifest_says(update.folder)


@pytest.mark.parametrize("storage", ["local"], indirect=True)  # a department's own folder
def test_a_published_file_changed_since_is_written_again(city_copy, policy, contracts) -> None:
    first = _publish(city_copy, policy, contracts)
    written = _files(first.folder)
    damaged = first.folder / "dim_organisation" / "dim_organisation.parquet"
    damaged.write_bytes(b"not what was published")

    again = _publish(city_copy, policy, contracts)

    assert again.carried == again.files - 1
    assert _files(again.folder) == written
    assert verify_extract(again.folder) == []


def test_without_the_state_of_the_publication_in_place_everything_is_written(
    city_copy, policy, contracts
) -> None:
    _publish(city_copy, policy, contracts)
    state = city_copy.extract_state(DEPARTMENT)
    document = json.loads(state.read_text(encoding="utf-8"))
    document["publication_id"] = "another publication"
    state.write_text(json.dumps(document), encoding="utf-8")
    assert _publish(city_copy, policy, contracts).carried == 0

    state.unlink()
    assert _publish(city_copy, policy, contracts).carried == 0
    _publish(city_copy, policy, contracts)
    assert _publish(city_copy, policy, contracts, rewrite_all=True).carried == 0
