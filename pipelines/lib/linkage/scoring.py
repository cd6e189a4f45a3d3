"""Probabilistic scoring of candidate pairs with Splink on DuckDB (Fellegi-Sunter).

m probabilities (how often a true match agrees at each level) are the model's stated
priors, written beside each comparison. u probabilities (how often two random records
agree) are estimated from the data by seeded random sampling, so a run is repeatable, when
there are at least `MIN_RECORDS_TO_ESTIMATE_U` records. Fewer, and the random pairs hold too
many true matches (two random records of a 250-record town share a name 40 times more
often than in a city), so the u stated beside each comparison, measured on the `small`
sample city, is kept; so is it for a level the sample sees too rarely.
Each scored pair carries its evidence: per comparison the level reached and its match
weight, positive for, negative against.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator

from pipelines.lib import run_state
from pipelines.lib.linkage.pair_store import PairStore, model_digest
from pipelines.lib.sql_names import qualified, quoted

U_SAMPLE_PAIRS = 2_000_000
PAIRS_SCHEMA = pl.Schema(
    {
        "record_id_l": pl.String,
        "record_id_r": pl.String,
        "match_probability": pl.Float64,
        "match_weight": pl.Float64,
        "evidence": pl.String,
        "agreeing": pl.String,
    }
)
# Splink samples random pairs to estimate u: a fixed seed gives the same pairs, so runs repeat.
U_SAMPLING_SEED = 1
MIN_RECORDS_TO_ESTIMATE_U = 5_000


def load_table(connection: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """`frame` as a table of the connection, for Splink to read. `table` may be `catalog.schema.name`."""
    connection.register("_frame", frame.to_arrow())
    connection.execute(
        f"create or replace table {qualified(*table.split('.'))} as select * from _frame"
    )
    connection.unregister("_frame")


def identifier_of_its_own(column: str, name: str, different: str) -> cl.CustomComparison:
    """An exact identifier that records are grouped by beforehand: two records holding one each are two entities."""
    return cl.CustomComparison(
        output_column_name=name,
        comparison_levels=[
            cll.NullLevel(column),
            # Never occurs (one record per identifier), but Splink needs two non-null levels.
            cll.ExactMatchLevel(column).configure(m_probability=1 - 1e-9, u_probability=1e-9),
            cll.ElseLevel().configure(label_for_charts=different, m_probability=1e-9),
        ],
    )


@dataclass(frozen=True)
class ScoredPairs:
    pairs: pl.DataFrame  # PAIRS_SCHEMA
    records: int
    rescored: int  # records whose pairs were scored this run (the others' were kept from the last)


def score_pairs(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    settings: SettingsCreator,
    threshold: float,
    store: PairStore | None = None,
) -> ScoredPairs:
    """Pairs of `table` rows (unique id `record_id`) the blocking rules propose, scoring at least `threshold`.

    Pair columns: record_id_l, record_id_r, match_probability, match_weight, evidence (every
    comparison's level and weight), agreeing (the comparisons that weighed for the match).
    With a `store`, the model and the pairs are kept, and only pairs with a record that is new
    or changed since the last run are scored (`pair_store.py`). Every column but `summary` and
    `label` (read by clustering, not by scoring) is what a record's fingerprint is taken of.
    """
    [(records,)] = connection.execute(f"select count(*) from {quoted(table, 'table')}").fetchall()
    if records < 2:
        # Nothing to compare (Splink cannot sample an empty table).
        return ScoredPairs(pl.DataFrame(schema=PAIRS_SCHEMA), records, 0)
    stated = settings.create_settings_dict("duckdb")
    if store is None:
        model = _estimated_model(connection, table, stated, records)
        pairs = _predict(connection, table, model, threshold)
        return ScoredPairs(pairs.sort("record_id_l", "record_id_r"), records, records)
    # What the model is stated to be: the settings, and how u is estimated.
    stated_as = _digest(
        model_digest(stated), MIN_RECORDS_TO_ESTIMATE_U, U_SAMPLE_PAIRS, U_SAMPLING_SEED
    )
    kept_model = store.model_for(stated_as, records)
    if kept_model is not None:
        model = kept_model
    else:
        model = _estimated_model(connection, table, stated, records)
        # Kept once estimated from the data; the stated model needs no keeping, and a city that
        # grows past MIN_RECORDS_TO_ESTIMATE_U has its u estimated then.
        if records >= MIN_RECORDS_TO_ESTIMATE_U:
            store.save_model(stated_as, model, records)
    # What the pairs are scored by: the model, the threshold, the code and library versions.
    scoring = _digest(model_digest(model), threshold, run_state.code_digest())
    fingerprints = connection.sql(
        f"select record_id, md5(to_json(t)::varchar) as fingerprint"
        f" from (select * exclude (summary, label) from {quoted(table, 'table')}) as t"
    ).pl()
    stored = store.scored_by(scoring, PAIRS_SCHEMA)
    if stored is None:
        pairs = _predict(connection, table, model, threshold)
        rescored = records
    else:
        unchanged = fingerprints.join(
            stored.fingerprints, on=["record_id", "fingerprint"], how="semi"
        )["record_id"]
        ids = unchanged.implode()
        pairs = stored.pairs.filter(
            pl.col("record_id_l").is_in(ids) & pl.col("record_id_r").is_in(ids)
        )
        rescored = records - unchanged.len()
        if rescored:
            pairs = pl.concat([pairs, _predict(connection, table, model, threshold, unchanged)])
    pairs = pairs.sort("record_id_l", "record_id_r")
    store.save(scoring, fingerprints.sort("record_id"), pairs)
    return ScoredPairs(pairs, records, rescored)


def _digest(*parts: object) -> str:
    return hashlib.sha256("|".join(map(repr, parts)).encode()).hexdigest()


def _estimated_model(
    connection: duckdb.DuckDBPyConnection, table: str, stated: dict[str, Any], records: int
) -> dict[str, Any]:
    """The stated model, with u estimated from `table` where it has enough records."""
    linker = _linker(connection, table, stated)
    if records >= MIN_RECORDS_TO_ESTIMATE_U:
        linker.training.estimate_u_using_random_sampling(
            max_pairs=U_SAMPLE_PAIRS, seed=U_SAMPLING_SEED
        )
    return linker.misc.save_model_to_json()


def _linker(connection: duckdb.DuckDBPyConnection, table: str, model: dict[str, Any]) -> Linker:
    # ERROR: the "u not fully trained" warning is expected where the stated u is kept (see above).
    return Linker(DuckDBAPI(connection=connection).register(table), model, log_level=logging.ERROR)


def _predict(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    model: dict[str, Any],
    threshold: float,
    unchanged: pl.Series | None = None,
) -> pl.DataFrame:
    """Score the pairs the model's blocking rules propose; with `unchanged` (record ids), only
    pairs with at least one other record: the same pairs, and scores, as scoring all and
    dropping those."""
    if unchanged is not None:
        connection.register("_unchanged", unchanged.to_frame().to_arrow())
        scored_table = f"{table}_changed"
        connection.execute(
            f"create or replace temp table {quoted(scored_table, 'table')} as "
            f"select *, record_id not in (select record_id from _unchanged) as _changed "
            f"from {quoted(table, 'table')}"
        )
        connection.unregister("_unchanged")
        rules = model["blocking_rules_to_generate_predictions"]
        model = {
            **model,
            "blocking_rules_to_generate_predictions": [
                {
                    **rule,
                    "blocking_rule": f"({rule['blocking_rule']}) and (l._changed or r._changed)",
                }
                for rule in rules
            ],
        }
        table = scored_table
    linker = _linker(connection, table, model)
    frame = pl.DataFrame(
        linker.inference.predict(threshold_match_probability=threshold).as_pyarrow_table()
    )
    comparisons = linker._settings_obj.comparisons  # the fitted model: level labels per gamma value
    evidence = [
        pl.format(
            "{}: {} ({})",
            pl.lit(comparison.output_column_name),
            pl.col(f"gamma_{comparison.output_column_name}").replace_strict(
                {
                    level.comparison_vector_value: level.label_for_charts
                    for level in comparison.comparison_levels
                },
                return_dtype=pl.String,
            ),
            pl.col(f"mw_{comparison.output_column_name}").round(1).cast(pl.String),
        )
        for comparison in comparisons
    ]
    agreeing = [
        pl.when(pl.col(f"mw_{comparison.output_column_name}") > 0).then(
            pl.lit(comparison.output_column_name)
        )
        for comparison in comparisons
    ]
    return frame.select(
        pl.col("record_id_l"),
        pl.col("record_id_r"),
        pl.col("match_probability"),
        pl.col("match_weight"),
        pl.concat_str(evidence, separator="; ").alias("evidence"),
        pl.concat_str(agreeing, separator="+", ignore_nulls=True).alias("agreeing"),
    )
