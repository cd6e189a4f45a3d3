"""Emergency resources of the sample city: where fire stations stand, the planted coverage
gaps, shelters, supply depots, rescue teams, experts, apparatus and water sources.

Coverage gaps are planted, then judged: the townships the generator leaves without a fire
station nearby are the planted ones, and the truth (`ground_truth/coverage_gaps.parquet`) is
computed after delivery from the stations whose register row reached the lake valid, so a
station row the silo noise breaks (quarantined) shows in the truth as it will in the
warehouse, never as a township falsely listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from pipelines.lib.standards.coordinates import haversine_m

if TYPE_CHECKING:
    from pipelines.sample_city.world import NewPlaces

# Places scatter about a township centre with this standard deviation (geography.PLACE_SPREAD_DEG)
# in degrees; a station keeps this many of them clear of a planted gap's organisations.
PLACE_SPREAD_SIGMAS = 3.0
KM_PER_DEGREE = 111.2


@dataclass(frozen=True)
class Coverage:
    """How the fire-station coverage of the sample city is planted."""

    # The distance a station covers (the mart's resource_settings seed holds the same figure:
    # tests/marts/test_resource_coverage.py keeps the two equal).
    coverage_km: float = 3.0
    gap_townships: int = 3  # townships planted without a station within reach
    # No organisation lies within this distance of the coverage edge, and a gap's organisations
    # are this much nearer their own township's centre than any other: a coordinate's rounding
    # or a centroid learned from the feeds cannot move one across.
    margin_km: float = 0.3


@dataclass(frozen=True)
class FireCover:
    station_towns: pl.DataFrame  # township_code, county_code, centre_lon, centre_lat
    gap_towns: list[str]  # the planted coverage gaps


def fire_cover(
    rng: np.random.Generator,
    towns: pl.DataFrame,
    org_places: pl.DataFrame,
    registered_places: pl.DataFrame,
    coverage: Coverage,
) -> FireCover:
    """One station at the centre of every township with organisations, except the planted gaps
    and the townships whose centre is too close to one.

    The gaps are drawn among the most isolated townships (the farthest from any other township
    centre) with organisations whose registers deliver their point (`registered_places`:
    enterprises, public units), so each stays one township the lake can see, in any city.
    """
    from pipelines.sample_city.geography import PLACE_SPREAD_DEG

    occupied = towns.filter(
        pl.col("township_code").is_in(org_places["township_code"].unique().implode())
    )
    lon = towns["centre_lon"].to_numpy()
    lat = towns["centre_lat"].to_numpy()
    distance = haversine_m(lon[:, None], lat[:, None], lon[None, :], lat[None, :]) / 1000.0
    np.fill_diagonal(distance, np.inf)
    isolation = pl.Series(distance.min(axis=1))
    codes = towns["township_code"]
    candidates = (
        towns.with_columns(isolation=isolation)
        .filter(pl.col("township_code").is_in(registered_places["township_code"].implode()))
        .sort("isolation", "township_code", descending=[True, False])
    )
    pool = candidates.head(max(3 * coverage.gap_townships, coverage.gap_townships))
    chosen = rng.choice(pool.height, min(coverage.gap_townships, pool.height), replace=False)
    gaps = sorted(pool["township_code"].gather(np.sort(chosen)).to_list())
    # A station keeps clear of every organisation of a gap: coverage plus a few place spreads.
    clearance = coverage.coverage_km + PLACE_SPREAD_SIGMAS * PLACE_SPREAD_DEG * KM_PER_DEGREE
    gap_index = np.flatnonzero(codes.is_in(gaps).to_numpy())
    too_close = (distance[:, gap_index] <= clearance).any(axis=1) if len(gap_index) else False
    keep = (
        codes.is_in(occupied["township_code"].implode()).to_numpy()
        & ~codes.is_in(gaps).to_numpy()
        & ~too_close
    )
    return FireCover(
        station_towns=towns.filter(pl.Series(keep)).select(
            "township_code", "county_code", "centre_lon", "centre_lat"
        ),
        gap_towns=gaps,
    )


def settle_cover(
    rng: np.random.Generator,
    places: pl.DataFrame,
    organisations: pl.DataFrame,
    towns: pl.DataFrame,
    cover: FireCover,
    coverage: Coverage,
) -> pl.DataFrame:
    """Places moved so that the planted gaps are the only ones, each clear of the edge.

    An organisation outside the gaps that no station reaches with `margin_km` to spare is moved
    towards its nearest station, inside the coverage by twice the margin; one in a gap that is
    within reach plus the margin, or not clearly nearer its own township's centre than another,
    is moved to its centre. Returns `places` with those points changed.
    """
    d_km, m_km = coverage.coverage_km, coverage.margin_km
    located = organisations.join(
        places.select("place_id", "township_code", "lon", "lat"), on="place_id"
    )
    stations = located.filter(pl.col("kind") == "fire_station")
    others = located.filter(pl.col("kind") != "fire_station")
    if stations.height == 0 or others.height == 0:
        return places
    o_lon, o_lat = others["lon"].to_numpy(), others["lat"].to_numpy()
    s_lon, s_lat = stations["lon"].to_numpy(), stations["lat"].to_numpy()
    distance = haversine_m(o_lon[:, None], o_lat[:, None], s_lon[None, :], s_lat[None, :]) / 1000.0
    nearest = distance.argmin(axis=1)
    reach = distance.min(axis=1)
    in_gap = others["township_code"].is_in(cover.gap_towns).to_numpy()
    centres = towns.select("township_code", "centre_lon", "centre_lat")
    own = others.select("township_code").join(
        centres, on="township_code", how="left", maintain_order="left"
    )
    c_lon, c_lat = towns["centre_lon"].to_numpy(), towns["centre_lat"].to_numpy()
    to_centres = (
        haversine_m(o_lon[:, None], o_lat[:, None], c_lon[None, :], c_lat[None, :]) / 1000.0
    )
    to_own = (
        haversine_m(o_lon, o_lat, own["centre_lon"].to_numpy(), own["centre_lat"].to_numpy())
        / 1000.0
    )
    is_own = (
        towns["township_code"].to_numpy()[None, :] == others["township_code"].to_numpy()[:, None]
    )
    to_other = np.where(is_own, np.inf, to_centres).min(axis=1)
    to_centre = in_gap & ((reach <= d_km + m_km) | (to_own + m_km >= to_other))
    inward = ~in_gap & (reach > d_km - m_km)
    scale = np.where(inward, (d_km - 2 * m_km) / np.maximum(reach, 1e-9), 1.0)
    jitter = rng.normal(0, 0.0005, (len(o_lon), 2))
    new_lon = np.where(
        to_centre,
        own["centre_lon"].to_numpy() + jitter[:, 0],
        np.where(inward, s_lon[nearest] + (o_lon - s_lon[nearest]) * scale, o_lon),
    )
    new_lat = np.where(
        to_centre,
        own["centre_lat"].to_numpy() + jitter[:, 1],
        np.where(inward, s_lat[nearest] + (o_lat - s_lat[nearest]) * scale, o_lat),
    )
    moved = pl.DataFrame(
        {
            "place_id": others["place_id"],
            "new_lon": np.round(new_lon, 6),
            "new_lat": np.round(new_lat, 6),
        }
    ).filter(pl.Series(to_centre | inward))
    return (
        places.join(moved, on="place_id", how="left", maintain_order="left")
        .with_columns(
            lon=pl.coalesce("new_lon", "lon"),
            lat=pl.coalesce("new_lat", "lat"),
        )
        .drop("new_lon", "new_lat")
    )


def coverage_truth(
    organisations: pl.DataFrame,
    places: pl.DataFrame,
    stations_valid: pl.Series,
    located: pl.Series,
    gap_towns: list[str],
    coverage_km: float,
) -> pl.DataFrame:
    """Per township, the organisations beyond `coverage_km` of every station the lake holds.

    `stations_valid`: org ids of the stations with at least one valid register row; `located`:
    org ids whose own point reached the lake (organisations_with_points): of one delivered
    without a point the warehouse knows no position, and cannot say it is covered or not.
    """
    placed = organisations.join(places, on="place_id", how="inner")
    stations = placed.filter(pl.col("org_id").is_in(stations_valid.implode()))
    others = placed.filter(
        (pl.col("kind") != "fire_station") & pl.col("org_id").is_in(located.implode())
    )
    if stations.height == 0:
        nearest = np.full(others.height, np.inf)
    else:
        nearest = np.full(others.height, np.inf)
        s_lon, s_lat = stations["lon"].to_numpy(), stations["lat"].to_numpy()
        o_lon, o_lat = others["lon"].to_numpy(), others["lat"].to_numpy()
        for start in range(0, others.height, 2000):  # bounded memory on a large city
            block = haversine_m(
                o_lon[start : start + 2000, None],
                o_lat[start : start + 2000, None],
                s_lon[None, :],
                s_lat[None, :],
            )
            nearest[start : start + 2000] = block.min(axis=1) / 1000.0
    return (
        others.with_columns(nearest_station_km=pl.Series(nearest))
        .filter(pl.col("nearest_station_km") > coverage_km)
        .group_by("township_code")
        .agg(
            pl.len().alias("organisations_uncovered"),
            pl.col("nearest_station_km").max().alias("farthest_km"),
        )
        .with_columns(planted=pl.col("township_code").is_in(gap_towns))
        .sort("township_code")
    )


def organisations_with_points(
    truth_dir: Path, feeds_with_points: list[tuple[str, str]], organisations: pl.DataFrame
) -> pl.Series:
    """Org ids that a valid row of a feed delivering coordinates names together with the
    organisation's own place (its premises, as that row's point)."""
    own = organisations.select(pl.col("org_id").alias("entity_id"), pl.col("place_id")).lazy()
    found = []
    for department, feed in feeds_with_points:
        folder = truth_dir / "links" / department / feed
        if not folder.is_dir():
            continue
        # Lazily, rows naming an organisation first: a sensor feed's tens of millions of rows
        # name none, and reading all their truth at once took more memory than the machine has.
        links = pl.scan_parquet(folder / "*.parquet")
        orgs = (
            links.filter(pl.col("entity_kind") == "organisation")
            .select("file", "row_number", "entity_id")
            .join(own, on="entity_id")
        )
        at_own_place = orgs.join(
            links.filter(pl.col("entity_kind") == "place").select(
                "file", "row_number", pl.col("entity_id").alias("place_id")
            ),
            on=["file", "row_number", "place_id"],
            how="semi",
        )
        found.append(
            at_own_place.join(
                _valid_rows(truth_dir, department, feed), on=["file", "row_number"], how="semi"
            )
            .select("entity_id")
            .collect()["entity_id"]
        )
    if not found:
        return pl.Series("entity_id", [], dtype=pl.String)
    return pl.concat(found).unique().sort()


def valid_entities(truth_dir: Path, department: str, feed: str, kind: str) -> pl.Series:
    """Entity ids of `kind` with at least one row of the feed that reached bronze valid."""
    links = pl.scan_parquet(truth_dir / "links" / department / feed / "*.parquet")
    return (
        links.filter(pl.col("entity_kind") == kind)
        .join(_valid_rows(truth_dir, department, feed), on=["file", "row_number"], how="semi")
        .select("entity_id")
        .unique()
        .sort("entity_id")
        .collect()["entity_id"]
    )


def _valid_rows(truth_dir: Path, department: str, feed: str) -> pl.LazyFrame:
    """The feed's rows that reach bronze (no planted invalidity), by file and row number."""
    return (
        pl.scan_parquet(truth_dir / "records" / department / feed / "*.parquet")
        .filter(pl.col("invalid_rule").is_null())
        .select("file", "row_number")
    )


SHELTER_TYPES = ["室内避难场所", "室外避难场所", "综合避难场所"]
SUPPLY_ITEMS = [  # item, unit, shelf life in days (0: none)
    ("帐篷", "顶", 0),
    ("棉被", "床", 0),
    ("折叠床", "张", 0),
    ("瓶装饮用水", "箱", 365),
    ("方便食品", "箱", 270),
    ("发电机", "台", 0),
    ("救生衣", "件", 0),
    ("冲锋舟", "艘", 0),
    ("应急照明灯", "个", 0),
    ("医用急救包", "个", 730),
]
TEAM_SPECIALTIES = ["综合救援", "危化品救援", "水上救援", "山地救援", "医疗救护", "工程抢险"]
TEAM_STATUS = ["待命", "执行任务", "休整"]
EXPERT_FIELDS = ["危险化学品", "消防", "地质灾害", "防汛抗旱", "医疗卫生", "建筑结构", "特种设备"]
EXPERT_TITLES = ["教授", "研究员", "高级工程师", "主任医师", "副教授"]
APPARATUS_TYPES = [  # type, water tonnes (0: none)
    ("水罐消防车", 8.0),
    ("泡沫消防车", 6.0),
    ("举高喷射消防车", 4.0),
    ("抢险救援消防车", 0.0),
    ("云梯消防车", 0.0),
]
APPARATUS_STATUS = ["执勤", "执勤", "执勤", "执勤", "维修", "备用"]
WATER_SOURCE_TYPES = ["市政消火栓", "市政消火栓", "市政消火栓", "消防水池", "天然水源", "消防水鹤"]
WATER_SOURCE_STATUS = ["可用", "可用", "可用", "可用", "可用", "损坏", "维修中"]


def make_resources(
    rng: np.random.Generator,
    towns: pl.DataFrame,
    orgs: pl.DataFrame,
    persons: pl.DataFrame,
    cover: FireCover,
    new_places: NewPlaces,
    last_day: np.datetime64,
    gap_townships: int,
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """The resource objects (for dim_object's truth) and each resource feed's true rows."""
    station_towns = cover.station_towns["township_code"].to_list()
    counties = sorted(towns["county_code"].unique().to_list())

    # Shelters: one per township drawn, so a township's capacity is its shelter's. A few are
    # planted short of the people they serve.
    n = max(4, len(station_towns) // 2)
    shelter_towns = rng.choice(
        towns["township_code"].to_numpy(), min(n, towns.height), replace=False
    )
    places = pl.concat(
        [new_places(1, f"PB{code}-", township=code, spread=0.003) for code in shelter_towns]
    )
    n = places.height
    capacity = rng.integers(5, 80, n) * 100
    short = np.zeros(n, dtype=bool)
    short[rng.choice(n, min(gap_townships, n), replace=False)] = True
    served = np.round(
        capacity * np.where(short, rng.uniform(1.3, 2.0, n), rng.uniform(0.4, 0.9, n))
    )
    shelters = places.select(
        object_id=_ids("EB", n),
        code=pl.lit("BN")
        + pl.col("county_code")
        + pl.int_range(1, n + 1).cast(pl.String).str.zfill(4),
        name=pl.col("township_name") + pl.col("road") + pl.lit("应急避难场所"),
        place_id="place_id",
    ).with_columns(
        shelter_type=pl.Series(np.array(SHELTER_TYPES)[rng.integers(0, 3, n)]),
        capacity_persons=pl.Series(capacity),
        area_m2=pl.Series(np.round(capacity * rng.uniform(1.5, 3.0, n), 1)),
        service_population=pl.Series(served.astype(np.int64)),
        planted_shortfall=pl.Series(short),
    )

    # Supply depots: one per county, each holding some of the items; food and water expire.
    places = pl.concat([new_places(1, f"PK{code}-", county=code) for code in counties])
    depots = places.select(
        object_id=_ids("EW", places.height),
        code=pl.lit("WZ") + pl.col("county_code") + pl.lit("01"),
        name=pl.col("county_name") + pl.lit("应急物资储备库"),
        place_id="place_id",
    )
    item_rows = []
    for depot in depots.iter_rows(named=True):
        chosen = rng.choice(len(SUPPLY_ITEMS), int(rng.integers(4, 9)), replace=False)
        for index in sorted(chosen):
            item, unit, shelf_life = SUPPLY_ITEMS[index]
            expiry = None
            if shelf_life:
                # Some batches expired, or expire within a month, of the last delivery day.
                expiry = (last_day + np.timedelta64(int(rng.integers(-60, shelf_life)), "D")).item()
            item_rows.append(
                {
                    "object_id": depot["object_id"],
                    "item_code": f"{index + 1:03d}",
                    "item_name": item,
                    "unit": unit,
                    "quantity": int(rng.integers(1, 200) * 10),
                    "expiry_date": expiry,
                }
            )
    supplies = pl.DataFrame(
        item_rows,
        schema={
            "object_id": pl.String,
            "item_code": pl.String,
            "item_name": pl.String,
            "unit": pl.String,
            "quantity": pl.Int64,
            "expiry_date": pl.Date,
        },
    )

    # Rescue teams: about one per county and specialty drawn, based in a township of the county.
    n = max(4, len(counties) * 2)
    team_counties = [counties[i % len(counties)] for i in range(n)]
    places = pl.concat(
        [new_places(1, f"PT{i:03d}-", county=c) for i, c in enumerate(team_counties)]
    )
    specialty = np.array(TEAM_SPECIALTIES)[rng.integers(0, len(TEAM_SPECIALTIES), n)]
    teams = places.select(
        object_id=_ids("ER", n),
        code=pl.lit("JY")
        + pl.col("county_code")
        + pl.int_range(1, n + 1).cast(pl.String).str.zfill(3),
        name=pl.col("county_name") + pl.Series(specialty) + pl.lit("队"),
        place_id="place_id",
    ).with_columns(
        specialty=pl.Series(specialty),
        headcount=pl.Series(rng.integers(12, 120, n)),
        status=pl.Series(np.array(TEAM_STATUS)[rng.choice(3, n, p=[0.75, 0.15, 0.10])]),
    )

    # Experts: residents who advise the command centre.
    reps = orgs["legal_rep_person_id"].implode()
    pool = persons.filter(~pl.col("person_id").is_in(reps))
    n = max(6, len(counties) * 2)
    experts = (
        pool[rng.choice(pool.height, n, replace=False)]
        .select("person_id", "name", "id_number", "phone")
        .with_columns(
            expert_id=_ids("ZJ", n, width=5),
            field=pl.Series(np.array(EXPERT_FIELDS)[rng.integers(0, len(EXPERT_FIELDS), n)]),
            title=pl.Series(np.array(EXPERT_TITLES)[rng.integers(0, len(EXPERT_TITLES), n)]),
        )
    )

    # Apparatus: two to four per station.
    stations = orgs.filter(pl.col("kind") == "fire_station")
    per = rng.integers(2, 5, stations.height)
    owner = np.repeat(np.arange(stations.height), per)
    kind = rng.integers(0, len(APPARATUS_TYPES), len(owner))
    apparatus = (
        stations[owner]
        .select(
            owner_id="org_id",
            station_name="name",
            county_code="county_code",
        )
        .with_columns(
            object_id=_ids("EF", len(owner)),
            code=pl.lit("XC")
            + pl.col("county_code")
            + pl.int_range(1, pl.len() + 1).over("county_code").cast(pl.String).str.zfill(4),
            name=pl.Series([APPARATUS_TYPES[k][0] for k in kind]),
            water_t=pl.Series([APPARATUS_TYPES[k][1] for k in kind]),
            status=pl.Series(
                np.array(APPARATUS_STATUS)[rng.integers(0, len(APPARATUS_STATUS), len(owner))]
            ),
        )
    )

    # Water sources: hydrants about the station townships, some tanks and natural sources.
    n = 3 * max(len(station_towns), 1)
    where = rng.choice(towns["township_code"].to_numpy(), n)
    places = pl.concat([new_places(1, f"PQ{i:05d}-", township=c) for i, c in enumerate(where)])
    source_kind = np.array(WATER_SOURCE_TYPES)[rng.integers(0, len(WATER_SOURCE_TYPES), n)]
    water = places.select(
        object_id=_ids("EH", n),
        code=pl.lit("SY")
        + pl.col("county_code")
        + pl.int_range(1, pl.len() + 1).over("county_code").cast(pl.String).str.zfill(5),
        name=pl.col("road") + pl.Series(source_kind),
        place_id="place_id",
    ).with_columns(
        source_type=pl.Series(source_kind),
        status=pl.Series(
            np.array(WATER_SOURCE_STATUS)[rng.integers(0, len(WATER_SOURCE_STATUS), n)]
        ),
        pipe_mm=pl.Series(np.where(source_kind == "市政消火栓", rng.choice([100, 150, 200], n), 0)),
    )

    objects = pl.concat(
        [
            shelters.select("object_id", "code", "name", "place_id").with_columns(
                kind=pl.lit("emergency_shelter")
            ),
            depots.select("object_id", "code", "name", "place_id").with_columns(
                kind=pl.lit("supply_depot")
            ),
            teams.select("object_id", "code", "name", "place_id").with_columns(
                kind=pl.lit("rescue_team")
            ),
            apparatus.select("object_id", "code", "name", "owner_id").with_columns(
                kind=pl.lit("fire_apparatus"), owner_kind=pl.lit("organisation")
            ),
            water.select("object_id", "code", "name", "place_id").with_columns(
                kind=pl.lit("water_source")
            ),
        ],
        how="diagonal",
    )
    tables = {
        "emergency_shelters": shelters,
        "supply_depots": depots,
        "supplies": supplies,
        "rescue_teams": teams,
        "experts": experts,
        "fire_apparatus": apparatus,
        "water_sources": water,
    }
    return objects, tables


def _ids(prefix: str, n: int, width: int = 7) -> pl.Series:
    return pl.Series(np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)))


def shelter_truth(shelters: pl.DataFrame, places: pl.DataFrame, valid: pl.Series) -> pl.DataFrame:
    """Per township, the capacity of the shelters the lake holds against the people they serve."""
    return (
        shelters.filter(pl.col("object_id").is_in(valid.implode()))
        .join(places.select("place_id", "township_code"), on="place_id")
        .group_by("township_code")
        .agg(
            pl.col("capacity_persons").sum(),
            pl.col("service_population").sum(),
            pl.col("planted_shortfall").any().alias("planted"),
        )
        .with_columns(shortfall=pl.col("capacity_persons") < pl.col("service_population"))
        .sort("township_code")
    )
