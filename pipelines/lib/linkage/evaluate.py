"""Score entity clusters against the sample city's ground truth: pairwise precision, recall, F1.

A mention is one (delivered file, row, role, slot) that names an entity. Two mentions form a
true pair when ground truth says they are one entity, a predicted pair when the warehouse gave
them one key. Precision = true predicted pairs / predicted pairs; recall = true predicted pairs /
true pairs. Counting pairs per (key, truth) group keeps this linear in the number of mentions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.lib.entity_kinds import ENTITY_KINDS

F1_TARGETS = {"organisation": 0.97, "person": 0.95, "place": 0.90, "object": 0.98}


@dataclass(frozen=True)
class LinkageScore:
    entity_kind: str
    mentions: int  # mentions both the warehouse and ground truth know
    entities: int  # true entities among them
    clusters: int  # keys the warehouse gave them
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


_SCORE_SQL = """
with truth as (
    select file, row_number, entity_kind, role, coalesce(slot, 1) as slot, entity_id
    from read_parquet($links, union_by_name = true)
),
mentions as (
    select x.entity_kind, x.entity_key, t.entity_id
    from xref_source_record as x
    join truth as t
      on t.file = x.source_file and t.row_number = x.source_row and t.entity_kind = x.entity_kind
     and t.role = x.role and t.slot = x.slot
    where list_contains($kinds, x.entity_kind)
),
pair_counts as (
    select entity_kind, 'correct' as what, count(*) * (count(*) - 1) // 2 as pairs from mentions group by entity_kind, entity_key, entity_id
    union all
    select entity_kind, 'predicted', count(*) * (count(*) - 1) // 2 from mentions group by entity_kind, entity_key
    union all
    select entity_kind, 'true', count(*) * (count(*) - 1) // 2 from mentions group by entity_kind, entity_id
),
sizes as (
    select entity_kind, count(*) as mentions, count(distinct entity_id) as entities, count(distinct entity_key) as clusters
    from mentions group by entity_kind
)
select s.entity_kind, s.mentions, s.entities, s.clusters,
       coalesce(sum(p.pairs) filter (where p.what = 'true'), 0) as true_pairs,
       coalesce(sum(p.pairs) filter (where p.what = 'predicted'), 0) as predicted_pairs,
       coalesce(sum(p.pairs) filter (where p.what = 'correct'), 0) as correct_pairs
from sizes as s
left join pair_counts as p using (entity_kind)
group by all
"""


def score_linkage(connection: duckdb.DuckDBPyConnection, ground_truth: Path) -> list[LinkageScore]:
    """Scores per entity kind, from the connection's `xref_source_record` and the truth links."""
    links = str(ground_truth / "links" / "*" / "*" / "*.parquet")
    rows = connection.execute(_SCORE_SQL, {"links": links, "kinds": list(ENTITY_KINDS)}).fetchall()
    by_kind = {row[0]: LinkageScore(row[0], *(int(v) for v in row[1:])) for row in rows}
    return [by_kind[kind] for kind in ENTITY_KINDS if kind in by_kind]


def scores_markdown(scores: list[LinkageScore]) -> str:
    """The scores as a table people read (the UI renders it, the CLI prints it)."""
    lines = [
        "| entity | mentions | true entities | clusters | precision | recall | F1 | target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in scores:
        target = F1_TARGETS[s.entity_kind]
        verdict = "met" if s.f1 >= target else "MISSED"
        lines.append(
            f"| {s.entity_kind} | {s.mentions:,} | {s.entities:,} | {s.clusters:,} | {s.precision:.4f} | {s.recall:.4f} "
            f"| {s.f1:.4f} | ≥ {target} {verdict} |"
        )
    return "\n".join(lines)
