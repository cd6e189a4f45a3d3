"""Organisations: identifiers are exact keys; names, places, phones and representatives are evidence.

Mentions sharing a credit code (USCC), a food licence number or a pollutant permit number are
one record (the identifiers are contract-checked), and so are mentions of one name where the
vocabulary says the organisation type's names are unique in the city (`uniqueName`: a fire
station's vehicle register names only its station). Mentions with none are grouped by their
normalised name (legal forms, brackets, widths and city prefixes removed in staging), county
and place. Splink then scores pairs of records that share a name, a name's first characters in
one county, a phone or a place: name similarity, county, place (from place linkage), phone and legal
representative weigh for or against, and two different credit codes rule a match out, so two
branches of one chain stay two organisations.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

import duckdb
import polars as pl
import splink.comparison_level_library as cll
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
from pipelines.lib.linkage.graph import connected_components
from pipelines.lib.linkage.pair_store import PairStore
from pipelines.lib.linkage.scoring import identifier_of_its_own, load_table, score_pairs

THRESHOLDS = Thresholds(match=0.95, review=0.50)

# A clerk's typo replaces one character. DuckDB's string distances count UTF-8 bytes (one Chinese
# character is three), so a one-character typo in a five-character name scores a Jaro-Winkler of
# 0.78; comparing character by character sees it for what it is.
ONE_CHARACTER_TYPED_DIFFERENTLY = """
length(name_l) = length(name_r) and length(name_l) > 3
and list_sum(list_transform(range(1, length(name_l) + 1), lambda i: (substr(name_l, i, 1) <> substr(name_r, i, 1))::int)) = 1
"""

SETTINGS = SettingsCreator(
    link_type="dedupe_only",
    unique_id_column_name="record_id",
    probability_two_random_records_match=2e-4,
    comparisons=[
        identifier_of_its_own("uscc", "credit_code", "two different credit codes"),
        # u as measured on the small sample city (see scoring.py: used where a city is too small to estimate it).
        cl.CustomComparison(
            output_column_name="name",
            comparison_levels=[
                cll.NullLevel("name"),
                cll.ExactMatchLevel("name").configure(m_probability=0.85, u_probability=4.7e-5),
                cll.CustomLevel(
                    ONE_CHARACTER_TYPED_DIFFERENTLY,
                    label_for_charts="one character typed differently",
                ).configure(m_probability=0.06, u_probability=3.9e-4),
                cll.JaroWinklerLevel("name", 0.9).configure(
                    m_probability=0.05, u_probability=1.4e-3
                ),
                cll.ElseLevel().configure(m_probability=0.04, u_probability=1 - 1.837e-3),
            ],
        ),
        cl.ExactMatch("county_code").configure(
            m_probabilities=[0.97, 0.03], u_probabilities=[0.088, 0.912]
        ),
        cl.ArrayIntersectAtSizes("places", [1]).configure(
            m_probabilities=[0.7, 0.3], u_probabilities=[4e-5, 1 - 4e-5]
        ),
        cl.ExactMatch("phone").configure(
            m_probabilities=[0.6, 0.4], u_probabilities=[7e-6, 1 - 7e-6]
        ),
        cl.ExactMatch("legal_rep_name").configure(
            m_probabilities=[0.6, 0.4], u_probabilities=[3.7e-5, 1 - 3.7e-5]
        ),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("name"),
        block_on("county_code", "substr(name, 1, 4)"),
        block_on("phone"),
        # A name misspelt in its first characters still shares the organisation's place.
        block_on("main_place"),
    ],
    retain_intermediate_calculation_columns=True,
)

_MENTIONS_SQL = """
create or replace temp table organisation_mentions as
select
    m.source_department, m.source_feed, m.source_record_id, m.role, m.slot,
    m.source_record_id || '|' || m.role || '|' || m.slot as mention_id,
    m.uscc, m.licence_no, m.permit_no, m.name_normalised as name, m.county_code, m.phone, m.legal_rep_name,
    m.organisation_type,
    -- The place of the record, for the roles the mapping places there: its premises, or a site
    -- it is involved at (premises and site relations).
    case when placed.role is not null then p.place_key end as place_key
from wh.intermediate.int_organisation_mentions as m
left join (
    select distinct source_feed, from_role as role
    from wh.intermediate.int_mention_relations where relation in ('premises', 'site')
) as placed using (source_feed, role)
left join (
    select pm.source_record_id, min(c.place_key) as place_key
    from wh.intermediate.int_place_mentions as pm
    join wh.linkage.place_clusters as c using (location_key)
    group by pm.source_record_id
) as p using (source_record_id)
where m.name_normalised is not null or m.uscc is not null or m.licence_no is not null or m.permit_no is not null
"""


def _records(mentions: pl.DataFrame) -> pl.DataFrame:
    """One row per record: what its mentions say most often (places: all of them)."""
    credit_codes = pl.col("uscc").drop_nulls().unique()
    credit_code = pl.when(credit_codes.len() == 1).then(credit_codes.first())
    return (
        mentions.group_by("record_id")
        .agg(
            credit_code.alias("uscc"),
            most_common("name"),
            most_common("county_code"),
            distinct_or_null("place_key").alias("places"),
            most_common("place_key").alias("main_place"),
            most_common("phone"),
            most_common("legal_rep_name"),
            credit_code.alias("label"),
            pl.col("source_feed").unique().sort().str.join(",").alias("_feeds"),
        )
        .with_columns(
            pl.concat_str(
                ["name", "county_code", "uscc", "_feeds"], separator=" | ", ignore_nulls=True
            ).alias("summary")
        )
        .drop("_feeds")
        .sort("record_id")
    )


def _identifier_groups(mentions: pl.DataFrame, unique_name_types: Collection[str]) -> pl.DataFrame:
    """mention_id -> record_id: connected by shared identifiers, else by name, county and place."""
    identifiers = pl.concat(
        [
            mentions.filter(pl.col("organisation_type").is_in(list(unique_name_types))).select(
                "mention_id",
                pl.concat_str([pl.lit("T:"), "organisation_type", pl.lit("|"), "name"]).alias(
                    "node"
                ),
            ),
            mentions.select("mention_id", pl.concat_str([pl.lit("U:"), "uscc"]).alias("node")),
            mentions.select(
                "mention_id", pl.concat_str([pl.lit("L:"), "licence_no"]).alias("node")
            ),
            mentions.select("mention_id", pl.concat_str([pl.lit("E:"), "permit_no"]).alias("node")),
            # Without any identifier: one record per normalised name, county and place.
            mentions.filter(
                pl.col("uscc").is_null()
                & pl.col("licence_no").is_null()
                & pl.col("permit_no").is_null()
            ).select(
                "mention_id",
                pl.concat_str(
                    [pl.lit("N:"), "name", pl.lit("|"), "county_code", pl.lit("|"), "place_key"],
                    ignore_nulls=True,
                ).alias("node"),
            ),
        ]
    ).drop_nulls("node")
    nodes = (
        pl.concat([mentions["mention_id"], identifiers["node"]])
        .unique()
        .sort()
        .to_frame("node")
        .with_row_index("number")
    )
    edges = identifiers.join(
        nodes.rename({"node": "mention_id", "number": "left"}), on="mention_id"
    ).join(nodes.rename({"number": "right"}), on="node")
    component = connected_components(
        nodes.height, edges["left"].to_numpy(), edges["right"].to_numpy()
    )
    # A record is named by its smallest member node: an identifier where it has one.
    record_of = nodes.select(
        pl.col("node").alias("mention_id"), pl.col("node").gather(component).alias("record_id")
    )
    return mentions.select("mention_id").join(
        record_of, on="mention_id", how="left", maintain_order="left"
    )


def link_organisations(
    connection: duckdb.DuckDBPyConnection,
    decisions: pl.DataFrame,
    unique_name_types: Collection[str] = (),
    store: PairStore | None = None,
) -> tuple[pl.DataFrame, RecordClusters]:
    """Organisation mentions with their cluster, and the record clusters (with the review queue).

    `decisions`: the review decisions in force (`decisions.Decisions.in_force`);
    `unique_name_types`: the organisation types whose name alone identifies (the vocabulary's
    `uniqueName`); `store`: the pairs scored by the last run, to score only what changed
    (`pair_store.py`).
    Needs `wh` (the warehouse, attached) with the places linked (`wh.linkage.place_clusters`).
    """
    connection.execute(_MENTIONS_SQL)
    mentions = connection.sql("select * from organisation_mentions").pl()
    records_of = _identifier_groups(mentions, unique_name_types)
    records = _records(mentions.join(records_of, on="mention_id"))
    load_table(connection, "organisation_records", records)
    scored = score_pairs(connection, "organisation_records", SETTINGS, THRESHOLDS.review, store)
    clusters = replace(
        cluster_records(records, scored.pairs, THRESHOLDS, decisions),
        rescored_records=scored.rescored,
    )
    linked = (
        mentions.join(records_of, on="mention_id")
        .join(clusters.records, on="record_id")
        .join(
            records.select("record_id", pl.col("label").alias("record_credit_code")), on="record_id"
        )
    )
    anchors = linked.group_by("cluster").agg(
        pl.when(pl.col("uscc").drop_nulls().n_unique() == 1)
        .then(pl.concat_str([pl.lit("U:"), pl.col("uscc").drop_nulls().min()]))
        .alias("anchor")
    )
    exact_on = (
        pl.when(pl.col("uscc").is_not_null())
        .then(pl.lit("credit_code"))
        .when(pl.col("licence_no").is_not_null())
        .then(pl.lit("licence_number"))
        .when(pl.col("permit_no").is_not_null())
        .then(pl.lit("permit_number"))
        .when(pl.col("organisation_type").is_in(list(unique_name_types)))
        .then(pl.lit("unique_name_of_its_type"))
        .otherwise(pl.lit("normalised_name_county_place"))
    )
    # A mention is matched probabilistically when its record joined the cluster by a scored link,
    # unless the record carries the credit code the cluster rests on.
    joined_by_link = pl.col("matched_on").is_not_null() & pl.col("record_credit_code").is_null()
    linked = linked.join(anchors, on="cluster").with_columns(
        method_of_link(joined_by_link).alias("method"),
        pl.when(joined_by_link)
        .then("match_probability")
        .otherwise(pl.lit(1.0))
        .alias("match_probability"),
        pl.when(joined_by_link)
        .then(pl.concat_str([exact_on, pl.lit(" > "), pl.col("matched_on")]))
        .otherwise(exact_on)
        .alias("matched_on"),
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
