"""Names that reach SQL or a path are checked first: hostile ones are refused, nothing runs or moves.

Each boundary gets the same hostile names: SQL that would drop a table, a path out of the
data directory, a quote, an empty name. The table that SQL would drop is still there after.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines import cli
from pipelines.lib.contracts import load_feed_contracts
from pipelines.lib.data_dir import DataDir
from pipelines.lib.duckdb_connection import attach, connect
from pipelines.lib.entity_kinds import ENTITY_KINDS, REVIEWED_KINDS
from pipelines.lib.linkage.review import ReviewError, decide, waiting_pairs
from pipelines.lib.linkage.scoring import load_table
from pipelines.lib.linkage.stages import run_linkage
from pipelines.lib.sql_names import UnsafeName, checked, one_of, qualified, quoted

REPO_ROOT = Path(__file__).resolve().parents[2]
DROP = "x'; drop table y; --"
HOSTILE = [DROP, "../../etc", "..", 'a"b', "y; drop table y", "Fire_Rescue", "", "1st", "a b"]


@pytest.mark.parametrize("name", HOSTILE)
def test_the_helper_refuses_hostile_names(name: str) -> None:
    for check in (
        lambda: checked(name, "department"),
        lambda: quoted(name),
        lambda: qualified("main", name),
        lambda: one_of(name, ENTITY_KINDS, "entity kind"),
    ):
        with pytest.raises(UnsafeName):
            check()


def test_the_helper_accepts_the_names_safecity_gives() -> None:
    assert checked("fire_rescue", "department") == "fire_rescue"
    assert quoted("_source_file") == '"_source_file"'
    assert qualified("wh", "linkage", "person_review") == '"wh"."linkage"."person_review"'
    assert one_of("person", REVIEWED_KINDS, "entity kind") == "person"
    with pytest.raises(UnsafeName, match="unknown entity kind 'event': expected one of"):
        one_of("event", ENTITY_KINDS, "entity kind")


@pytest.fixture
def warehouse(tmp_path: Path) -> DataDir:
    """A data directory whose warehouse has a table `y` (the one hostile SQL would drop) and a
    person review queue."""
    paths = DataDir(tmp_path / "data", lake_root=None, extracts_root=None)
    paths.root.mkdir()
    with duckdb.connect(str(paths.warehouse)) as connection:
        connection.execute("create table y as select 1 as kept")
        connection.execute("create schema linkage")
        connection.execute(
            "create table linkage.person_review as select 'P:a' as record_id_l, 'P:b' as record_id_r, "
            "0.9 as match_probability"
        )
    return paths


def y_is_intact(paths: DataDir) -> bool:
    with duckdb.connect(str(paths.warehouse), read_only=True) as connection:
        return connection.execute("select kept from y").fetchall() == [(1,)]


@pytest.mark.parametrize("kind", [DROP, "../../etc", "event", "PERSON"])
def test_a_review_of_an_unknown_kind_is_refused_before_sql_or_a_path(
    warehouse: DataDir, kind: str
) -> None:
    with pytest.raises(ReviewError, match="expected one of organisation, person"):
        waiting_pairs(warehouse.warehouse, kind)
    with pytest.raises(ReviewError, match="expected one of organisation, person"):
        decide(warehouse, kind, "P:a", "P:b", "same", "tester", None)
    assert y_is_intact(warehouse)
    assert not (warehouse.root / "lake").exists()  # no decision written anywhere
    assert waiting_pairs(warehouse.warehouse, "person").height == 1  # a known kind still works


def test_the_review_command_refuses_an_unknown_kind(warehouse: DataDir, capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["review", DROP, "--data-dir", str(warehouse.root)])
    assert "invalid choice" in capsys.readouterr().err
    assert y_is_intact(warehouse)


def test_linkage_of_an_unknown_kind_is_refused(warehouse: DataDir) -> None:
    with pytest.raises(UnsafeName, match="unknown entity kind"):
        run_linkage(DROP, warehouse)
    assert y_is_intact(warehouse)


def test_table_and_alias_names_are_checked_before_sql(warehouse: DataDir) -> None:
    connection = connect()
    try:
        with pytest.raises(UnsafeName):
            attach(connection, str(warehouse.warehouse), DROP)
        attach(connection, str(warehouse.warehouse), "wh")
        frame = pl.DataFrame({"a": [1]})
        for table in (DROP, f"wh.{DROP}", "wh.main.y; drop table wh.main.y"):
            with pytest.raises(UnsafeName):
                load_table(connection, table, frame)
        load_table(connection, "wh.main.loaded", frame)  # a safe name still loads
        assert connection.execute("select a from wh.main.loaded").fetchall() == [(1,)]
    finally:
        connection.close()
    assert y_is_intact(warehouse)


@pytest.mark.parametrize("name", [DROP, "../../etc", "..", "a/b"])
def test_paths_are_never_built_from_a_hostile_department_feed_or_kind(
    tmp_path: Path, name: str
) -> None:
    paths = DataDir(tmp_path / "data", lake_root=None, extracts_root=None)
    day = date(2026, 10, 1)
    for build in (
        lambda: paths.landing_feed(name, "feed"),
        lambda: paths.landing_feed("fire_rescue", name),
        lambda: paths.bronze_feed(name, "feed"),
        lambda: paths.bronze_partition(name, "feed", day),
        lambda: paths.quarantine_partition("fire_rescue", name, day),
        lambda: paths.extract(name),
        lambda: paths.quality_report(name),
        lambda: paths.linkage_kind(name),
    ):
        with pytest.raises(UnsafeName):
            build()
    assert paths.extract("fire_rescue") == paths.extracts / "fire_rescue"


@pytest.mark.parametrize("department", [DROP, "Fire-Rescue", "..x"])
def test_a_contract_folder_with_a_hostile_name_is_an_invalid_contract_and_no_department(
    tmp_path: Path, department: str
) -> None:
    contracts = tmp_path / "contracts"
    shutil.copytree(
        REPO_ROOT / "contracts" / "feeds" / "fire_rescue", contracts / "feeds" / "fire_rescue"
    )
    shutil.copytree(
        REPO_ROOT / "contracts" / "feeds" / "fire_rescue", contracts / "feeds" / department
    )
    loaded = load_feed_contracts(contracts)
    assert loaded.departments == ("fire_rescue",)
    assert {c.department for c in loaded.invalid} == {department}
    for invalid in loaded.invalid:
        assert any(
            f"department {department!r} (from the folder name) must be snake_case" in message
            for message in invalid.messages
        )
    assert {d for d, _ in loaded} == {"fire_rescue"}


def test_contract_draft_refuses_a_path_like_department_before_touching_anything(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    sample = tmp_path / "sample.csv"
    sample.write_text("a,b\n1,2\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    status = cli.main(
        ["contract", "draft", str(sample), "--department", "../../etc", "--feed", "passwd"]
    )
    assert status == 1
    assert "department '../../etc' must be snake_case" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample.csv"]
