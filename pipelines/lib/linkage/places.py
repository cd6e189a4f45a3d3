"""Places: points within a few metres are one place, and so is one standard address.

Delivered points (already WGS-84) within `DISTANCE_M` of each other are one place on the
ground. Addresses are standardised (county, township, road, number; see
standards/addresses.py), and a record that gives both an address and a point says where that
address is: the address joins that place. An address that records put at two places further
apart (two buildings typed alike, which a large city has by the thousand) joins neither; its
address-only records stay one place of their own. Everything here is an exact rule, no
probabilities: the method is exact and matched_on says which rule joined it.
"""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl

from pipelines.lib.city_profile import CityProfile
from pipelines.lib.linkage.clustering import most_common
from pipelines.lib.linkage.graph import connected_components
from pipelines.lib.standards.addresses import standardise_addresses
from pipelines.lib.standards.coordinates import haversine_m

DISTANCE_M = 2.0  # delivered points of one place differ by centimetres (coordinate conversions)
_CELL_DEGREES = (
    DISTANCE_M / 111_000
)  # grid cell at least DISTANCE_M wide: neighbours hold every candidate

_LOCATIONS_SQL = """
select location_key, address, county_code, longitude, latitude, count(*) as mentions
from wh.intermediate.int_place_mentions
group by all
"""

_NEAR_POINTS_SQL = """
with points as (
    select distinct location_key, longitude, latitude,
           floor(longitude / $cell)::bigint as cx, floor(latitude / $cell)::bigint as cy
    from locations where starts_with(location_key, 'G:')
),
neighbourhood as (
    -- Each point looks into its own grid cell and the eight around it: an equality join
    -- (a range join on the cell numbers would compare every pair of points).
    select p.*, p.cx + dx as nx, p.cy + dy as ny
    from points as p, (select unnest([-1, 0, 1]) as dx), (select unnest([-1, 0, 1]) as dy)
)
select a.location_key as left_key, b.location_key as right_key,
       a.longitude as left_lon, a.latitude as left_lat, b.longitude as right_lon, b.latitude as right_lat
from neighbourhood as a
join points as b on b.cx = a.nx and b.cy = a.ny and a.location_key < b.location_key
"""


def link_places(connection: duckdb.DuckDBPyConnection, city: CityProfile) -> pl.DataFrame:
    """One row per location key of `wh.intermediate.int_place_mentions`: its cluster, anchor and standard address.

    Columns: location_key, mention_id (the same), cluster, anchor, standard_address, standard_township_code, method,
    match_probability, matched_on.
    """
    locations = connection.sql(_LOCATIONS_SQL).pl()
    connection.register("locations", locations.to_arrow())
    addresses = locations.select("address", "county_code").unique().drop_nulls("address")
    standard = standardise_addresses(addresses, city)
    located = locations.join(standard, on=["address", "county_code"], how="left", nulls_equal=True)
    # Graph nodes: every location key, and every standard address (county, road, number).
    located = located.with_columns(
        pl.when(pl.col("road").is_not_null())
        .then(
            pl.concat_str(
                [
                    pl.lit("address:"),
                    "standard_county_code",
                    pl.lit("|"),
                    "road",
                    pl.lit("|"),
                    pl.col("house_number").cast(pl.String),
                ]
            )
        )
        .alias("address_node")
    )
    neighbours = connection.execute(_NEAR_POINTS_SQL, {"cell": _CELL_DEGREES}).pl()
    near = neighbours.filter(
        pl.Series(
            haversine_m(
                neighbours["left_lon"],
                neighbours["left_lat"],
                neighbours["right_lon"],
                neighbours["right_lat"],
            )
            <= DISTANCE_M
        )
    )
    # Places on the ground first: points within DISTANCE_M.
    keys = located["location_key"].unique().sort()
    key_index = _numbered(keys)
    on_ground = connected_components(
        len(keys), _indices(key_index, near["left_key"]), _indices(key_index, near["right_key"])
    )
    grounds = pl.DataFrame({"location_key": keys, "ground": on_ground})
    # Then addresses: an address joins the one place its points are at, or stays apart.
    with_address = (
        located.filter(pl.col("address_node").is_not_null())
        .select("location_key", "address_node")
        .unique()
    )
    is_point = pl.col("location_key").str.starts_with("G:")
    places_of_address = (
        with_address.join(grounds, on="location_key")
        .group_by("address_node")
        .agg(pl.col("ground").filter(is_point).n_unique().alias("places"))
    )
    address_edges = with_address.join(places_of_address, on="address_node").filter(
        (pl.col("places") <= 1) | ~is_point
    )
    nodes = pl.concat([keys, address_edges["address_node"]]).unique().sort()
    index = _numbered(nodes)
    component = connected_components(
        len(nodes),
        np.concatenate(
            [_indices(index, near["left_key"]), _indices(index, address_edges["location_key"])]
        ),
        np.concatenate(
            [_indices(index, near["right_key"]), _indices(index, address_edges["address_node"])]
        ),
    )
    clusters = pl.DataFrame({"node": nodes, "cluster": component})
    located = located.join(clusters.rename({"node": "location_key"}), on="location_key")

    per_cluster = located.group_by("cluster").agg(
        # Keys read like the first place: a delivered point's key where the place has one.
        pl.col("location_key")
        .filter(pl.col("location_key").str.starts_with("G:"))
        .min()
        .alias("anchor"),
        most_common("standard_address"),
        most_common("standard_township_code"),
        pl.col("location_key").n_unique().alias("_locations"),
        pl.col("address_node").n_unique().alias("_addresses"),
        pl.col("location_key").str.starts_with("G:").sum().alias("_points"),
    )
    matched_on = (
        pl.when(pl.col("_locations") == 1)
        .then(pl.lit("own_location"))
        .when(pl.col("_points") > 1)
        .then(pl.lit(f"standard_address+points_within_{DISTANCE_M:g}m"))
        .otherwise(pl.lit("standard_address"))
    )
    return (
        located.select("location_key", "cluster")
        .unique()
        .join(per_cluster, on="cluster")
        .select(
            "location_key",
            pl.col("location_key").alias("mention_id"),
            "cluster",
            "anchor",
            "standard_address",
            "standard_township_code",
            pl.lit("exact").alias("method"),
            pl.lit(1.0).alias("match_probability"),
            matched_on.alias("matched_on"),
        )
        .sort("location_key")
    )


def _numbered(nodes: pl.Series) -> pl.DataFrame:
    """Each graph node and its number (its position in `nodes`)."""
    return nodes.to_frame("node").with_row_index("number")


def _indices(numbered: pl.DataFrame, values: pl.Series) -> np.ndarray:
    """The numbers of the nodes `values` name, in order (a join: a dict lookup per value took
    1.5 s of place linkage on large)."""
    found = values.to_frame("node").join(numbered, on="node", how="left", maintain_order="left")
    assert found["number"].null_count() == 0, "a value names no node"
    return found["number"].cast(pl.Int64).to_numpy()
