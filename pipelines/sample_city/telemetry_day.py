"""A day of a whole city's lifeline telemetry, for throughput: the city's lifeline monitoring at
the size a city-wide programme reaches (the scale's `fleet_assets`, a hundred thousand assets on
`large`), pushing every five minutes for one day.

The sample city's own lifeline feed watches a few hundred assets so that it can be built and
scored in minutes; this is the same feed at the size its ingestion has to keep up with. The
devices, readings, planted incidents and faults, invalid rows and re-sends are the sample
city's (feeds/housing_construction.py, telemetry.py, delivery.py), and the files are the ones
its contract names, one per 5-minute window. A day of 50 million readings is ~13 GB of JSON,
never in memory at once: devices are generated a chunk at a time, each chunk delivered as
window files that are appended to the day's.

    write_fleet_day(out, scale="large") -> FleetDay
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import polars as pl

from pipelines.lib.atomic import write_text_atomic
from pipelines.lib.data_dir import DataDir
from pipelines.sample_city import telemetry
from pipelines.sample_city.config import CityConfig
from pipelines.sample_city.delivery import deliver
from pipelines.sample_city.feeds import housing_construction
from pipelines.sample_city.feeds.common import Context
from pipelines.sample_city.generate import seeded, window_deliveries
from pipelines.sample_city.world import build_world

DEVICES_PER_CHUNK = 8_000  # ~2.3 million pushes a chunk: a few hundred MiB while generated


@dataclass(frozen=True)
class FleetDay:
    day: date
    assets: int
    devices: int
    files: int  # window files delivered
    pushes: int  # JSON lines, invalid rows and re-sends included
    readings: (
        int  # measures the devices pushed (a manhole monitor's push holds two), re-sends apart
    )
    invalid: int  # pushes planted to break a contract rule (their truth: quarantined)


def write_fleet_day(
    out: Path,
    scale: str = "large",
    seed: int = 42,
    city: str | None = None,
    assets: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> FleetDay:
    """Write one day of the lifeline feed's window files under `out`/landing (and `out`/city.yaml,
    which ingestion reads); `assets` defaults to the scale's `fleet_assets`."""
    report = progress or (lambda message: None)
    config = CityConfig.for_scale(scale, seed=seed, city_code=city)
    fleet = assets if assets is not None else config.scale.fleet_assets
    config = replace(config, scale=replace(config.scale, telemetry_days=1))
    rng_for = seeded(seed)
    ctx = Context(world=build_world(config, rng_for), config=config, rng_for=rng_for)
    spec = housing_construction.TELEMETRY
    windows = window_deliveries()[(spec.department, spec.feed)]
    devices = housing_construction.lifeline_devices(ctx, fleet)
    day = telemetry.telemetry_days(ctx)[0]
    report(f"{devices.height:,} devices on {fleet:,} lifeline assets, {day}")

    target = DataDir(out)
    folder = target.landing_feed(spec.department, spec.feed)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    write_text_atomic(target.city_profile, config.city.profile.to_yaml("A fleet telemetry day."))
    pushes = readings = invalid = 0
    chunks = range(0, devices.height, DEVICES_PER_CHUNK)
    for number, first in enumerate(chunks, start=1):
        name = f"lifeline fleet {number}"
        generated = telemetry.generate(
            ctx,
            name,
            devices.slice(first, DEVICES_PER_CHUNK),
            telemetry.LIFELINE_DEVICES,
            guaranteed_faults=(),
        )
        batch = telemetry.batch_of(
            ctx, generated, spec.department, spec.feed, "lifeline_device", "monitored_asset"
        )
        scratch = out / ".chunk"
        shutil.rmtree(scratch, ignore_errors=True)
        delivered = deliver(
            spec,
            batch,
            scratch,
            rng_for(f"deliver:{name}"),
            config.noise,
            [day],
            set(),
            config.city.profile,
            windows,
        )
        chunk_folder = DataDir(scratch).landing_feed(spec.department, spec.feed)
        for part in sorted(chunk_folder.iterdir()):
            with (folder / part.name).open("ab") as whole:
                whole.write(part.read_bytes())
        shutil.rmtree(scratch)
        pushes += delivered.rows
        invalid += delivered.invalid
        readings += _readings(generated.rows)
        report(f"chunk {number}/{len(chunks)}: {pushes:,} pushes, {readings:,} readings")
    files = len(list(folder.iterdir()))
    return FleetDay(day, fleet, devices.height, files, pushes, readings, invalid)


def _readings(rows: pl.DataFrame) -> int:
    """Measures the pushes carry: every measure slot with a code."""
    return sum(int(rows[f"m{m}_code"].is_not_null().sum()) for m in range(telemetry.MAX_MEASURES))
