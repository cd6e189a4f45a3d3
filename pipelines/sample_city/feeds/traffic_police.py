"""Traffic police: accidents (JSON lines, nested vehicles and drivers) and detector flow (CSV).

Times are epoch milliseconds, coordinates GCJ-02 (the police map is AMap's),
drivers' identity numbers in full, plates typed every which way.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import polars as pl

from pipelines.lib.standards.coordinates import wgs84_to_gcj02
from pipelines.sample_city import corruptions as broken
from pipelines.sample_city.delivery import DAY, KEEP_VALID, Batch, DateStyle, FeedSpec
from pipelines.sample_city.feeds.common import (
    Context,
    batch,
    incident_links,
    links,
    messy_addresses,
    schedule,
    sequence_ids,
    start_rows,
)
from pipelines.sample_city.hazards import UNDERPASS_TYPES
from pipelines.sample_city.vocabulary import ACCIDENT_CAUSES, WEATHER
from pipelines.sample_city.world import World, non_representatives, where_or_null

DEPARTMENT = "traffic_police"
SLOTS = (1, 2, 3)  # up to three vehicles per accident
UNDERPASS_RAIN_MM = 120.0  # an orange rainstorm's day or worse floods the underpasses


def _nest_vehicles(frame: pl.DataFrame, timezone: str) -> pl.DataFrame:
    """The police system exports each accident's vehicles and drivers as a nested list, and
    times as epoch milliseconds of the city's local time."""
    time_ms = pl.col("occurTime").dt.replace_time_zone(timezone).dt.epoch("ms")
    vehicles = pl.concat_list(
        [
            pl.struct(
                pl.col(f"v{i}_plateNo").alias("plateNo"),
                pl.col(f"v{i}_vehicleType").alias("vehicleType"),
                pl.struct(
                    pl.col(f"v{i}_driverName").alias("name"),
                    pl.col(f"v{i}_driverIdNo").alias("idNo"),
                    pl.col(f"v{i}_driverPhone").alias("phone"),
                ).alias("driver"),
            )
            for i in SLOTS
        ]
    ).list.eval(pl.element().filter(pl.element().struct.field("plateNo").is_not_null()))
    slot_columns = [c for c in frame.columns if c.startswith("v") and "_" in c and c[1].isdigit()]
    return frame.with_columns(time_ms.alias("occurTime"), vehicles.alias("vehicles")).drop(
        slot_columns
    )


ACCIDENTS = FeedSpec(
    DEPARTMENT,
    "traffic_accidents",
    "jsonl",
    key="accidentId",
    corruptions=[
        broken.identity_check("v1_driverIdNo"),
        broken.outside_city("lng", "lat"),
        broken.future_date("occurTime"),
        broken.unknown_admin_code("districtCode"),
        broken.negative("injuries"),
        broken.required_missing("accidentId"),
    ],
    drift_renames={"roadName": "road", "districtCode": "xzqh"},
    drift_added_column="remark",
    finalize=_nest_vehicles,
)
FLOW = FeedSpec(
    DEPARTMENT,
    "traffic_flow",
    "csv",
    key=("DETECTOR_ID", "START_TIME"),
    dates={"START_TIME": DateStyle("%Y-%m-%d %H:%M:%S")},
    corruptions=[
        broken.negative("VOLUME"),
        broken.negative("OCCUPANCY"),
        broken.outside_city("LNG", "LAT"),
        broken.future_date("START_TIME"),
        broken.required_missing("DETECTOR_ID"),
    ],
    drift_renames={"AVG_SPEED": "SPEED", "OCCUPANCY": "OCC"},
    drift_added_column="DATA_QUALITY",
)

SPECS = [ACCIDENTS, FLOW]


def plate_variants(
    plates: pl.Series, rng: np.random.Generator, rate: float
) -> tuple[pl.Series, np.ndarray]:
    """A plate (e.g. 京A12345) as officers type it: 京A·12345, 京a12345, 京A 12345, 京A-12345."""
    n = len(plates)
    apply = rng.random(n) < rate
    variant = np.where(apply, rng.integers(0, 4, n), -1)
    frame = pl.DataFrame({"plate": plates, "variant": variant})
    head, tail = pl.col("plate").str.slice(0, 2), pl.col("plate").str.slice(2)
    out = frame.select(
        pl.when(pl.col("variant") == 0)
        .then(head + "·" + tail)
        .when(pl.col("variant") == 1)
        .then(pl.col("plate").str.to_lowercase())
        .when(pl.col("variant") == 2)
        .then(head + " " + tail)
        .when(pl.col("variant") == 3)
        .then(head + "-" + tail)
        .otherwise("plate")
        .alias("plate")
    )["plate"]
    return out, apply & plates.is_not_null().to_numpy()


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    yield ACCIDENTS, accidents(ctx)
    rng = ctx.rng_for("traffic_flow")
    jams = congestions(ctx)
    for day in ctx.days:  # the high-volume feed is built one day at a time to bound memory
        yield FLOW, flow(ctx, rng, day, jams)


def congestions(ctx: Context) -> pl.DataFrame:
    """Non-recurrent congestion (a breakdown, roadworks, an event) planted in the detectors'
    readings: it builds over a quarter of its length, holds, and clears; at least one per city."""
    rng = ctx.rng_for("traffic congestion")
    codes = detectors_of(ctx)["code"].to_list()
    d, days = len(codes), len(ctx.days)
    count = max(1, int(rng.poisson(ctx.config.scale.congestions_per_detector_day * d * days)))
    interval = ctx.config.scale.flow_interval_minutes
    slots = 24 * 60 // interval
    length = rng.integers(30, 121, count) // interval  # 30 minutes to 2 hours
    start = rng.integers(6 * 60 // interval, slots - 1 - length)
    day = rng.integers(0, days, count)
    frame = pl.DataFrame(
        {
            "detector_id": [codes[i] for i in rng.integers(0, d, count)],
            "day": [ctx.days[i] for i in day],
            "start_slot": start,
            "slots": length,
            "severity": np.round(rng.uniform(0.6, 0.9, count), 2),  # the share of speed lost
        }
    )
    # one episode per detector and day keeps each episode's truth unambiguous
    return frame.unique(["detector_id", "day"], keep="first", maintain_order=True)


def detectors_of(ctx: Context) -> pl.DataFrame:
    return ctx.world.objects.filter(pl.col("kind") == "traffic_detector").join(
        ctx.world.places.select("place_id", "road", "lon", "lat"),
        on="place_id",
        how="left",
        maintain_order="left",
    )


def street_places(world: World) -> pl.DataFrame:
    return world.places.filter(pl.col("place_id").str.starts_with("PS"))


def black_spots(world: World) -> pl.DataFrame:
    """The first fiftieth of street spots: where a share of all accidents recur."""
    streets = street_places(world)
    return streets.head(max(3, streets.height // 50))


def _drivers(ctx: Context, rng: np.random.Generator, vehicles: pl.DataFrame) -> np.ndarray:
    """Owners drive their own cars mostly; company vehicles have employees; some drivers represent a company."""
    persons = non_representatives(ctx.world.persons, ctx.world.organisations)
    reps = ctx.world.organisations["legal_rep_person_id"].unique().sort().to_numpy()
    n = vehicles.height
    own = vehicles["owner_kind"].to_numpy() == "person"
    driver = np.where(
        own & (rng.random(n) < 0.8),
        vehicles["owner_id"].to_numpy(),
        persons[rng.integers(0, len(persons), n)],
    )
    return np.where(
        rng.random(n) < ctx.config.overlap.driver_is_legal_rep,
        reps[rng.integers(0, len(reps), n)],
        driver,
    )


def accidents(ctx: Context) -> Batch:
    rng = ctx.rng_for("traffic_accidents")
    world = ctx.world
    events = schedule(rng, ctx, ctx.config.scale.accidents, ctx.config.noise.late_arrival)
    n = events.height
    streets = street_places(world)
    hotspots = black_spots(world)
    at_hotspot = rng.random(n) < ctx.config.overlap.accident_at_hotspot
    spot = np.where(
        at_hotspot,
        rng.integers(0, hotspots.height, n),
        rng.integers(hotspots.height, streets.height, n),
    )
    places = streets[spot]
    # Some accidents happen at a chemical plant's gate: the cross-silo question "accidents
    # near hazard sources" has answers.
    plants = world.places.filter(
        pl.col("place_id").is_in(
            world.organisations.filter(pl.col("kind") == "chemical")["place_id"].implode()
        )
    )
    at_plant = ~at_hotspot & (rng.random(n) < ctx.config.overlap.accident_at_hazard_site)
    plant_rows = plants[rng.integers(0, plants.height, n)]
    places = pl.concat([places.select(plants.columns), plant_rows.select(plants.columns)]).gather(
        np.where(at_plant, np.arange(n) + n, np.arange(n))
    )
    places, underpass = underpass_accidents(ctx, events, places, at_hotspot | at_plant)
    lng, lat = wgs84_to_gcj02(places["lon"].to_numpy(), places["lat"].to_numpy())
    address, address_noise = messy_addresses(places, rng, ctx, style="county")
    vehicle_count = rng.choice([1, 2, 3], n, p=[0.45, 0.45, 0.10])
    persons = world.persons.select("person_id", "name", "id_number", "phone")
    vehicles = world.objects.filter(pl.col("kind") == "vehicle")
    columns: dict[str, pl.Series] = {}
    plate_noise = np.zeros(n, dtype=bool)
    for i in SLOTS:
        present = vehicle_count >= i
        chosen = vehicles[rng.integers(0, vehicles.height, n)]
        driver_ids = pl.Series(_drivers(ctx, rng, chosen))
        drivers = pl.DataFrame({"person_id": driver_ids}).join(
            persons, on="person_id", how="left", maintain_order="left"
        )
        plates, varied = plate_variants(chosen["code"], rng, ctx.config.noise.name_variant)
        plate_noise |= varied & present
        slot = {
            f"v{i}_plateNo": plates,
            f"v{i}_vehicleType": chosen["name"],
            f"v{i}_driverName": drivers["name"],
            f"v{i}_driverIdNo": drivers["id_number"],
            f"v{i}_driverPhone": drivers["phone"],
            f"_vehicle{i}": chosen["object_id"],
            f"_driver{i}": drivers["person_id"],
        }
        columns |= {name: where_or_null(present, values) for name, values in slot.items()}
    deaths = np.where(rng.random(n) < 0.03, rng.integers(1, 4, n), 0)
    rows = pl.DataFrame(
        {
            "accidentId": sequence_ids("SG", events["event_time"].dt.date()),
            "occurTime": events["event_time"],
            "lng": pl.Series(np.round(lng, 6)),
            "lat": pl.Series(np.round(lat, 6)),
            "roadName": places["road"],
            "address": address,
            "districtCode": places["county_code"],
            "deaths": pl.Series(deaths),
            "injuries": pl.Series(rng.poisson(0.8, n)),
            "cause": pl.Series(np.array(ACCIDENT_CAUSES)[rng.integers(0, len(ACCIDENT_CAUSES), n)]),
            "weather": pl.Series(np.array(WEATHER)[rng.choice(4, n, p=[0.5, 0.25, 0.2, 0.05])]),
            **{name: values for name, values in columns.items() if not name.startswith("_")},
            DAY: events[DAY],
            "place_id": places["place_id"],
            KEEP_VALID: pl.Series(underpass),
            **{name: values for name, values in columns.items() if name.startswith("_")},
        }
    )
    rows = start_rows(
        rows, **address_noise, plate_variant=plate_noise, late_arrival=events["late"].to_numpy()
    )
    vehicle_links = [
        links(rows, "object", f"_vehicle{i}", "involved_vehicle", slot=i) for i in SLOTS
    ]
    driver_links = [links(rows, "person", f"_driver{i}", "driver", slot=i) for i in SLOTS]
    result = batch(
        rows,
        links(rows, "place", "place_id", "accident_site"),
        # A crash is one incident however many services hear of it (reported_incidents).
        incident_links(rows, "traffic_accidents", "accidentId"),
        *vehicle_links,
        *driver_links,
        drop=["place_id"] + [f"_vehicle{i}" for i in SLOTS] + [f"_driver{i}" for i in SLOTS],
    )
    result.truth_tables["underpass_accidents"] = rows.filter(pl.Series(underpass)).select(
        "accidentId", "place_id", pl.col(DAY).alias("day")
    )
    return result


def underpass_accidents(
    ctx: Context, events: pl.DataFrame, places: pl.DataFrame, taken: np.ndarray
) -> tuple[pl.DataFrame, np.ndarray]:
    """On a day of orange or red rain in a county, cars drive into its flooded underpasses:
    some of that day's accidents (not late, not at a black spot or a plant) happen there.
    The planted underpass (the first) has one on the planted storm's day."""
    rng = ctx.rng_for("underpass accidents")
    world = ctx.world
    storms = world.storms
    underpasses = (
        world.hazard_sites.filter(pl.col("point_type").is_in(UNDERPASS_TYPES))
        .select("object_id", "place_id")
        .join(world.places, on="place_id")
    )
    moved = np.zeros(events.height, dtype=bool)
    free = ~taken & ~events["late"].to_numpy()
    days = events[DAY].to_numpy()
    index = np.arange(events.height)
    targets: list[int] = []
    rows: list[int] = []
    daily = storms.daily()
    for row, county in enumerate(storms.counties):
        here = underpasses.with_row_index("i").filter(pl.col("county_code") == county)["i"]
        for day in np.flatnonzero(daily[row] >= UNDERPASS_RAIN_MM):
            when = np.datetime64(ctx.days[day])
            for point in here.to_list():
                if point != 0 and rng.random() >= 0.6:
                    continue
                candidates = index[free & (days == when)]
                if len(candidates) == 0:
                    continue
                chosen = int(candidates[rng.integers(0, len(candidates))])
                free[chosen] = False
                moved[chosen] = True
                targets.append(point)
                rows.append(chosen)
    if not rows:
        return places, moved
    replacement = underpasses.select(places.columns)[targets]
    order = np.arange(places.height)
    order[rows] = places.height + np.arange(len(rows))
    return pl.concat([places, replacement]).gather(order), moved


def flow(ctx: Context, rng: np.random.Generator, day: date, jams: pl.DataFrame) -> Batch:
    """5-minute counts per detector: a two-peak daily profile, capacity per road, Poisson noise;
    the day's planted congestion (`congestions`) slows its detector and fills its lane."""
    detectors = detectors_of(ctx)
    interval = ctx.config.scale.flow_interval_minutes
    slots = 24 * 60 // interval
    d = detectors.height
    hour = (np.arange(slots) * interval) / 60.0
    profile = (
        0.15
        + 0.85 * (np.exp(-((hour - 8.5) ** 2) / 2) + np.exp(-((hour - 18) ** 2) / 3))
        + 0.2 * ((hour > 10) & (hour < 16))
    )
    capacity = rng.uniform(60, 240, d)  # vehicles per 5 minutes at the peak
    expected = np.outer(capacity, profile)
    volume = rng.poisson(expected)
    load = np.clip(volume / capacity[:, None], 0, 1.5)
    speed = np.clip(rng.normal(60 * (1 - 0.55 * load**2), 4), 3, 90)
    occupancy = np.clip(load * 35 + rng.normal(0, 2, load.shape), 0, 99)
    today = jams.filter(pl.col("day") == day)
    row_of = {code: i for i, code in enumerate(detectors["code"].to_list())}
    episodes = []
    for jam in today.iter_rows(named=True):
        i, first, n = row_of[jam["detector_id"]], jam["start_slot"], jam["slots"]
        build = max(1, n // 4)
        grip = np.minimum(1.0, np.arange(1, n + 1) / build) * jam["severity"]
        span = slice(first, first + n)
        speed[i, span] = np.clip(speed[i, span] * (1 - grip), 3, 90)
        occupancy[i, span] = np.clip(occupancy[i, span] + grip * 60, 0, 99)
        volume[i, span] = np.round(volume[i, span] * (1 - 0.5 * grip)).astype(volume.dtype)
        begin = np.datetime64(day, "m") + first * np.timedelta64(interval, "m")
        episodes.append(
            {
                "detector_id": jam["detector_id"],
                "started_at": begin.astype("datetime64[us]").item(),
                "ended_at": (begin + (n - 1) * np.timedelta64(interval, "m"))
                .astype("datetime64[us]")
                .item(),
                "speed_loss": jam["severity"],
            }
        )
    start = np.datetime64(day, "m") + np.arange(slots) * np.timedelta64(interval, "m")
    lng, lat = wgs84_to_gcj02(detectors["lon"].to_numpy(), detectors["lat"].to_numpy())
    rows = pl.DataFrame(
        {
            "DETECTOR_ID": np.repeat(detectors["code"].to_numpy(), slots),
            "ROAD_NAME": np.repeat(detectors["road"].to_numpy(), slots),
            "LNG": np.repeat(np.round(lng, 6), slots),
            "LAT": np.repeat(np.round(lat, 6), slots),
            "START_TIME": np.tile(start.astype("datetime64[us]"), d),
            "VOLUME": volume.ravel(),
            "AVG_SPEED": np.round(speed.ravel(), 1),
            "OCCUPANCY": np.round(occupancy.ravel(), 1),
            DAY: np.full(d * slots, np.datetime64(day, "D")),
            "object_id": np.repeat(detectors["object_id"].to_numpy(), slots),
        }
    ).with_columns(pl.col(DAY).cast(pl.Date))
    rows = start_rows(rows)
    result = batch(rows, links(rows, "object", "object_id", "detector"), drop=["object_id"])
    result.truth_tables["traffic_congestion"] = pl.DataFrame(
        episodes,
        schema={
            "detector_id": pl.String,
            "started_at": pl.Datetime("us"),
            "ended_at": pl.Datetime("us"),
            "speed_loss": pl.Float64,
        },
    )
    return result
