"""nearest_resources equals a brute-force search on the tiny city: for every open event, warning
in force and major hazard source, the k nearest available resources of each kind (k from
resource_settings), by haversine distance over every resource, ties by key.

The mart looks within a radius through grid cells first and falls back to every resource when
fewer than k are within it; the brute force below knows nothing of either.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
import yaml

from pipelines.lib.standards.coordinates import haversine_m

SETTINGS = Path("dbt_project/seeds/config/resource_settings.csv")
PROJECT = Path("dbt_project/dbt_project.yml")
VOCABULARY = Path("contracts/vocabulary.yaml")


@pytest.fixture(scope="module")
def analytics(built_city):
    connection = duckdb.connect(str(built_city / "analytics.duckdb"), read_only=True)
    yield connection
    connection.close()


def nearest_k() -> dict[str, int]:
    with SETTINGS.open(encoding="utf-8") as handle:
        return {
            row["resource_kind"]: int(row["nearest_k"])
            for row in csv.DictReader(handle)
            if int(row["nearest_k"]) > 0
        }


def queries(analytics) -> pl.DataFrame:
    """Open events, warnings in force, major hazard sources, with their points: stated here again."""
    proximity = [
        name
        for name, flags in yaml.safe_load(VOCABULARY.read_text(encoding="utf-8"))[
            "eventTypes"
        ].items()
        if flags.get("proximity")
    ]
    open_days = yaml.safe_load(PROJECT.read_text(encoding="utf-8"))["vars"][
        "resource_open_event_days"
    ]
    events = analytics.execute(
        """
        select 'event' as query_kind, e.event_key as query_key, p.longitude, p.latitude
        from fct_event e join dim_place p using (place_key)
        where e.event_type in (select unnest(?)) and e.resolved_date is null
          and p.longitude is not null
          and e.occurred_at >= (select max(delivery_date) from fct_event) - to_days(?)
        """,
        [proximity, open_days],
    ).pl()
    warnings = analytics.execute(
        "select 'warning' as query_kind, warning_id as query_key, longitude, latitude "
        "from warnings where longitude is not null"
    ).pl()
    hazards = analytics.execute(
        """
        select 'hazard_source' as query_kind, g.object_key as query_key, p.longitude, p.latitude
        from hazard_source_grades g join dim_object o using (object_key) join dim_place p on p.place_key = o.place_key
        where g.is_major_hazard_source and p.longitude is not null
        """
    ).pl()
    return pl.concat([events, warnings, hazards])


def brute_force(analytics) -> pl.DataFrame:
    ks = nearest_k()
    resources = analytics.execute(
        "select resource_kind, resource_key, longitude, latitude from emergency_resources "
        "where available and longitude is not null"
    ).pl()
    rows = []
    for query in queries(analytics).iter_rows(named=True):
        for kind, k in ks.items():
            pool = resources.filter(pl.col("resource_kind") == kind)
            if pool.height == 0:
                continue
            distance = haversine_m(
                query["longitude"], query["latitude"], pool["longitude"], pool["latitude"]
            )
            order = np.lexsort((pool["resource_key"].to_numpy(), distance))[:k]
            for rank, index in enumerate(order, start=1):
                rows.append(
                    (
                        query["query_kind"],
                        query["query_key"],
                        kind,
                        rank,
                        pool["resource_key"][int(index)],
                        float(distance[index]),
                    )
                )
    return pl.DataFrame(
        rows,
        schema=[
            "query_kind",
            "query_key",
            "resource_kind",
            "rank",
            "resource_key",
            "distance_m",
        ],
        orient="row",
    ).sort("query_kind", "query_key", "resource_kind", "rank")


def test_nearest_resources_equal_brute_force(analytics):
    expected = brute_force(analytics)
    answered = (
        analytics.execute(
            "select query_kind, query_key, resource_kind, rank, resource_key, distance_m, method, found_by "
            "from nearest_resources"
        )
        .pl()
        .sort("query_kind", "query_key", "resource_kind", "rank")
    )
    # Something to compare: every kind of query and resource, both ways of finding them.
    assert {"event", "hazard_source"} <= set(expected["query_kind"])
    assert set(expected["resource_kind"]) == set(nearest_k())
    assert set(answered["found_by"]) == {"within_radius", "all_resources"}
    assert set(answered["method"]) == {"haversine"}
    assert answered.height == expected.height
    assert answered.select(
        "query_kind", "query_key", "resource_kind", "rank", "resource_key"
    ).equals(expected.select("query_kind", "query_key", "resource_kind", "rank", "resource_key"))
    # Distances as the mart gives them (to 0.1 m).
    assert (
        np.abs(answered["distance_m"].to_numpy() - expected["distance_m"].to_numpy()).max()
        <= 0.05 + 1e-6
    )
