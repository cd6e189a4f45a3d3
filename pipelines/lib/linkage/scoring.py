"""Probabilistic scoring of candidate pairs with Splink on DuckDB (Fellegi-Sunter).

m probabilities (how often a true match agrees at each level) are the model's stated
priors, written beside each comparison; u probabilities (how often two random records
agree) are estimated from the data by seeded random sampling, so a run is repeatable. A
level the sample sees too rarely to estimate (a small city) keeps the u stated beside it.
Each scored pair carries its evidence: per comparison the level reached and its match
weight, positive for, negative against.
"""

from __future__ import annotations

import logging

import duckdb
import polars as pl
from splink import DuckDBAPI, Linker, SettingsCreator

U_SAMPLE_PAIRS = 2_000_000
PAIRS_SCHEMA = {
    "record_id_l": pl.String, "record_id_r": pl.String, "match_probability": pl.Float64, "match_weight": pl.Float64,
    "evidence": pl.String, "agreeing": pl.String,
}
U_SEED = 5101


def score_pairs(
    connection: duckdb.DuckDBPyConnection, table: str, settings: SettingsCreator, threshold: float,
    sure_matches: list | None = None, sure_recall: float = 1.0,
) -> pl.DataFrame:
    """Pairs of `table` rows (unique id `record_id`) the blocking rules propose, scoring at least `threshold`.

    The prior (how likely two random records are one entity) is the settings' unless
    `sure_matches` are given: rules that find about `sure_recall` of all matches, from which it
    is estimated each run (when it depends on the population, as for persons).

    Columns: record_id_l, record_id_r, match_probability, match_weight, evidence (every comparison's
    level and weight), agreeing (the comparisons that weighed for the match).
    """
    if connection.execute(f"select count(*) from {table}").fetchone()[0] < 2:
        return pl.DataFrame(schema=PAIRS_SCHEMA)  # nothing to compare (Splink cannot sample an empty table)
    linker = Linker(DuckDBAPI(connection=connection).register(table), settings, log_level=logging.WARNING)
    if sure_matches:
        linker.training.estimate_probability_two_random_records_match(sure_matches, recall=sure_recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=U_SEED)
    pairs = linker.inference.predict(threshold_match_probability=threshold).as_pyarrow_table()
    frame = pl.from_arrow(pairs)
    comparisons = linker._settings_obj.comparisons  # the fitted model: level labels per gamma value
    evidence = [
        pl.format(
            "{}: {} ({})",
            pl.lit(comparison.output_column_name),
            pl.col(f"gamma_{comparison.output_column_name}").replace_strict(
                {level.comparison_vector_value: level.label_for_charts for level in comparison.comparison_levels},
                return_dtype=pl.String,
            ),
            pl.col(f"mw_{comparison.output_column_name}").round(1).cast(pl.String),
        )
        for comparison in comparisons
    ]
    agreeing = [
        pl.when(pl.col(f"mw_{comparison.output_column_name}") > 0).then(pl.lit(comparison.output_column_name))
        for comparison in comparisons
    ]
    return frame.select(
        pl.col("record_id_l"), pl.col("record_id_r"), pl.col("match_probability"), pl.col("match_weight"),
        pl.concat_str(evidence, separator="; ").alias("evidence"),
        pl.concat_str(agreeing, separator="+", ignore_nulls=True).alias("agreeing"),
    ).sort("record_id_l", "record_id_r")
