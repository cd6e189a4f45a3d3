"""Persons: a valid full identity number is an exact key; a masked number is evidence, not a key.

Mentions with the same full number (kept only as a keyed hash) are one record. Splink then
scores pairs that share a masked number (area code and last four characters, the only digits
market regulation shows): the name, the phone and the organisations a person represents weigh
for or against, and two different full numbers rule a match out.
"""

from __future__ import annotations

import duckdb
import polars as pl
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

from pipelines.lib.linkage.clustering import RecordClusters, Thresholds, cluster_records
from pipelines.lib.linkage.scoring import identifier_of_its_own, score_pairs

THRESHOLDS = Thresholds(match=0.95, review=0.50)

SETTINGS = SettingsCreator(
    link_type="dedupe_only",
    unique_id_column_name="record_id",
    # About one pair in 100,000 is one person seen twice (few people appear in several silos).
    probability_two_random_records_match=1e-5,
    comparisons=[
        identifier_of_its_own("id_hash", "identity_number", "two different full numbers"),
        # u as measured on the small sample city (see scoring.py: used where a city is too small to estimate it).
        cl.ExactMatch("id_masked").configure(m_probabilities=[0.995, 0.005], u_probabilities=[1.2e-5, 1 - 1.2e-5]),
        cl.JaroWinklerAtThresholds("name", [0.88]).configure(
            m_probabilities=[0.95, 0.04, 0.01], u_probabilities=[3.4e-5, 2.5e-4, 1 - 2.84e-4]
        ),
        cl.ExactMatch("phone").configure(m_probabilities=[0.85, 0.15], u_probabilities=[1e-6, 1 - 1e-6]),
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
    o.organisation_key
from wh.intermediate.int_person_mentions as p
left join (
    -- A legal representative represents the organisation of the same record.
    select source_record_id, any_value(organisation_key) as organisation_key
    from wh.linkage.organisation_clusters where role in ('registered', 'licensee') group by source_record_id
) as o on p.role = 'legal_representative' and o.source_record_id = p.source_record_id
"""

_RECORDS_SQL = """
create or replace temp table person_records as
select
    'P:' || left(id_hash, 32) as record_id,
    id_hash,
    any_value(id_masked) as id_masked,
    mode(name) as name,
    mode(phone) as phone,
    list(distinct organisation_key) filter (where organisation_key is not null) as organisations,  -- null: no evidence
    id_hash as label,
    concat_ws(' | ', mode(name), any_value(id_masked), 'full number') as summary
from person_mentions
where id_hash is not null
group by id_hash
union all
select
    mention_id, null, id_masked, name, phone,
    case when organisation_key is not null then [organisation_key] end,
    null,
    concat_ws(' | ', name, id_masked, source_feed)
from person_mentions
where id_hash is null
"""


def link_persons(connection: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, RecordClusters]:
    """Person mentions with their cluster, and the record clusters (with the review queue).

    Needs `wh` (the warehouse, attached) with the organisations linked (`wh.linkage.organisation_clusters`).
    Mention columns: source_department, source_feed, source_record_id, role, slot, mention_id,
    cluster, anchor, method, match_probability, matched_on.
    """
    connection.execute(_MENTIONS_SQL)
    connection.execute(_RECORDS_SQL)
    records = connection.sql("select record_id, label, summary from person_records").pl()
    pairs = score_pairs(connection, "person_records", SETTINGS, threshold=THRESHOLDS.review)
    clusters = cluster_records(records, pairs, THRESHOLDS)
    mentions = connection.sql(
        "select source_department, source_feed, source_record_id, role, slot, mention_id, "
        "coalesce('P:' || left(id_hash, 32), mention_id) as record_id, id_hash from person_mentions"
    ).pl()
    anchors = (
        mentions.join(clusters.records, on="record_id")
        .group_by("cluster").agg(pl.col("record_id").filter(pl.col("id_hash").is_not_null()).min().alias("anchor"))
    )
    linked = mentions.join(clusters.records, on="record_id").join(anchors, on="cluster").with_columns(
        pl.when(pl.col("id_hash").is_not_null()).then(pl.lit("exact")).otherwise(
            pl.when(pl.col("matched_on").is_not_null()).then(pl.lit("probabilistic")).otherwise(pl.lit("exact"))
        ).alias("method"),
        pl.when(pl.col("id_hash").is_not_null()).then(pl.lit(1.0)).otherwise("match_probability").alias("match_probability"),
        pl.when(pl.col("id_hash").is_not_null()).then(pl.lit("identity_number"))
        .when(pl.col("matched_on").is_not_null()).then(pl.col("matched_on"))
        .otherwise(pl.lit("own_record")).alias("matched_on"),
    )
    return linked.drop("record_id", "id_hash"), clusters
