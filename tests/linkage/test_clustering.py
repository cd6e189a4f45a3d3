"""From scored pairs to clusters and a review queue: linked, refused, uncertain, dropped."""

import polars as pl

from pipelines.lib.linkage.clustering import Thresholds, cluster_records


def test_uncertain_and_conflicting_pairs_are_queued_for_review_not_linked():
    records = pl.DataFrame(
        {
            "record_id": ["a", "b", "c", "d"],
            "label": ["U:1", None, "U:2", None],  # a and c carry different credit codes
            "summary": ["A | 510104", "B | 510104", "C | 510104", "D | 510105"],
        }
    )
    pairs = pl.DataFrame(
        {
            "record_id_l": ["a", "b", "a", "c"],
            "record_id_r": ["b", "c", "d", "d"],
            "match_probability": [0.99, 0.97, 0.70, 0.30],
            "match_weight": [6.6, 5.0, 1.2, -1.2],
            "evidence": [
                "name: exact (14.1)",
                "name: exact (14.1)",
                "name: similar (4.0); place: different (-1.7)",
                "name: different (-5.6)",
            ],
            "agreeing": ["name", "name", "name", ""],
        }
    )
    clusters = cluster_records(records, pairs, Thresholds(match=0.95, review=0.50))
    cluster = dict(zip(clusters.records["record_id"], clusters.records["cluster"], strict=True))
    assert cluster["a"] == cluster["b"] and len({cluster["a"], cluster["c"], cluster["d"]}) == 3
    linked = clusters.records.filter(pl.col("record_id") == "b").row(0, named=True)
    assert linked["match_probability"] == 0.99 and linked["matched_on"] == "name"
    review = {
        (r["record_id_l"], r["record_id_r"]): r for r in clusters.review.iter_rows(named=True)
    }
    assert set(review) == {("b", "c"), ("a", "d")}  # 0.30 is a non-match: dropped
    assert review[("b", "c")]["reason"] == "conflicting identifiers"
    assert review[("a", "d")]["reason"] == "uncertain"
    assert review[("a", "d")]["evidence"] == "name: similar (4.0); place: different (-1.7)"
    assert (review[("a", "d")]["summary_l"], review[("a", "d")]["summary_r"]) == (
        "A | 510104",
        "D | 510105",
    )


def test_most_common_breaks_ties_the_same_way_whatever_the_row_order():
    from pipelines.lib.linkage.clustering import distinct_or_null, most_common

    rows = pl.DataFrame({"record": [1] * 5 + [2], "name": ["乙", "甲", "乙", "甲", None, None]})
    for frame in (rows, rows.reverse(), rows.sample(fraction=1.0, shuffle=True, seed=3)):
        result = (
            frame.group_by("record")
            .agg(most_common("name"), distinct_or_null("name").alias("names"))
            .sort("record")
        )
        assert result["name"].to_list() == [
            min("甲", "乙"),
            None,
        ]  # two each: the smaller (乙, U+4E59)
        assert result["names"].to_list() == [sorted(["甲", "乙"]), None]


def _scored(rows):
    return pl.DataFrame(
        [(a, b, p, 0.0, f"scored {p}", "name") for a, b, p in rows],
        schema=[
            "record_id_l",
            "record_id_r",
            "match_probability",
            "match_weight",
            "evidence",
            "agreeing",
        ],
        orient="row",
    )


def _decided(rows):
    return pl.DataFrame(
        [(a, b, d, "Li Wei") for a, b, d in rows],
        schema=["record_id_l", "record_id_r", "decision", "decided_by"],
        orient="row",
    )


def test_review_decisions_overrule_the_scores_and_settle_the_queue():
    records = pl.DataFrame(
        {
            "record_id": ["a", "b", "c", "d", "e"],
            "label": [None, None, None, "U:1", "U:2"],
            "summary": ["A", "B", "C", "D", "E"],
        }
    )
    pairs = _scored([("a", "b", 0.70), ("b", "c", 0.99), ("c", "d", 0.60)])
    # Decided in the queue's order or not: a-b the same, c-b different (linked at 0.99),
    # d-e the same although they hold two credit codes.
    decisions = _decided([("b", "a", "same"), ("c", "b", "different"), ("d", "e", "same")])
    clusters = cluster_records(records, pairs, Thresholds(match=0.95, review=0.50), decisions)
    cluster = dict(zip(clusters.records["record_id"], clusters.records["cluster"], strict=True))
    assert cluster["a"] == cluster["b"] and cluster["b"] != cluster["c"]
    assert cluster["d"] != cluster["e"]  # two credit codes are two organisations, whoever decides
    joined = clusters.records.filter(pl.col("record_id") == "b").row(0, named=True)
    assert joined["match_probability"] == 1.0 and joined["matched_on"] == "review"
    review = {
        (r["record_id_l"], r["record_id_r"]): r["reason"]
        for r in clusters.review.iter_rows(named=True)
    }
    # a-b and b-c are settled; c-d still waits; d-e could not be applied, so it stays in sight.
    assert review == {("c", "d"): "uncertain", ("d", "e"): "conflicting identifiers"}


def test_decisions_on_records_that_no_longer_exist_change_nothing():
    records = pl.DataFrame({"record_id": ["a", "b"], "label": [None, None], "summary": ["A", "B"]})
    pairs = _scored([("a", "b", 0.99)])
    thresholds = Thresholds(match=0.95, review=0.50)
    without = cluster_records(records, pairs, thresholds)
    with_stale = cluster_records(
        records, pairs, thresholds, _decided([("a", "gone", "different"), ("x", "y", "same")])
    )
    assert with_stale.records.equals(without.records) and with_stale.review.equals(without.review)
    assert with_stale.unmatched_decisions == 2 and without.unmatched_decisions == 0
