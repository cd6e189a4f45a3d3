"""The city's natural hazards: where the weather stations, river gauges, waterlogging-prone
points and geological-hazard points are, and when storms come.

The sites are places and objects of the world. The storms are drawn once per seed, and
every feed the weather drives (station observations, warnings, river levels,
geological-hazard incidents, the traffic police's underpass accidents) reads the same
storms, so the cross-department warning rules have something true to find. The first
storm is planted: a red rainstorm over the counties of the first underpass waterlogging
point, the first geological-hazard point and the river gauge beside the first high-risk
chemical plant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.sample_city.config import CityConfig

# GB/T 28592 calls 50 mm in 24 hours a rainstorm (暴雨); the bureau's colours follow the storm's size.
RAINSTORM_COLOURS = [(180.0, "红色"), (120.0, "橙色"), (80.0, "黄色"), (50.0, "蓝色")]
WATERLOGGING_TYPES = ["下穿通道", "低洼路段", "立交桥下", "老旧小区"]
WATERLOGGING_WEIGHTS = [0.35, 0.35, 0.15, 0.15]
UNDERPASS_TYPES = ("下穿通道", "立交桥下")  # where cars drive into the water
GEOHAZARD_TYPES = ["滑坡", "崩塌", "泥石流", "地面塌陷"]
GEOHAZARD_WEIGHTS = [0.55, 0.2, 0.15, 0.1]
GEOHAZARD_SCALES = ["小型", "中型", "大型"]
PLANTED_STORM_DAY = 2  # the first storm's day (index into the delivery window)
PLANTED_STORM_RAIN_MM = 220.0
# A river gauge's level rises by this much per mm of rain on its county over the last 24 hours:
# the planted storm takes it over its warning level, an ordinary rainy day does not.
RISE_M_PER_MM = 0.02


@dataclass(frozen=True)
class Storms:
    """Rain per county and hour over the delivery window (the weather everything else reads)."""

    counties: list[str]  # county codes, the rows of `hourly`
    hourly: np.ndarray  # (county, hour) rainfall in mm, hour 0 = the first day's 00:00 local
    storms: pl.DataFrame  # storm_id, county_code, day_index, start_hour, hours, rain_mm, planted

    def daily(self) -> np.ndarray:
        """(county, day) rainfall in mm."""
        c, h = self.hourly.shape
        return self.hourly.reshape(c, h // 24, 24).sum(axis=2)

    def row(self, county: str) -> int:
        return self.counties.index(county)


def make_sites(
    rng: np.random.Generator,
    config: CityConfig,
    new_places: Callable[..., pl.DataFrame],
    organisations: pl.DataFrame,
    places: pl.DataFrame,
    counties: list[str],
) -> pl.DataFrame:
    """The hazard sites as objects (object_id, kind, code, name, owner, place) with their attributes."""
    scale = config.scale
    frames = []

    # Weather stations: per county, the first a national station (5 digits), the others regional (A1234).
    per_county = scale.weather_stations_per_county
    station_places = pl.concat(
        [new_places(per_county, f"PW{code}-", county=code) for code in counties]
    )
    n = station_places.height
    national = np.tile(np.arange(per_county) == 0, len(counties))
    code = np.where(
        national,
        np.char.add("56", np.char.zfill((np.arange(n) + 101).astype(str), 3)),
        np.char.add("A", np.char.zfill((np.arange(n) + 1001).astype(str), 4)),
    )
    frames.append(
        station_places.select(
            kind=pl.lit("weather_station"),
            code=pl.Series(code),
            name=pl.col("township_name")
            + pl.Series(np.where(national, "国家气象观测站", "自动气象站")),
            place_id="place_id",
            altitude_m=pl.Series(np.round(rng.uniform(450, 1200, n), 1)),
        )
    )

    # River and reservoir gauges; the first beside the first high-risk chemical plant.
    n = scale.hydrological_stations
    plant = (
        organisations.filter(pl.col("high_risk") & (pl.col("kind") == "chemical"))
        .join(places.select("place_id", "lon", "lat"), on="place_id", maintain_order="left")
        .head(1)
    )
    gauge_places = new_places(n - 1, "PH")
    if plant.height:
        first = new_places(1, "PH0-", county=plant["county_code"][0])
        box = config.city.profile.bounds
        # Moved beside the plant (about 850 m): build_world updates the place it was drawn as.
        first = first.with_columns(
            lon=pl.lit(float(np.clip(plant["lon"][0] + 0.008, box.lon_min, box.lon_max))),
            lat=pl.lit(float(np.clip(plant["lat"][0] + 0.003, box.lat_min, box.lat_max))),
            moved=pl.lit(True),
        )
    else:
        first = new_places(1, "PH0-")
    gauge_places = pl.concat([first, gauge_places], how="diagonal_relaxed")
    reservoir = rng.random(n) < 0.3
    reservoir[0] = False
    stems = np.array(config.city.road_stems)[rng.integers(0, len(config.city.road_stems), n)]
    water = np.where(reservoir, np.char.add(stems, "水库"), np.char.add(stems, "河"))
    base = np.round(rng.uniform(430, 560, n), 2)
    warning = np.round(base + rng.uniform(2.4, 3.0, n), 2)
    frames.append(
        gauge_places.select(
            kind=pl.lit("hydrological_station"),
            code=pl.concat_str(
                pl.lit("6"),
                pl.col("county_code").str.slice(2, 4),
                pl.Series(np.char.zfill((np.arange(n) + 1).astype(str), 3)),
            ),
            name=pl.Series(water) + pl.col("township_name") + pl.lit("站"),
            place_id="place_id",
            place_lon="lon",
            place_lat="lat",
            moved=pl.col("moved").fill_null(False)
            if "moved" in gauge_places.columns
            else pl.lit(False),
            water_body=pl.Series(water),
            gauge_type=pl.Series(np.where(reservoir, "水库", "河道")),
            base_level_m=pl.Series(base),
            warning_level_m=pl.Series(warning),
            guaranteed_level_m=pl.Series(np.round(warning + rng.uniform(1.0, 1.8, n), 2)),
        )
    )

    # Waterlogging-prone points on roads; the first an underpass.
    n = scale.waterlogging_points
    spots = new_places(n, "PJ")
    kind = rng.choice(len(WATERLOGGING_TYPES), n, p=WATERLOGGING_WEIGHTS)
    kind[0] = 0
    types = np.array(WATERLOGGING_TYPES)[kind]
    frames.append(
        spots.select(
            kind=pl.lit("waterlogging_point"),
            code=pl.concat_str(
                pl.lit("YL"),
                pl.col("county_code"),
                pl.int_range(1, pl.len() + 1).over("county_code").cast(pl.String).str.zfill(3),
            ),
            name=pl.col("road")
            + pl.Series(np.where(kind == 0, "下穿隧道", np.where(kind == 2, "立交桥下", types))),
            place_id="place_id",
            point_type=pl.Series(types),
            max_depth_cm=pl.Series(rng.integers(15, 130, n)),
            pumped=pl.Series(rng.random(n) < 0.4),
        )
    )

    # Geological-hazard points (隐患点) with the people and property they threaten.
    n = scale.geohazard_points
    points = new_places(n, "PZ")
    hazard = np.array(GEOHAZARD_TYPES)[rng.choice(4, n, p=GEOHAZARD_WEIGHTS)]
    households = rng.integers(0, 120, n)
    frames.append(
        points.select(
            kind=pl.lit("geohazard_point"),
            code=pl.concat_str(
                pl.col("county_code"),
                pl.lit("0"),
                pl.int_range(1, pl.len() + 1).over("county_code").cast(pl.String).str.zfill(5),
            ),
            name=pl.col("township_name") + pl.col("road").str.slice(0, 2) + pl.Series(hazard),
            place_id="place_id",
            hazard_type=pl.Series(hazard),
            hazard_scale=pl.Series(
                np.array(GEOHAZARD_SCALES)[rng.choice(3, n, p=[0.7, 0.25, 0.05])]
            ),
            threatened_households=pl.Series(households),
            threatened_people=pl.Series(households * rng.integers(2, 5, n)),
            threatened_property_wan=pl.Series(np.round(households * rng.uniform(5, 40, n), 1)),
        )
    )
    sites = pl.concat(frames, how="diagonal_relaxed")
    prefix = {
        "weather_station": "W",
        "hydrological_station": "R",
        "waterlogging_point": "J",
        "geohazard_point": "Z",
    }
    return sites.with_columns(
        object_id=pl.col("kind").replace_strict(prefix)
        + pl.int_range(1, pl.len() + 1).over("kind").cast(pl.String).str.zfill(6),
        owner_kind=pl.lit(None, pl.String),
        owner_id=pl.lit(None, pl.String),
    )


def site_view(world_objects: pl.DataFrame, places: pl.DataFrame, kind: str) -> pl.DataFrame:
    """One kind of hazard site with its place (coordinates, county, township, address)."""
    return world_objects.filter(pl.col("kind") == kind).join(
        places, on="place_id", how="left", maintain_order="left"
    )


def storms(
    rng: np.random.Generator,
    config: CityConfig,
    counties: list[str],
    sites: pl.DataFrame,
    places: pl.DataFrame,
) -> Storms:
    """Light rain on some days everywhere, and storms over a few counties at a time."""
    days = config.scale.days
    hours = days * 24
    c = len(counties)
    hourly = np.zeros((c, hours))
    # Drizzle: about a third of county-days, a few mm spread over a few hours.
    for row in range(c):
        for wet_day in np.flatnonzero(rng.random(days) < 0.35):
            begin = int(wet_day) * 24 + int(rng.integers(0, 18))
            lasting = int(rng.integers(2, 7))
            hourly[row, begin : begin + lasting] += rng.exponential(4.0) / lasting
    records = []
    county_of = dict(zip(places["place_id"], places["county_code"], strict=True))
    planted_counties = []
    for kind, condition in [
        ("waterlogging_point", pl.col("point_type") == "下穿通道"),
        ("geohazard_point", pl.lit(True)),
        ("hydrological_station", pl.lit(True)),
    ]:
        first_site = sites.filter((pl.col("kind") == kind) & condition).head(1)
        if first_site.height:
            planted_counties.append(county_of[first_site["place_id"][0]])
    planted_counties = list(dict.fromkeys(planted_counties))
    for storm in range(max(config.scale.storms, 1)):
        planted = storm == 0
        day = min(PLANTED_STORM_DAY, days - 1) if planted else int(rng.integers(0, days))
        if planted:
            hit = [counties.index(code) for code in planted_counties] or [0]
            peak = np.full(len(hit), PLANTED_STORM_RAIN_MM)
        else:
            hit = list(rng.choice(c, min(c, int(rng.integers(1, 5))), replace=False))
            peak = rng.uniform(40, 200) * rng.uniform(0.5, 1.0, len(hit))
        start_hour = int(rng.integers(0, 8))
        length = int(rng.integers(8, 15))
        shape = np.bartlett(length + 2)[1:-1]
        shape = shape / shape.sum()
        for row, rain in zip(hit, peak, strict=True):
            first = day * 24 + start_hour
            span = min(length, hours - first)
            hourly[row, first : first + span] += rain * shape[:span]
            records.append(
                {
                    "storm_id": storm,
                    "county_code": counties[row],
                    "day_index": day,
                    "start_hour": first,
                    "hours": span,
                    "rain_mm": float(np.round(rain * shape[:span].sum(), 1)),
                    "planted": planted,
                }
            )
    return Storms(counties=counties, hourly=np.round(hourly, 1), storms=pl.DataFrame(records))


def rainstorm_colour(rain_mm: float) -> str | None:
    for threshold, colour in RAINSTORM_COLOURS:
        if rain_mm >= threshold:
            return colour
    return None
