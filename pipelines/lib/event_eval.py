"""Score events against the sample city's ground truth: one incident, one event, and citizens' text.

- Event resolution: every record that is an event (xref_source_record, kind `event`) is a mention
  of the incident ground truth says it reports (entity kind `incident`: the fire service's fires,
  the traffic police's crashes, and the 110, 120 and 12345 records of them), a record the truth
  gives no incident being an incident of its own. Pairwise precision and recall of the
  warehouse's event keys against those incidents, as linkage is scored.
- The 12345 orders (truth table `hotline_reports`): the event type the warehouse read from each
  order's text against the true one, and the township it placed the order in against the true
  place's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.lib.linkage.evaluate import LinkageScore

RESOLUTION_TARGET = 0.95  # precision and recall
TEXT_TARGET = 0.90  # classification accuracy, township accuracy

_RESOLUTION_SQL = """
with truth as (
    select file, row_number, any_value(entity_id) as incident
    from read_parquet($links, union_by_name = true)
    where entity_kind = 'incident'
    group by all
),
mentions as (
    select x.entity_key, coalesce(t.incident, x.source_record_id) as entity_id, t.incident is not null as reported
    from xref_source_record as x
    left join truth as t on t.file = x.source_file and t.row_number = x.source_row
    where x.entity_kind = 'event'
),
pairs as (
    select 'correct' as what, count(*) * (count(*) - 1) // 2 as n from mentions group by entity_key, entity_id
    union all
    select 'predicted', count(*) * (count(*) - 1) // 2 from mentions group by entity_key
    union all
    select 'true', count(*) * (count(*) - 1) // 2 from mentions group by entity_id
)
select
    (select count(*) from mentions where reported),
    (select count(distinct entity_id) from mentions where reported),
    (select count(distinct entity_key) from mentions where reported),
    coalesce(sum(n) filter (where what = 'true'), 0),
    coalesce(sum(n) filter (where what = 'predicted'), 0),
    coalesce(sum(n) filter (where what = 'correct'), 0)
from pairs
"""

_TEXT_SQL = """
with orders as (
    select r.file, r.row_number, t.event_type, t.township_code, t.only_road
    from read_parquet($records, union_by_name = true) as r
    join read_parquet($orders) as t on t.order_no = r.record_key
    where r.department = 'citizen_hotline' and r.feed = 'hotline_reports'
),
placed as (
    select o.*, b.reported_type, p.township_code as placed_township
    from orders as o
    join xref_source_record as x
      on x.source_file = o.file and x.source_row = o.row_number and x.entity_kind = 'event'
    join bridge_event_report as b using (source_record_id)
    left join dim_place as p on p.place_key = b.place_key
)
select
    count(*),
    count(*) filter (where reported_type = event_type),
    count(*) filter (where placed_township = township_code),
    count(*) filter (where not only_road),
    count(*) filter (where not only_road and placed_township = township_code)
from placed
"""


@dataclass(frozen=True)
class TextScore:
    orders: int  # valid 12345 orders in the warehouse
    classified: int  # of them, given their true event type
    located: int  # of them, placed in their true township
    with_number: int  # orders whose address names a house number (not only a road)
    with_number_located: int

    @property
    def accuracy(self) -> float:
        return self.classified / self.orders if self.orders else 1.0

    @property
    def township_accuracy(self) -> float:
        return self.located / self.orders if self.orders else 1.0


def score_resolution(connection: duckdb.DuckDBPyConnection, ground_truth: Path) -> LinkageScore:
    """Pairwise scores of the events' keys against the incidents ground truth knows."""
    links = str(ground_truth / "links" / "*" / "*" / "*.parquet")
    row = connection.execute(_RESOLUTION_SQL, {"links": links}).fetchone()
    assert row is not None  # an aggregate always gives a row
    return LinkageScore("event", *(int(v) for v in row))


def score_text(connection: duckdb.DuckDBPyConnection, ground_truth: Path) -> TextScore | None:
    """The 12345 orders' classification and location; None when the city has no such truth."""
    orders = ground_truth / "hotline_reports.parquet"
    if not orders.is_file():
        return None
    records = str(ground_truth / "records" / "*" / "*" / "*.parquet")
    row = connection.execute(_TEXT_SQL, {"records": records, "orders": str(orders)}).fetchone()
    assert row is not None
    return TextScore(*(int(v) for v in row))


def events_markdown(resolution: LinkageScore, text: TextScore | None) -> str:
    """The scores as lines people read."""

    def verdict(value: float, target: float) -> str:
        return f"{value:.4f} (≥ {target} {'met' if value >= target else 'MISSED'})"

    lines = [
        f"one incident, one event: {resolution.mentions:,} records report {resolution.entities:,} "
        f"incidents, resolved into {resolution.clusters:,} events; precision "
        f"{verdict(resolution.precision, RESOLUTION_TARGET)}, recall "
        f"{verdict(resolution.recall, RESOLUTION_TARGET)}"
    ]
    if text is not None:
        lines.append(
            f"12345 orders: {text.orders:,}; event type from the text "
            f"{verdict(text.accuracy, TEXT_TARGET)}; township "
            f"{verdict(text.township_accuracy, TEXT_TARGET)} "
            f"({text.with_number_located:,} of {text.with_number:,} with a house number)"
        )
    return "\n".join(lines)


def events_met(resolution: LinkageScore, text: TextScore | None) -> bool:
    met = min(resolution.precision, resolution.recall) >= RESOLUTION_TARGET
    if text is not None:
        met &= min(text.accuracy, text.township_accuracy) >= TEXT_TARGET
    return met
