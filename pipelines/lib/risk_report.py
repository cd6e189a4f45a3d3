"""What `safecity risk` prints: the organisations ranked highest with their reasons, the
warnings in force, how well each rule foretold events, and, in the sample city, where the
enterprises planted as high-risk rank.

Reads the analytics copy (read-only), like any analyst would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb


def top_organisations(connection: duckdb.DuckDBPyConnection, limit: int) -> list[tuple]:
    """(rank, name, type, score, reasons) of the `limit` organisations ranked highest."""
    return connection.execute(
        """select risk_rank, name, coalesce(organisation_type, ''), risk_score, reasons
           from risk_organisations order by risk_rank, organisation_key limit ?""",
        [limit],
    ).fetchall()


def warnings_by_level(connection: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(level, colour, rule, warnings) of the warnings in force."""
    return connection.execute(
        "select level, colour, rule_id, count(*) from warnings group by all order by level, rule_id"
    ).fetchall()


def rule_accuracy(connection: duckdb.DuckDBPyConnection) -> list[tuple]:
    return connection.execute(
        """select rule_id, level, follow_up_days, warned_subject_days, warned_hit_rate, unwarned_hit_rate, lift
           from warning_accuracy order by level"""
    ).fetchall()


@dataclass(frozen=True)
class PlantedRank:
    entity_id: str
    name: str
    risk_rank: int | None  # None: no risk fact found for it
    risk_decile: int | None


# The warehouse organisation a true organisation was resolved to: the key most of its mentions got.
_PLANTED_SQL = """
with planted as (
    select entity_id, name from read_parquet($high_risk) where entity_kind = 'organisation'
),
truth as (
    select file, row_number, entity_kind, role, coalesce(slot, 1) as slot, entity_id
    from read_parquet($links, union_by_name = true)
    where entity_kind = 'organisation' and entity_id in (select entity_id from planted)
),
resolved as (
    select t.entity_id, x.entity_key, count(*) as mentions
    from xref_source_record as x
    join truth as t
      on t.file = x.source_file and t.row_number = x.source_row and t.entity_kind = x.entity_kind
     and t.role = x.role and t.slot = x.slot
    group by all
)
select p.entity_id, p.name, r.risk_rank, r.risk_decile
from planted as p
left join (select entity_id, arg_max(entity_key, [mentions]) as organisation_key from resolved group by entity_id) as k using (entity_id)
left join risk_organisations as r using (organisation_key)
order by r.risk_rank nulls last, p.entity_id
"""


def planted_ranks(connection: duckdb.DuckDBPyConnection, ground_truth: Path) -> list[PlantedRank]:
    """Where the sample city's planted high-risk organisations rank (ground truth only)."""
    rows = connection.execute(
        _PLANTED_SQL,
        {
            "high_risk": str(ground_truth / "high_risk.parquet"),
            "links": str(ground_truth / "links" / "*" / "*" / "*.parquet"),
        },
    ).fetchall()
    return [PlantedRank(*row) for row in rows]
