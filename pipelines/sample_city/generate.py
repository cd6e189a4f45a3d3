"""Generate the sample city: every department's deliveries under landing/, the truth under ground_truth/,
and the city's profile as city.yaml.

Deterministic for a seed and a city: every table and feed draws from its own generator,
seeded from (seed, name), and nothing depends on the clock, so the same seed gives
byte-identical files.
"""

from __future__ import annotations

import json
import shutil
import zlib
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.lib.atomic import write_text_atomic
from pipelines.lib.city_profile import Bounds
from pipelines.lib.contracts import contracts_dir, load_feed_contracts
from pipelines.lib.data_dir import DataDir
from pipelines.sample_city import resources
from pipelines.sample_city.config import CityConfig
from pipelines.sample_city.delivery import DAY, Windows, deliver
from pipelines.sample_city.feeds import (
    citizen_hotline,
    command_centre,
    ecology_environment,
    emergency_management,
    emergency_resources,
    fire_rescue,
    fire_resources,
    health,
    housing_construction,
    market_regulation,
    meteorology,
    natural_resources,
    public_security,
    traffic_police,
    water,
)
from pipelines.sample_city.feeds.common import Context
from pipelines.sample_city.world import World, build_world

DEPARTMENTS = [
    market_regulation,
    traffic_police,
    fire_rescue,
    emergency_management,
    ecology_environment,
    meteorology,
    water,
    natural_resources,
    housing_construction,
    public_security,
    health,
    citizen_hotline,
    fire_resources,
    emergency_resources,
    command_centre,  # last: it instructs on what the others' data raise
]


def seeded(seed: int) -> Callable[[str], np.random.Generator]:
    """One independent generator per name, so adding a draw to one table never shifts another."""
    return lambda name: np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def generate_city(
    out: Path,
    scale: str = "small",
    seed: int = 42,
    days: int | None = None,
    progress: Callable[[str], None] | None = None,
    city: str | None = None,
    bounds: Bounds | None = None,
    windows: bool = False,
) -> dict[str, int]:
    """Write a sample city into the data directory `out`; returns rows written per "department/feed".

    `city`: the prefecture-level city's code (default: contracts/city.yaml's); `bounds`: its
    extent, for a city the generator has no data file for (city_map.py). The profile used is
    written to `<out>/city.yaml`, so the pipeline runs the sample on its own city.

    landing/ and ground_truth/ are built in a scratch folder and swapped in at
    the end, so an interrupted run never leaves a half city behind.

    `windows`: a feed whose contract is delivered more often than daily (its SLA frequency)
    comes as one file per window, as its contract's `windowFile` names them, instead of a
    file per day (contracts/README.md, "Sub-daily delivery").
    """
    config = CityConfig.for_scale(scale, seed=seed, days=days, city_code=city, bounds=bounds)
    report = progress or (lambda message: None)
    target = DataDir(Path(out))
    profile = config.city.profile
    report(f"city: {profile.name} ({profile.code}), counties from {config.city.source}")
    scratch = target.root / ".generating"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)

    rng_for = seeded(seed)
    world = build_world(config, rng_for)
    ctx = Context(world=world, config=config, rng_for=rng_for)
    report(
        f"world: {world.persons.height} persons, {world.organisations.height} organisations, "
        f"{world.places.height} places, {world.objects.height} objects"
    )

    drift_days = choose_drifted_files(
        rng_for("column drift"), ctx, config.noise.column_drift_per_file
    )
    window_plan = window_deliveries() if windows else {}
    counts: dict[str, int] = {}
    invalid: dict[str, int] = {}
    drifts: list[dict] = []
    extra_truth: dict[str, list[pl.DataFrame]] = {}
    for department in DEPARTMENTS:
        for spec, batch in department.feeds(ctx):
            name = f"{spec.department}/{spec.feed}"
            # The high-volume feed arrives one day per batch; the others cover the whole window.
            feed_days = (
                batch.rows[DAY].unique().sort().to_list()
                if spec.feed == "traffic_flow"
                else ctx.days
            )
            first_day = feed_days[0]
            delivered = deliver(
                spec,
                batch,
                scratch,
                rng_for(f"deliver:{name}:{first_day}"),
                config.noise,
                feed_days,
                drift_days.get(spec.feed, set()),
                profile,
                window_plan.get((spec.department, spec.feed)) if windows else None,
            )
            counts[name] = counts.get(name, 0) + delivered.rows
            invalid[name] = invalid.get(name, 0) + delivered.invalid
            drifts += delivered.drifts
            for table, frame in batch.truth_tables.items():
                extra_truth.setdefault(table, []).append(frame)
            if spec.feed != "traffic_flow" or first_day == ctx.last_day:
                report(f"{name}: {counts[name]} rows")

    write_truth(DataDir(scratch), world, ctx, config, counts, invalid, drifts, extra_truth)
    write_text_atomic(
        DataDir(scratch).city_profile,
        profile.to_yaml(
            f"The city of the sample generated here (safecity generate --scale {scale} --seed {seed} "
            f"--city {profile.code}{_bounds_option(bounds)}).\nsafecity run on this data directory uses it instead of "
            "contracts/city.yaml (README, Settings).\nCounties: " + config.city.source
        ),
    )
    for part in ("landing", "ground_truth"):
        shutil.rmtree(target.root / part, ignore_errors=True)
        (scratch / part).rename(target.root / part)
    DataDir(scratch).city_profile.replace(target.city_profile)
    shutil.rmtree(scratch)
    return counts


def window_deliveries() -> dict[tuple[str, str], Windows]:
    """How each sub-daily feed's contract says its windows are delivered: their length, the
    column a row's time is read from (the latency SLA's element) and the files' names."""
    from pipelines.lib.contracts import contracts_dir, load_feed_contracts

    plan = {}
    for (department, feed), contract in load_feed_contracts(contracts_dir()).items():
        landing, element = contract.landing, contract.sla.latency_element
        if not landing.windowed or landing.window_minutes is None or element is None:
            continue
        plan[(department, feed)] = Windows(
            landing.window_minutes,
            contract.field(element).source_columns[0],
            landing.window_filename,
        )
    return plan


def _bounds_option(bounds: Bounds | None) -> str:
    if bounds is None:
        return ""
    return " --bounds " + ",".join(f"{value:g}" for value in bounds.as_dict().values())


def choose_drifted_files(rng: np.random.Generator, ctx: Context, rate: float) -> dict[str, set]:
    """The daily files whose columns drift: the configured share of all files, at least one."""
    files = [
        (spec.feed, day)
        for department in DEPARTMENTS
        for spec in department.SPECS
        for day in ctx.days
    ]
    count = max(1, round(rate * len(files)))
    chosen: dict[str, set] = {}
    for index in rng.choice(len(files), count, replace=False):
        feed, day = files[index]
        chosen.setdefault(feed, set()).add(day)
    return chosen


def write_truth(
    data: DataDir,
    world: World,
    ctx: Context,
    config: CityConfig,
    counts: dict[str, int],
    invalid: dict[str, int],
    drifts: list[dict],
    extra_truth: dict[str, list[pl.DataFrame]],
) -> None:
    truth = data.ground_truth
    truth.mkdir(parents=True, exist_ok=True)
    # Objects a feed brings beyond the world's (IoT devices, lifeline assets) join the objects.
    feed_objects = extra_truth.pop("objects", [])
    tables = {
        "persons": world.persons,
        "organisations": world.organisations,
        "places": world.places,
        "objects": pl.concat([world.objects, *feed_objects], how="diagonal_relaxed"),
        "hazard_holdings": world.hazard_holdings,
        "high_risk": high_risk(world),
        "hazard_sites": world.hazard_sites,
        "storms": world.storms.storms,
        **resource_truth(data, world, config),
        **{name: pl.concat(frames) for name, frames in extra_truth.items()},
    }
    for name, frame in tables.items():
        frame.write_parquet(truth / f"{name}.parquet", statistics=False)
    (truth / "drift.json").write_text(
        json.dumps(drifts, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    manifest = {
        "city_code": config.city.profile.code,
        "city_name": config.city.profile.name,
        "counties_from": config.city.source,
        "seed": config.seed,
        "start": ctx.days[0].isoformat(),
        "end": ctx.last_day.isoformat(),
        "scale": asdict(config.scale),
        "noise": asdict(config.noise),
        "overlap": asdict(config.overlap),
        "coverage": {**asdict(config.coverage), "planted_gap_townships": world.cover.gap_towns},
        "rows": counts,
        "invalid_rows": invalid,
        "total_rows": sum(counts.values()),
    }
    (truth / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def high_risk(world: World) -> pl.DataFrame:
    """What the risk marts should find: planted organisations and the accident black spots."""
    orgs = world.organisations.filter(pl.col("high_risk")).select(
        pl.lit("organisation").alias("entity_kind"),
        pl.col("org_id").alias("entity_id"),
        "name",
        pl.when(pl.col("kind") == "chemical")
        .then(pl.lit("grade-1 hazard source; overdue major hidden hazards; recent fire"))
        .otherwise(
            pl.lit("failed food inspections and sampling; unrectified fire hazards; recent fire")
        )
        .alias("reasons"),
    )
    spots = traffic_police.black_spots(world).select(
        pl.lit("place").alias("entity_kind"),
        pl.col("place_id").alias("entity_id"),
        pl.col("standard_address").alias("name"),
        pl.lit("accident black spot: recurring accidents at one address").alias("reasons"),
    )
    return pl.concat([orgs, spots])


def resource_truth(data: DataDir, world: World, config: CityConfig) -> dict[str, pl.DataFrame]:
    """The resource tables, and the coverage gaps and shelter shortfalls judged on what the
    lake will hold (a station or shelter row the noise broke is quarantined, so it is missing
    there as it will be from the warehouse)."""
    truth = data.ground_truth
    stations = resources.valid_entities(truth, "fire_rescue", "fire_stations", "organisation")
    # Which feeds deliver a point is what their contracts say (the department's format).
    contracts = load_feed_contracts(contracts_dir())
    with_points = sorted(key for key, contract in contracts.items() if contract.coordinates)
    shelters = resources.valid_entities(
        truth, "emergency_management", "emergency_shelters", "object"
    )
    return {
        **{f"resource_{name}": frame for name, frame in world.resources.items()},
        "coverage_gaps": resources.coverage_truth(
            world.organisations,
            world.places.select("place_id", "township_code", "lon", "lat"),
            stations,
            resources.organisations_with_points(truth, with_points, world.organisations),
            world.cover.gap_towns,
            config.coverage.coverage_km,
        ),
        "shelter_capacity": resources.shelter_truth(
            world.resources["emergency_shelters"], world.places, shelters
        ),
    }
