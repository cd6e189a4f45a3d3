"""The review queue as an engineer works through it: the pairs waiting, and a decision on one.

The queue (`linkage.<kind>_review`) is in the live warehouse, rebuilt by each linkage run; the
decisions go to the lake (`decisions.Decisions`), where they outlive rebuilds and are applied
by the next linkage run.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from pipelines.lib.data_dir import DataDir
from pipelines.lib.entity_kinds import REVIEWED_KINDS
from pipelines.lib.linkage.decisions import Decisions, pair
from pipelines.lib.sql_names import UnsafeName, one_of, qualified


class ReviewError(Exception):
    """What the engineer asked cannot be done; the message says why and what to do."""


def reviewed_kind(kind: str) -> str:
    """`kind` itself when it has a review queue (it names a table and a folder); else ReviewError."""
    try:
        return one_of(kind, REVIEWED_KINDS, "entity kind to review")
    except UnsafeName as error:
        raise ReviewError(str(error)) from None


def waiting_pairs(warehouse: Path, kind: str) -> pl.DataFrame:
    """The pairs of `kind` waiting for a decision, most likely matches first."""
    queue = qualified("linkage", f"{reviewed_kind(kind)}_review")
    try:
        connection = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise ReviewError(
                f"{warehouse} is being written by a run: try again when it ends"
            ) from None
        raise ReviewError(f"cannot open {warehouse}: {str(error).splitlines()[0]}") from None
    try:
        return connection.sql(
            f"from {queue} order by match_probability desc, record_id_l, record_id_r"
        ).pl()
    except duckdb.CatalogException:
        raise ReviewError(
            f"no review queue for {kind}s in {warehouse}: run `safecity run` first"
        ) from None
    finally:
        connection.close()


def decide(
    paths: DataDir, kind: str, a: str, b: str, decision: str, decided_by: str, note: str | None
) -> None:
    """Record `decision` on the pair (a, b): one the queue holds, or one decided before (to change it)."""
    kind = reviewed_kind(kind)
    if not decided_by.strip():
        raise ReviewError("say who decides (--by): the decision is kept with its author")
    decisions = Decisions(paths.linkage_kind(kind))
    left, right = pair(a, b)
    is_pair = (pl.col("record_id_l") == left) & (pl.col("record_id_r") == right)
    if (
        waiting_pairs(paths.warehouse, kind).filter(is_pair).is_empty()
        and decisions.history().filter(is_pair).is_empty()
    ):
        raise ReviewError(
            f"{left} / {right} is not a pair in linkage.{kind}_review nor one decided before: "
            f"`safecity review {kind}` lists the pairs waiting"
        )
    decisions.record(left, right, decision, decided_by.strip(), note)
