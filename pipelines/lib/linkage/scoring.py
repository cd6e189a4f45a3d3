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

import logging

import duckdb
import polars as pl
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator

from pipelines.lib.sql_names import qualified, quoted

U_SAMPLE_PAIRS = 2_000_000
PAIRS_SCHEMA = {
    "record_id_l": pl.String,
    "record_id_r": pl.String,
    "match_probability": pl.Float64,
    "match_weight": pl.Float64,
    "evidence": pl.String,
    "agreeing": pl.String,
}
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


def score_pairs(
    connection: duckdb.DuckDBPyConnection, table: str, settings: SettingsCreator, threshold: float
) -> pl.DataFrame:
    """Pairs of `table` rows (unique id `record_id`) the blocking rules propose, scoring at least `threshold`.

    Columns: record_id_l, record_id_r, match_probability, match_weight, evidence (every comparison's
    level and weight), agreeing (the comparisons that weighed for the match).
    """
    [(records,)] = connection.execute(f"select count(*) from {quoted(table, 'table')}").fetchall()
    if records < 2:
        return pl.DataFrame(
            schema=PAIRS_SCHEMA
        )  # nothing to compare (Splink cannot sample an empty table)
    # ERROR: the "u not fully trained" warning is expected where the stated u is kept (see above).
    linker = Linker(
        DuckDBAPI(connection=connection).register(table), settings, log_level=logging.ERROR
    )
    if records >= MIN_RECORDS_TO_ESTIMATE_U:
        linker.training.estimate_u_using_random_sampling(
            max_pairs=U_SAMPLE_PAIRS, seed=U_SAMPLING_SEED
        )
    pairs = linker.inference.predict(threshold_match_probability=threshold).as_pyarrow_table()
    # Not pl.from_arrow, which is typed DataFrame | Series whatever it is given.
    frame = pl.DataFrame(pairs)
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
    ).sort("record_id_l", "record_id_r")
