"""Objects: a normalised code is the key (plates without separators and in upper case,
installation, station and detector codes as registered); no two objects share one."""

from __future__ import annotations

import duckdb
import polars as pl


def link_objects(connection: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per code key of `wh.intermediate.int_object_mentions`: code_key, mention_id (the same), cluster, anchor."""
    codes = connection.sql(
        "select distinct code_key from wh.intermediate.int_object_mentions order by code_key"
    ).pl()
    return codes.select(
        "code_key",
        pl.col("code_key").alias("mention_id"),
        pl.int_range(pl.len()).alias("cluster"),
        pl.col("code_key").alias("anchor"),
        pl.lit("exact").alias("method"),
        pl.lit(1.0).alias("match_probability"),
        pl.lit("code").alias("matched_on"),
    )
