"""Stable entity keys: a cluster keeps the key its mentions had, unless clusters merged or split.

The registry remembers which key every mention was given. On each run a cluster takes the
prior key most of its mentions carry (other prior keys it absorbed are recorded as merged into
it); a prior key now spread over several clusters stays with the cluster holding most of its
mentions and the others get new keys (recorded as split from it). A cluster new to the
registry is keyed by its anchor (the identifier it rests on, such as a credit code) or, having
none, by a hash of its smallest mention: the same input always gives the same keys.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

REGISTRY_SCHEMA = pl.Schema({"mention_id": pl.String, "entity_key": pl.String})
CHANGES_SCHEMA = pl.Schema(
    {
        "change": pl.String,
        "entity_key": pl.String,
        "previous_key": pl.String,
        "mentions": pl.Int64,
    }
)


@dataclass(frozen=True)
class KeyAssignment:
    keys: pl.DataFrame  # mention_id, entity_key: the new registry
    changes: pl.DataFrame  # change (merged / split), entity_key, previous_key, mentions
    new_entities: int


def assign_keys(clusters: pl.DataFrame, registry: pl.DataFrame, prefix: str) -> KeyAssignment:
    """Keys for `clusters` (mention_id, cluster, anchor), continuing `registry` (mention_id, entity_key)."""
    current = clusters.join(
        registry.rename({"entity_key": "prior_key"}), on="mention_id", how="left"
    )
    first_mention = current.group_by("cluster").agg(
        pl.col("mention_id").min().alias("first_mention")
    )
    claims = (
        current.filter(pl.col("prior_key").is_not_null())
        .group_by("cluster", "prior_key")
        .agg(pl.len().alias("mentions"))
        .join(first_mention, on="cluster")
        # The cluster holding most of a prior key's mentions owns it (ties: the earliest mention).
        .sort(["prior_key", "mentions", "first_mention"], descending=[False, True, False])
        .with_columns((pl.int_range(pl.len()).over("prior_key") == 0).alias("owner"))
    )
    kept = (
        claims.filter("owner")
        .sort(["cluster", "mentions", "prior_key"], descending=[False, True, False])
        .with_columns((pl.int_range(pl.len()).over("cluster") == 0).alias("chosen"))
    )
    chosen = kept.filter("chosen").select("cluster", pl.col("prior_key").alias("entity_key"))
    taken = set(registry["entity_key"].to_list())

    anchors = current.group_by("cluster").agg(
        pl.col("anchor").drop_nulls().min(), pl.col("mention_id").min()
    )
    fresh = anchors.join(chosen, on="cluster", how="anti").sort("mention_id")
    fresh_keys = []
    for anchor, mention in zip(
        fresh["anchor"].to_list(), fresh["mention_id"].to_list(), strict=True
    ):
        key = (
            anchor
            if anchor is not None
            else f"{prefix}{hashlib.md5(mention.encode()).hexdigest()[:16]}"
        )
        base, suffix = key, 2
        while key in taken:  # an anchor or hash already used by another entity: never share a key
            key, suffix = f"{base}~{suffix}", suffix + 1
        taken.add(key)
        fresh_keys.append(key)
    keyed = pl.concat(
        [chosen, fresh.select("cluster", pl.Series("entity_key", fresh_keys, dtype=pl.String))]
    )

    merged = (
        kept.filter(~pl.col("chosen"))
        .join(chosen, on="cluster")
        .select(
            pl.lit("merged").alias("change"),
            "entity_key",
            pl.col("prior_key").alias("previous_key"),
            "mentions",
        )
    )
    split = (
        claims.filter(~pl.col("owner"))
        .join(keyed, on="cluster")
        .select(
            pl.lit("split").alias("change"),
            "entity_key",
            pl.col("prior_key").alias("previous_key"),
            "mentions",
        )
    )
    return KeyAssignment(
        keys=current.join(keyed, on="cluster")
        .select("mention_id", "entity_key")
        .sort("mention_id"),
        changes=pl.concat([merged, split])
        .cast(CHANGES_SCHEMA)
        .sort("change", "entity_key", "previous_key"),
        new_entities=fresh.height,
    )
