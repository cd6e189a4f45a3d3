"""Review decisions kept in the lake: the newest on a pair is in force, whoever wrote it in which order."""

import pytest

from pipelines.lib.linkage.decisions import Decisions


def test_the_newest_decision_on_a_pair_is_in_force(tmp_path):
    decisions = Decisions(tmp_path / "organisation")
    assert decisions.in_force().is_empty()
    decisions.record("N:b", "E:a", "same", "Li Wei", "one licence on paper")
    decisions.record("P:x", "P:y", "different", "Zhang Min")
    decisions.record("E:a", "N:b", "different", "Wang Fang", "two shops after all")
    in_force = decisions.in_force()
    assert in_force.select("record_id_l", "record_id_r", "decision", "decided_by").rows() == [
        ("E:a", "N:b", "different", "Wang Fang"),
        ("P:x", "P:y", "different", "Zhang Min"),
    ]
    history = decisions.history()
    assert history.height == 3 and history["note"].to_list() == [
        "one licence on paper",
        None,
        "two shops after all",
    ]


def test_only_same_or_different_can_be_decided(tmp_path):
    decisions = Decisions(tmp_path)
    with pytest.raises(ValueError, match="'same' or 'different'"):
        decisions.record("a", "b", "maybe", "Li Wei")
    assert not decisions.path.exists()
