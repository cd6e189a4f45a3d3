"""Hostile landing entries, end to end (issue 23): one `safecity run` of the tiny city with hostile
deliveries planted beside its good ones names each in one line, reads none of them, and builds
the rest of the city.

Planted (PLANTED; one more is one more entry):
- a file whose name is not valid UTF-8;
- a delivery named for a day decades ahead, and one for a day long before the first delivery day;
- one day's delivery replaced by a symbolic link to a file outside the data directory, shaped
  like that delivery and holding a secret marker, which must reach no file the run writes.

Beside them, one accident of a good delivery has an empty `vehicles` list: once it failed its
whole feed's batch; it is valid, and reaches bronze like the others.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.defs.feeds import FEED_CONTRACTS
from pipelines.defs.publish.assets import DEPARTMENTS
from pipelines.lib.data_dir import DataDir
from pipelines.lib.ingest.lake import partition
from pipelines.lib.landing.pending import landed_days
from pipelines.lib.publish.manifest import verify_extract
from tests.conftest import safecity_run

MARKER = "SECRET-MARKER-4f1c-never-in-the-lake"
INSPECTIONS = FEED_CONTRACTS[("market_regulation", "food_inspections")]
ACCIDENTS = FEED_CONTRACTS[("traffic_police", "traffic_accidents")]
INCIDENTS = FEED_CONTRACTS[("fire_rescue", "fire_incidents")]


@dataclass(frozen=True)
class Planted:
    """A hostile delivery planted beside the city's good ones, named once in the run's output."""

    shown: str  # how the run's output names it
    plant: Callable[[DataDir, Path], None]  # (the data directory, a folder outside it)
    replaces: tuple[str, str, date] | None = (
        None  # the (department, feed, day) it takes the place of
    )


def _first_delivery(data: DataDir, department: str, feed: str) -> Path:
    return sorted(data.landing_feed(department, feed).iterdir())[0]


def _undecodable_name(data: DataDir, _outside: Path) -> None:
    folder = os.fsencode(data.landing_feed(INSPECTIONS.department, INSPECTIONS.feed))
    with open(folder + b"/food_inspections_\xff\xfe.csv", "wb") as handle:
        handle.write(_first_delivery(data, INSPECTIONS.department, INSPECTIONS.feed).read_bytes())


def _named_for(day: date, contract) -> Callable[[DataDir, Path], None]:
    def plant(data: DataDir, _outside: Path) -> None:
        source = _first_delivery(data, contract.department, contract.feed)
        shutil.copy(source, source.with_name(contract.landing.filename(day)))

    return plant


# The day of the tiny city's deliveries whose inspections file becomes a link.
LINKED_DAY = date(2026, 10, 3)


def _link_outside(data: DataDir, outside: Path) -> None:
    delivery = data.landing_feed(INSPECTIONS.department, INSPECTIONS.feed) / (
        INSPECTIONS.landing.filename(LINKED_DAY)
    )
    secret = outside / "secret.csv"
    # The delivery itself and one more line: read, it would land in bronze and quarantine.
    secret.write_bytes(delivery.read_bytes() + MARKER.encode("ascii") + b"\n")
    delivery.unlink()
    delivery.symlink_to(secret)


def _empty_vehicles(data: DataDir) -> str:
    """The first accident of the first delivery loses its vehicles; its id."""
    delivery = _first_delivery(data, ACCIDENTS.department, ACCIDENTS.feed)
    lines = delivery.read_bytes().splitlines()
    accident = json.loads(lines[0])
    accident["vehicles"] = []
    lines[0] = json.dumps(accident, ensure_ascii=False).encode("utf-8")
    delivery.write_bytes(b"\n".join(lines) + b"\n")
    return accident["accidentId"]


PLANTED = [
    Planted(
        "landing/market_regulation/food_inspections/food_inspections_\\xff\\xfe.csv",
        _undecodable_name,
    ),
    Planted(
        f"landing/traffic_police/traffic_accidents/{ACCIDENTS.landing.filename(date(2090, 1, 1))}",
        _named_for(date(2090, 1, 1), ACCIDENTS),
    ),
    Planted(
        f"landing/fire_rescue/fire_incidents/{INCIDENTS.landing.filename(date(1900, 1, 1))}",
        _named_for(date(1900, 1, 1), INCIDENTS),
    ),
    Planted(
        f"landing/market_regulation/food_inspections/{INSPECTIONS.landing.filename(LINKED_DAY)}",
        _link_outside,
        replaces=(INSPECTIONS.department, INSPECTIONS.feed, LINKED_DAY),
    ),
]


@pytest.fixture(scope="module")
def hostile_run(
    tiny_city, tmp_path_factory
) -> tuple[DataDir, dict, subprocess.CompletedProcess[str], str]:
    scratch = tmp_path_factory.mktemp("hostile_landing")
    root, outside = scratch / "city", scratch / "outside"
    shutil.copytree(tiny_city, root)
    outside.mkdir()
    data = DataDir(root)
    delivered = {contract: landed_days(data, [contract]) for contract in FEED_CONTRACTS.values()}
    for planted in PLANTED:
        planted.plant(data, outside)
    without_vehicles = _empty_vehicles(data)
    result = safecity_run(root, scratch)
    # Kept for whoever reads a failure: the console is not in the run's log.
    (scratch / "safecity-run.out").write_text(result.stdout + result.stderr, encoding="utf-8")
    return data, delivered, result, without_vehicles


def test_each_hostile_delivery_is_named_in_one_line(hostile_run) -> None:
    _data, _delivered, result, _accident = hostile_run
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    for planted in PLANTED:
        naming = [line for line in output.splitlines() if planted.shown in line]
        assert len(naming) == 1, (planted.shown, output)
    # What landing refuses and what is outside the window are errors for someone to act on,
    # and nothing else failed: every step ran.
    assert result.returncode == 1, output
    summary = result.stdout.split("\nsafecity run FAILED in ", 1)[1]
    assert re.match(r"[\dms.]+: 2 checks failed as errors; \d+ warnings\n", summary), summary
    assert "landing_inventory · no_refused_landing_files: 2 landing entries refused" in summary
    assert "landing_inventory · deliveries_in_window: 2 delivery file(s)" in summary


def test_the_rest_of_the_city_is_built(hostile_run) -> None:
    data, delivered, _result, _accident = hostile_run
    replaced = {planted.replaces for planted in PLANTED if planted.replaces}
    for contract, days in delivered.items():
        for day in days:
            built = partition(data, contract, day).bronze.is_file()
            assert built != ((contract.department, contract.feed, day) in replaced), (
                contract.feed,
                day,
            )
    with duckdb.connect(str(data.analytics), read_only=True) as analytics:
        departments = {
            row[0]
            for row in analytics.execute(
                "select distinct source_department from fct_event"
            ).fetchall()
        }
    # Every department whose feeds map events (the command centre's instructions are none).
    assert departments == {
        contract.department
        for contract in FEED_CONTRACTS.values()
        if contract.mapping is not None
        and (contract.mapping.event is not None or contract.mapping.derived_events)
    }
    # The days outside the window are no partitions of any feed.
    for contract in FEED_CONTRACTS.values():
        for day in (date(2090, 1, 1), date(1900, 1, 1)):
            assert not partition(data, contract, day).bronze.parent.exists()
            assert not partition(data, contract, day).quarantine.parent.exists()
    for department in DEPARTMENTS:
        assert verify_extract(data.extracts / department) == []


def test_nothing_the_link_points_to_was_read(hostile_run) -> None:
    data, _delivered, _result, _accident = hostile_run
    written = [data.root / "lake", data.extracts, data.warehouse, data.analytics]
    files = [
        path for place in written for path in ([place] if place.is_file() else place.rglob("*"))
    ]
    assert any(path.suffix == ".parquet" for path in files)
    for path in files:
        if not path.is_file():
            continue
        assert MARKER.encode("ascii") not in path.read_bytes(), path
        if path.suffix == ".parquet":  # compressed: read back, nested values too
            found = duckdb.sql(
                "select count(*) from read_parquet($path) as t where contains(cast(t as varchar), $marker)",
                params={"path": str(path), "marker": MARKER},
            ).fetchone()
            assert found == (0,), path
    for database in (data.warehouse, data.analytics):
        with duckdb.connect(str(database), read_only=True) as connection:
            tables = connection.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_type = 'BASE TABLE'"
            ).fetchall()
            for schema, table in tables:
                found = connection.execute(
                    f'select count(*) from "{schema}"."{table}" as t '
                    "where contains(cast(t as varchar), ?)",
                    [MARKER],
                ).fetchone()[0]
                assert found == 0, (database.name, schema, table)


def test_an_accident_with_no_vehicles_reaches_bronze(hostile_run) -> None:
    data, _delivered, _result, accident = hostile_run
    key = next(f.name for f in ACCIDENTS.fields if f.source == "accidentId")
    vehicles = next(f.name for f in ACCIDENTS.fields if f.source == "vehicles")
    day = landed_days(data, [ACCIDENTS])[0]
    found = duckdb.sql(
        f"select len({vehicles}) from read_parquet($path) where {key} = $id",
        params={"path": str(partition(data, ACCIDENTS, day).bronze), "id": accident},
    ).fetchall()
    assert found == [(0,)]
