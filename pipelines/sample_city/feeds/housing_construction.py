"""Housing and urban-rural construction (住房和城乡建设局): the city's lifeline monitoring (城市生命线安全工程), as the IoT
platform pushes it: gas-pipeline pressure, manhole-cover tilt and water depth, bridge strain.

Lifeline assets sit on the city's streets; a gas pipeline segment and a manhole carry one device,
a bridge two strain gauges. Readings, incidents and faults: sample_city/telemetry.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

from pipelines.sample_city import telemetry
from pipelines.sample_city.delivery import Batch, FeedSpec
from pipelines.sample_city.feeds.common import Context, jitter

DEPARTMENT = "housing_construction"
TELEMETRY = telemetry.feed_spec(DEPARTMENT)
SPECS = [TELEMETRY]

# asset type, its code prefix and name, the device type watching it, devices per asset, share
ASSETS = (
    ("gas_pipeline", "GL", "燃气管线", "gas_pipeline_pressure_gauge", 1, 0.3),
    ("manhole", "MH", "窨井", "manhole_cover_monitor", 1, 0.5),
    ("bridge", "BR", "桥梁", "bridge_strain_gauge", 2, 0.2),
)


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    yield TELEMETRY, lifeline_telemetry(ctx)


def lifeline_telemetry(ctx: Context) -> Batch:
    readings = telemetry.generate(
        ctx,
        "lifeline",
        lifeline_devices(ctx, ctx.config.scale.lifeline_assets),
        telemetry.LIFELINE_DEVICES,
        guaranteed_faults=("out_of_range", "clock_skew", "duplicates"),
    )
    return telemetry.batch_of(
        ctx, readings, DEPARTMENT, TELEMETRY.feed, "lifeline_device", "monitored_asset"
    )


def lifeline_devices(ctx: Context, assets: int) -> pl.DataFrame:
    """The devices watching `assets` lifeline assets on the city's streets (one row a device)."""
    rng = ctx.rng_for("lifeline_telemetry devices")
    streets = ctx.world.places.filter(pl.col("place_id").str.starts_with("PS")).sort("place_id")
    n_assets = max(len(ASSETS), assets)
    kind = rng.choice(len(ASSETS), n_assets, p=[a[5] for a in ASSETS])
    kind[: len(ASSETS)] = np.arange(len(ASSETS))  # every kind of asset at least once
    site = streets[rng.choice(streets.height, n_assets, replace=True)]
    per = np.array([ASSETS[k][4] for k in kind])
    repeat = np.repeat(np.arange(n_assets), per)
    county = site["county_code"].to_numpy()
    asset_code = np.array(
        [f"{ASSETS[k][1]}{county[i]}{i + 1:05d}" for i, k in enumerate(kind)], dtype=object
    )
    road = (
        site["road"].fill_null("").to_numpy() if "road" in site.columns else np.full(n_assets, "")
    )
    asset_name = np.array(
        [f"{road[i]}{ASSETS[k][2]}{i + 1}号" for i, k in enumerate(kind)], dtype=object
    )
    n = len(repeat)
    return pl.DataFrame(
        {
            "device_id": telemetry.device_ids("LF", n),
            "device_type": pl.Series([ASSETS[kind[i]][3] for i in repeat]),
            "asset_id": asset_code[repeat],
            "asset_type": pl.Series([ASSETS[kind[i]][0] for i in repeat]),
            "asset_name": asset_name[repeat],
            "lon": jitter(rng, site["lon"].to_numpy()[repeat], metres=5),
            "lat": jitter(rng, site["lat"].to_numpy()[repeat], metres=5),
            "object_id": telemetry.device_ids("OLF", n),
            "asset_object_id": pl.Series([f"OLA{i + 1:08d}" for i in repeat]),
        }
    )
