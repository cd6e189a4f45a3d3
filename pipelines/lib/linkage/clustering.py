"""From scored pairs to clusters of records, and the pairs an engineer should review."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.lib.linkage.decisions import DIFFERENT, SAME
from pipelines.lib.linkage.graph import constrained_components


def most_common(column: str) -> pl.Expr:
    """In an aggregation: the most frequent non-null value, the smallest of tied ones.

    SQL's mode() breaks ties by whichever thread saw a value first, so records built with it
    could differ between runs of the same input, and with them the keys.
    """
    return pl.col(column).drop_nulls().mode().min()


def distinct_or_null(column: str) -> pl.Expr:
    """In an aggregation: the sorted distinct non-null values, or null (no evidence) when there are none."""
    values = pl.col(column).drop_nulls().unique().sort()
    return pl.when(values.len() > 0).then(values.implode()).otherwise(None)


@dataclass(frozen=True)
class Thresholds:
    match: float = 0.95  # at or above: linked
    review: float = (
        0.50  # from here up to `match`: neither linked nor dropped, but queued for review
    )


@dataclass(frozen=True)
class RecordClusters:
    records: (
        pl.DataFrame
    )  # record_id, cluster, match_probability (best accepted link, 1.0 if none), matched_on
    review: (
        pl.DataFrame
    )  # record_id_l, record_id_r, summary_l, summary_r, match_probability, reason, evidence
    unmatched_decisions: int = (
        0  # review decisions naming a record that no longer exists (nothing to act on)
    )
    rescored_records: int = (
        0  # records scored this run; the others' pairs were kept (pair_store.py)
    )


REVIEWED = "review"  # what a link a person decided rests on (`matched_on`)


def method_of_link(joined_by_link: pl.Expr) -> pl.Expr:
    """xref_source_record.method of a mention: `reviewed` where its record joined by a person's
    decision, `probabilistic` by a scored link, else `exact` (its identifier, or its own record)."""
    return (
        pl.when(joined_by_link & (pl.col("matched_on") == REVIEWED))
        .then(pl.lit("reviewed"))
        .when(joined_by_link)
        .then(pl.lit("probabilistic"))
        .otherwise(pl.lit("exact"))
    )


def cluster_records(
    records: pl.DataFrame,
    pairs: pl.DataFrame,
    thresholds: Thresholds,
    decisions: pl.DataFrame | None = None,
) -> RecordClusters:
    """Cluster `records` (record_id, label, summary) by `pairs` (from `scoring.score_pairs`).

    Links at or above the match threshold join clusters, strongest first, except where two
    different labels (identifiers a cluster may hold only one of) would meet: such pairs and
    the uncertain ones go to review instead. `decisions` (from `decisions.Decisions.in_force`)
    overrule the scores: a pair decided the same is linked as surely as can be, a pair decided
    different is kept apart; a decided pair leaves the review queue.
    """
    records = records.sort("record_id")
    index = {record_id: i for i, record_id in enumerate(records["record_id"].to_list())}
    decided = _decided_pairs(decisions, index)
    unmatched = (decisions.height if decisions is not None else 0) - decided.height
    linked = pl.concat(
        [
            pairs.filter(pl.col("match_probability") >= thresholds.match),
            decided.filter(pl.col("decision") == SAME).select(
                "record_id_l",
                "record_id_r",
                pl.lit(1.0).alias("match_probability"),
                pl.lit(None, pl.Float64).alias("match_weight"),
                pl.format("decided the same by {}", "decided_by").alias("evidence"),
                pl.lit(REVIEWED).alias("agreeing"),
            ),
        ]
    )
    left = np.array([index[r] for r in linked["record_id_l"].to_list()], dtype=np.int64)
    right = np.array([index[r] for r in linked["record_id_r"].to_list()], dtype=np.int64)
    apart = [
        (index[a], index[b])
        for a, b in decided.filter(pl.col("decision") == DIFFERENT)
        .select("record_id_l", "record_id_r")
        .iter_rows()
    ]
    components, refused = constrained_components(
        records.height,
        left,
        right,
        linked["match_probability"].to_numpy(),
        records["label"].to_list(),
        apart,
    )
    clustered = records.select("record_id").with_columns(pl.Series("cluster", components))
    refusal = pl.Series("reason", refused.tolist(), dtype=pl.String)
    accepted = linked.filter(refusal.is_null())
    best = (
        pl.concat(
            [
                accepted.select(
                    pl.col("record_id_l").alias("record_id"), "match_probability", "agreeing"
                ),
                accepted.select(
                    pl.col("record_id_r").alias("record_id"), "match_probability", "agreeing"
                ),
            ]
        )
        .sort("match_probability", descending=True)
        .group_by("record_id", maintain_order=True)
        .first()
    )
    clustered = clustered.join(best, on="record_id", how="left").select(
        "record_id",
        "cluster",
        pl.col("match_probability").fill_null(1.0),
        pl.col("agreeing").alias("matched_on"),
    )
    cluster_of = dict(
        zip(clustered["record_id"].to_list(), clustered["cluster"].to_list(), strict=True)
    )
    uncertain = pairs.filter(
        pl.col("match_probability").is_between(thresholds.review, thresholds.match, closed="left")
    )
    queued = (
        pl.concat(
            [
                linked.with_columns(refusal).filter(pl.col("reason").is_not_null()),
                # A decided pair is settled by its decision, whatever it scored.
                uncertain.join(decided, on=["record_id_l", "record_id_r"], how="anti").with_columns(
                    pl.lit("uncertain").alias("reason")
                ),
            ]
        )
        .join(
            decided.filter(pl.col("decision") == DIFFERENT),
            on=["record_id_l", "record_id_r"],
            how="anti",
        )
        .unique(["record_id_l", "record_id_r"], keep="first", maintain_order=True)
    )
    queued = queued.filter(
        pl.Series(
            [
                cluster_of[a] != cluster_of[b]
                for a, b in zip(
                    queued["record_id_l"].to_list(), queued["record_id_r"].to_list(), strict=True
                )
            ],
            dtype=pl.Boolean,
        )
    )
    summaries = records.select("record_id", "summary")
    review = (
        queued.join(
            summaries.rename({"record_id": "record_id_l", "summary": "summary_l"}), on="record_id_l"
        )
        .join(
            summaries.rename({"record_id": "record_id_r", "summary": "summary_r"}), on="record_id_r"
        )
        .select(
            "record_id_l",
            "record_id_r",
            "summary_l",
            "summary_r",
            "match_probability",
            "reason",
            "evidence",
        )
        .sort("match_probability", "record_id_l", "record_id_r", descending=[True, False, False])
    )
    return RecordClusters(records=clustered, review=review, unmatched_decisions=unmatched)


def _decided_pairs(decisions: pl.DataFrame | None, index: dict[str, int]) -> pl.DataFrame:
    """The decisions on pairs of these records, each pair with its smaller record id first.

    A decision on a record that no longer exists (its identifiers changed) has nothing to act on.
    """
    if decisions is None or decisions.is_empty():
        return pl.DataFrame(
            schema={
                "record_id_l": pl.String,
                "record_id_r": pl.String,
                "decision": pl.String,
                "decided_by": pl.String,
            }
        )
    known = list(index)
    return decisions.select(
        # The order `decisions.pair` gives (strings compare by code point in polars and Python alike).
        pl.min_horizontal("record_id_l", "record_id_r").alias("record_id_l"),
        pl.max_horizontal("record_id_l", "record_id_r").alias("record_id_r"),
        "decision",
        "decided_by",
    ).filter(pl.col("record_id_l").is_in(known) & pl.col("record_id_r").is_in(known))
