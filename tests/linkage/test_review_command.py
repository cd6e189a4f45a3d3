"""`safecity review` as an engineer uses it: the pairs waiting, a decision on one, one-line refusals."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from pipelines import cli
from pipelines.lib.data_dir import DataDir
from pipelines.lib.linkage.decisions import Decisions

LEFT, RIGHT = "E:91510105P9WHFHQ73F001U", "N:龙泉和钢材加工|510105|G:104.04925,30.66139"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A data directory whose warehouse queues one organisation pair (and no person pair)."""
    monkeypatch.delenv("SAFECITY_LAKE_ROOT", raising=False)
    paths = DataDir(tmp_path)
    with duckdb.connect(str(paths.warehouse)) as connection:
        connection.execute("create schema linkage")
        connection.execute(
            "create table linkage.organisation_review as select ?::varchar as record_id_l, ?::varchar as record_id_r, "
            "'龙泉和钢材加工 | 510105 | 91510105P9WHFHQ73F' as summary_l, '龙泉和钢材加工 | 510105 | fire_inspections' as summary_r, "
            "0.922 as match_probability, 'uncertain' as reason, 'name: Exact match on name (14.1); places: All other comparisons (-1.7)' as evidence",
            [LEFT, RIGHT],
        )
    return paths


def review(paths: DataDir, *arguments: str) -> int:
    return cli.main(["review", *arguments, "--data-dir", str(paths.root)])


def test_the_queue_is_listed_with_both_sides_and_the_evidence(data_dir, capsys):
    assert review(data_dir, "organisation") == 0
    out = capsys.readouterr().out
    assert out.startswith("1 organisation pairs waiting in linkage.organisation_review")
    assert (
        LEFT in out
        and RIGHT in out
        and "0.922 (uncertain)" in out
        and "places: All other comparisons (-1.7)" in out
    )
    assert "decide with: safecity review organisation --same LEFT RIGHT --by NAME" in out


def test_a_decision_on_a_queued_pair_is_kept_in_the_lake_with_its_author(data_dir, capsys):
    # Given in either order, kept in the queue's.
    assert (
        review(
            data_dir,
            "organisation",
            "--same",
            RIGHT,
            LEFT,
            "--by",
            "Li Wei",
            "--note",
            "one licence on paper",
        )
        == 0
    )
    assert (
        "are one organisation (by Li Wei); the next `safecity run` applies it"
        in capsys.readouterr().out
    )
    # A decision can be changed later, though the pair has left the queue by then.
    with duckdb.connect(str(data_dir.warehouse)) as connection:
        connection.execute("delete from linkage.organisation_review")
    assert review(data_dir, "organisation", "--different", LEFT, RIGHT, "--by", "Wang Fang") == 0
    decided = Decisions(data_dir.linkage / "organisation")
    assert decided.history().select(
        "record_id_l", "record_id_r", "decision", "decided_by", "note"
    ).rows() == [
        (LEFT, RIGHT, "same", "Li Wei", "one licence on paper"),
        (LEFT, RIGHT, "different", "Wang Fang", None),
    ]
    assert decided.in_force()["decision"].to_list() == ["different"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ("organisation", "--same", LEFT, "N:other", "--by", "Li Wei"),
            "is not a pair in linkage.organisation_review nor one decided before",
        ),
        (("organisation", "--same", LEFT, RIGHT), "say who decides (--by)"),
        (("person",), "no review queue for persons"),
    ],
)
def test_what_cannot_be_decided_is_refused_in_one_line(data_dir, capsys, arguments, message):
    assert review(data_dir, *arguments) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (data_dir.linkage / "organisation" / "decisions.parquet").exists()


HOLD_FOR_WRITING = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(60)
"""


def test_a_build_holding_the_warehouse_is_reported_not_waited_for(data_dir, capsys):
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_FOR_WRITING, str(data_dir.warehouse)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "holding"
        assert review(data_dir, "organisation") == 1
    finally:
        writer.kill()
        writer.wait()
    assert "is being written by a run: try again when it ends" in capsys.readouterr().err
