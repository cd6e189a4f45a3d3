"""Persons: a valid full identity number is an exact key; a masked number is evidence, not a key.

Mentions with the same full number (kept only as a keyed hash) are one record. Splink then
scores pairs that share a masked number (area code and last four characters, the only digits
market regulation shows): the name, the phone and the organisations a person represents weigh
for or against, and two different full numbers rule a match out.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import polars as pl
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

from pipelines.lib.linkage.clustering import (
    RecordClusters,
    Thresholds,
    cluster_records,
    distinct_or_null,
    method_of_link,
    most_common,
)
from pipelines.lib.linkage.pair_store import PairStore
from pipelines.lib.linkage.scoring import identifier_of_its_own, load_table, score_pairs

THRESHOLDS = Thresholds(match=0.95, review=0.50)

SETTINGS = SettingsCreator(
    link_type="dedupe_only",
    unique_id_column_name="record_id",
    # About one pair in 100,000 is one person seen twice (few people appear in several silos).
    probability_two_random_records_match=1e-5,
    comparisons=[
        identifier_of_its_own("id_hash", "identity_number", "two different full numbers"),
        # u as measured on the small sample city (see scoring.py: used where a city is too small to estimate it).
        cl.ExactMatch("id_masked").configure(
            m_probabilities=[0.995, 0.005], u_probabilities=[1.2e-5, 1 - 1.2e-5]
        ),
        cl.JaroWinklerAtThresholds("name", [0.88]).configure(
            m_probabilities=[0.95, 0.04, 0.01], u_probabilities=[3.4e-5, 2.5e-4, 1 - 2.84e-4]
        ),
        cl.ExactMatch("phone").configure(
            m_probabilities=[0.85, 0.15], u_probabilities=[1e-6, 1 - 1e-6]
        ),
        cl.ArrayIntersectAtSizes("organisations", [1]).configure(
            m_probabilities=[0.5, 0.5], u_probabilities=[1.8e-5, 1 - 1.8e-5]
        ),
    ],
    blocking_rules_to_generate_predictions=[block_on("id_masked")],
    retain_intermediate_calculation_columns=True,
)

_MENTIONS_SQL = """
create or replace temp table person_mentions as
select
    p.source_department, p.source_feed, p.source_record_id, p.role, p.slot,
    p.source_record_id || '|' || p.role || '|' || p.slot as mention_id,
    p.name, p.id_hash, p.id_masked, p.phone,
    -- A person who represents an organisation (the mapping's represents relation) is evidence
    -- about the organisation of the same record that they represent.
    o.organisation_key
from wh.intermediate.int_person_mentions as p
left join (
    select distinct source_feed, from_role as role, to_role
    from wh.intermediate.int_mention_relations where relation = 'represents'
) as rel using (source_feed, role)
left join (
    select source_record_id, role, min(organisation_key) as organisation_key
    from wh.linkage.organisation_clusters group by source_record_id, role
) as o on o.source_record_id = p.source_record_id and o.role = rel.to_role
"""


def _records(mentions: pl.DataFrame) -> pl.DataFrame:
    """One record per full number (what its mentions say most often), and one per other mention."""
    return (
        mentions.group_by("record_id")
        .agg(
            pl.col("id_hash").first(),
            most_common("id_masked"),
            most_common("name"),
            most_common("phone"),
            distinct_or_null("organisation_key").alias("organisations"),
            pl.col("id_hash").first().alias("label"),
            pl.when(pl.col("id_hash").first().is_not_null())
            .then(pl.lit("full number"))
            .otherwise(pl.col("source_feed").first())
            .alias("_source"),
        )
        .with_columns(
            pl.concat_str(
                ["name", "id_masked", "_source"], separator=" | ", ignore_nulls=True
            ).alias("summary")
        )
        .drop("_source")
        .sort("record_id")
    )


def link_persons(
    connection: duckdb.DuckDBPyConnection,
    decisions: pl.DataFrame,
    store: PairStore | None = None,
) -> tuple[pl.DataFrame, RecordClusters]:
    """Person mentions with their cluster, and the record clusters (with the review queue).

    `decisions`: the review decisions in force (`decisions.Decisions.in_force`); `store`: the
    pairs scored by the last run, to score only what changed (`pair_store.py`).
    Needs `wh` (the warehouse, attached) with the organisations linked (`wh.linkage.organisation_clusters`).
    Mention columns: source_department, source_feed, source_record_id, role, slot, mention_id,
    cluster, anchor, method, match_probability, matched_on.
    """
    connection.execute(_MENTIONS_SQL)
    mentions = connection.sql(
        "select *, coalesce('P:' || left(id_hash, 32), mention_id) as record_id from person_mentions"
    ).pl()
    records = _records(mentions)
    load_table(connection, "person_records", records)
    scored = score_pairs(connection, "person_records", SETTINGS, THRESHOLDS.review, store)
    clusters = replace(
        cluster_records(records, scored.pairs, THRESHOLDS, decisions),
        rescored_records=scored.rescored,
    )
    anchors = (
        mentions.join(clusters.records, on="record_id")
        .group_by("cluster")
        .agg(pl.col("record_id").filter(pl.col("id_hash").is_not_null()).min().alias("anchor"))
    )
    # A mention with a full number is its person exactly; one without joined by a scored link, or alone.
    joined_by_link = pl.col("matched_on").is_not_null() & pl.col("id_hash").is_null()
    linked = (
        mentions.join(clusters.records, on="record_id")
        .join(anchors, on="cluster")
        .with_columns(
            method_of_link(joined_by_link).alias("method"),
            pl.when(joined_by_link)
            .then("match_probability")
            .otherwise(pl.lit(1.0))
            .alias("match_probability"),
            pl.when(pl.col("id_hash").is_not_null())
            .then(pl.lit("identity_number"))
            .when(joined_by_link)
            .then("matched_on")
            .otherwise(pl.lit("own_record"))
            .alias("matched_on"),
        )
    )
    return linked.select(
        "source_department",
        "source_feed",
        "source_record_id",
        "role",
        "slot",
        "mention_id",
        "cluster",
        "anchor",
        "method",
        "match_probability",
        "matched_on",
    ), clusters
