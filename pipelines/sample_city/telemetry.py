"""IoT telemetry of the sample city: devices that push a reading every five minutes, as an IoT
platform forwards them (one JSON object per push: the device, its type, the installation or asset
it watches, the platform's message and 5-minute batch ids, and a `measures` array of code, value,
unit and the device's own timestamp in epoch milliseconds).

Planted in the readings, with their truth: real incidents (a leak that rises and stays, a pipe
that loses pressure, a cover knocked off, a bridge over its strain) and sensor faults (offline,
flat-lining, spikes, out of physical range, clock skew, re-sent readings). A device carries at
most one of them, so the truth of each is unambiguous. Rates are per device over the telemetry
window; every fault kind a feed is given appears at least once, so a tiny city tests each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from pipelines.sample_city import corruptions as broken
from pipelines.sample_city.delivery import DAY, KEEP_VALID, Batch, FeedSpec
from pipelines.sample_city.feeds.common import Context, links, start_rows

INTERVAL_MINUTES = 5
SLOTS_PER_DAY = 24 * 60 // INTERVAL_MINUTES
MAX_MEASURES = 2


@dataclass(frozen=True)
class Measure:
    code: str
    unit: str
    low: float  # a device's normal level is drawn between low and high
    high: float
    noise: float  # reading-to-reading noise (standard deviation)
    decimals: int
    spike: float  # a spike's size, added to the reading
    out_of_range: float  # the value a broken transducer reports (outside the physical range)


@dataclass(frozen=True)
class Incident:
    kind: str
    measure: str
    low: float  # the level the incident reaches, drawn between low and high
    high: float
    ramp_minutes: tuple[int, int]  # how long it takes to get there


@dataclass(frozen=True)
class DeviceType:
    name: str
    measures: tuple[Measure, ...]
    incident: Incident


HAZARD_DEVICES = (
    DeviceType(
        "combustible_gas_detector",
        (Measure("lel", "%LEL", 0.5, 3.0, 0.3, 1, 60.0, 150.0),),
        Incident("combustible_gas_leak", "lel", 35.0, 80.0, (15, 45)),
    ),
    DeviceType(
        "toxic_gas_detector",
        (Measure("h2s", "ppm", 0.2, 1.5, 0.2, 1, 40.0, -20.0),),
        Incident("toxic_gas_leak", "h2s", 25.0, 60.0, (15, 45)),
    ),
    DeviceType(
        "tank_level_gauge",
        (
            Measure("level", "%", 40.0, 85.0, 0.15, 1, 30.0, 9999.0),
            Measure("temperature", "°C", 15.0, 30.0, 0.2, 1, 40.0, -273.0),
        ),
        Incident("tank_leak", "level", 2.0, 8.0, (90, 240)),
    ),
    DeviceType(
        "pressure_transmitter",
        (Measure("pressure", "MPa", 0.4, 1.0, 0.008, 3, 1.5, 99.0),),
        Incident("overpressure", "pressure", 1.8, 2.3, (20, 60)),
    ),
)
LIFELINE_DEVICES = (
    DeviceType(
        "gas_pipeline_pressure_gauge",
        (Measure("pressure", "MPa", 0.25, 0.4, 0.003, 3, 0.3, -1.0),),
        Incident("gas_pipeline_leak", "pressure", 0.03, 0.1, (10, 40)),
    ),
    DeviceType(
        "manhole_cover_monitor",
        (
            Measure("tilt", "°", 0.2, 2.0, 0.1, 1, 45.0, 360.0),
            Measure("water_depth", "m", 0.1, 0.5, 0.01, 2, 1.8, 99.0),
        ),
        Incident("manhole_overflow", "water_depth", 1.7, 2.0, (20, 90)),
    ),
    DeviceType(
        "bridge_strain_gauge",
        (Measure("strain", "με", 120.0, 320.0, 4.0, 0, 900.0, 99999.0),),
        Incident("bridge_overstrain", "strain", 900.0, 1300.0, (30, 120)),
    ),
)
FAULT_KINDS = ("offline", "flatline", "spike", "out_of_range", "clock_skew", "duplicates")


@dataclass(frozen=True)
class Rates:
    incident: float  # real incidents per device and telemetry day
    fault: float  # faulty devices per device over the window (one fault kind each)


RATES = Rates(incident=0.01, fault=0.06)


@dataclass
class Telemetry:
    """A feed's pushes (flat columns, nested by `nest`) and their truth."""

    rows: pl.DataFrame
    devices: pl.DataFrame
    incidents: pl.DataFrame
    faults: pl.DataFrame


def telemetry_days(ctx: Context) -> list[date]:
    """The last days of the window carry telemetry (the scale's telemetry_days)."""
    return ctx.days[-ctx.config.scale.telemetry_days :]


def generate(
    ctx: Context,
    name: str,
    devices: pl.DataFrame,
    types: tuple[DeviceType, ...],
    guaranteed_faults: tuple[str, ...],
) -> Telemetry:
    """Readings of `devices` (device_id, device_type, asset_id, asset_type, lon, lat, object ids).

    One incident at least per feed; every fault kind of `guaranteed_faults` at least once."""
    rng = ctx.rng_for(f"telemetry:{name}")
    days = telemetry_days(ctx)
    n, slots = devices.height, SLOTS_PER_DAY * len(days)
    by_name = {t.name: t for t in types}
    type_of = [by_name[t] for t in devices["device_type"]]
    start = np.datetime64(days[0], "m")
    slot_time = start + np.arange(slots) * np.timedelta64(INTERVAL_MINUTES, "m")
    minutes = np.arange(slots) * INTERVAL_MINUTES

    # Who has what: incidents first, faults on other devices.
    expected = RATES.incident * n * len(days)
    incident_count = max(1, int(rng.poisson(expected)))
    order = rng.permutation(n)
    incident_devices = order[: min(incident_count, n // 2)]
    rest = order[len(incident_devices) :]
    fault_count = max(len(guaranteed_faults), int(rng.binomial(len(rest), RATES.fault)))
    fault_devices = rest[: min(fault_count, len(rest))]
    fault_kind = [
        guaranteed_faults[i]
        if i < len(guaranteed_faults)
        else FAULT_KINDS[int(rng.integers(0, len(FAULT_KINDS)))]
        for i in range(len(fault_devices))
    ]

    values = np.full((n, MAX_MEASURES, slots), np.nan)
    for d in range(n):
        kind = type_of[d]
        for m, measure in enumerate(kind.measures):
            level = rng.uniform(measure.low, measure.high)
            wander = np.cumsum(rng.normal(0, measure.noise * 0.15, slots))
            wander -= np.linspace(0, wander[-1], slots)  # a bounded wander, back where it began
            daily: float | np.ndarray = 0.0
            if measure.code == "strain":  # traffic load on a bridge: busier by day
                daily = (
                    0.2 * level * np.clip(np.sin((minutes % 1440 - 360) / 1440 * 2 * np.pi), 0, 1)
                )
            if measure.code == "temperature":
                daily = 3 * np.sin((minutes % 1440 - 480) / 1440 * 2 * np.pi)
            # a healthy sensor reads no less than zero (a gas detector in clean air reads 0)
            values[d, m] = np.maximum(
                level + wander + daily + rng.normal(0, measure.noise, slots), 0
            )

    incidents = []
    for d in incident_devices:
        kind = type_of[d]
        m = next(i for i, x in enumerate(kind.measures) if x.code == kind.incident.measure)
        # It starts a day before the end at least, so a warning on it can be followed up.
        latest = slots - SLOTS_PER_DAY if len(days) > 1 else slots * 3 // 4
        first = int(rng.integers(SLOTS_PER_DAY // 4, latest))
        ramp = int(rng.integers(*kind.incident.ramp_minutes) // INTERVAL_MINUTES) + 1
        target = rng.uniform(kind.incident.low, kind.incident.high)
        base = values[d, m, first]
        path = np.full(slots - first, target)
        path[: min(ramp, len(path))] = np.linspace(base, target, ramp + 1)[1:][: len(path)]
        noise = rng.normal(0, kind.measures[m].noise * 2, len(path))
        values[d, m, first:] = np.maximum(path + noise, 0)
        incidents.append(
            {
                "device_id": devices["device_id"][int(d)],
                "asset_id": devices["asset_id"][int(d)],
                "measure": kind.incident.measure,
                "incident_kind": kind.incident.kind,
                "started_at": slot_time[first].astype("datetime64[us]").item(),
                "ended_at": slot_time[-1].astype("datetime64[us]").item(),
                "peak": float(
                    np.round(
                        np.max(values[d, m, first:])
                        if target > base
                        else np.min(values[d, m, first:]),
                        3,
                    )
                ),
            }
        )

    present = np.ones((n, slots), dtype=bool)
    skew_minutes = np.zeros(n)
    resend = np.zeros((n, slots), dtype=bool)
    faults = []
    for index, (d, fault) in enumerate(zip(fault_devices, fault_kind, strict=True)):
        kind = type_of[d]
        m = int(rng.integers(0, len(kind.measures)))
        first = int(rng.integers(slots // 10, slots * 2 // 3))
        length = int(rng.integers(13, min(72, slots - first) + 1))  # 65 minutes to 6 hours
        last = first + length
        if fault == "offline":
            present[d, first:last] = False
        elif fault == "flatline":
            # Stuck: at the last value, or (a saturated cell) at a value past the alarm level.
            # The guaranteed one is the hard case: stuck past the alarm level.
            high = index < len(guaranteed_faults) or rng.random() < 0.4
            m = next(i for i, x in enumerate(kind.measures) if x.code == kind.incident.measure)
            stuck = kind.incident.high if high else values[d, m, first]
            values[d, m, first:last] = stuck
        elif fault == "spike":
            picks = rng.choice(
                np.arange(first, slots - 1, 3), size=int(rng.integers(1, 5)), replace=False
            )
            values[d, m, picks] += kind.measures[m].spike
            first, last = int(picks.min()), int(picks.max()) + 1
        elif fault == "out_of_range":
            values[d, m, first:last] = kind.measures[m].out_of_range
        elif fault == "clock_skew":
            skew_minutes[d] = rng.choice([-1, 1]) * rng.integers(60, 12 * 60)
            first, last = 0, slots
        elif fault == "duplicates":
            resend[d, first:last] = rng.random(length) < 0.5
        faults.append(
            {
                "device_id": devices["device_id"][int(d)],
                "asset_id": devices["asset_id"][int(d)],
                "fault_kind": fault,
                "measure": None
                if fault in ("offline", "clock_skew", "duplicates")
                else kind.measures[m].code,
                "started_at": slot_time[first].astype("datetime64[us]").item(),
                "ended_at": slot_time[last - 1].astype("datetime64[us]").item(),
            }
        )

    # One push per device and slot that is present; re-sends come a minute or three later.
    device_index, slot_index = np.nonzero(present)
    resent = resend[device_index, slot_index]
    device_index = np.concatenate([device_index, device_index[resent]])
    slot_index = np.concatenate([slot_index, slot_index[resent]])
    copy = np.concatenate(
        [np.zeros(len(resent), dtype=np.int8), np.ones(int(resent.sum()), dtype=np.int8)]
    )
    delay = rng.integers(3, 60, len(device_index)) + copy * rng.integers(60, 180, len(device_index))
    measured = slot_time[slot_index].astype("datetime64[s]")
    pushed = measured + delay.astype("timedelta64[s]")
    device_ts = measured + (skew_minutes[device_index] * 60).astype("timedelta64[s]")
    batch_start = pushed.astype("datetime64[m]")
    batch_start = batch_start - (batch_start.astype(np.int64) % INTERVAL_MINUTES).astype(
        "timedelta64[m]"
    )
    # The platform's message id: the push's second and a 6-digit sequence that wraps around.
    sequence = pl.Series(np.arange(len(pushed)) % 1_000_000).cast(pl.String).str.zfill(6)
    push_time = pl.Series(pushed.astype("datetime64[us]"))
    columns: dict[str, object] = {
        "msgId": name[:1].upper() + push_time.dt.strftime("%Y%m%d%H%M%S") + sequence,
        "batchId": "B" + pl.Series(batch_start.astype("datetime64[us]")).dt.strftime("%Y%m%d%H%M"),
        "pushTime": push_time,
        "deviceId": devices["device_id"].to_numpy()[device_index],
        "deviceType": devices["device_type"].to_numpy()[device_index],
        "assetId": devices["asset_id"].to_numpy()[device_index],
        "assetType": devices["asset_type"].to_numpy()[device_index],
        "assetName": devices["asset_name"].to_numpy()[device_index],
        "lng": np.round(devices["lon"].to_numpy()[device_index], 6),
        "lat": np.round(devices["lat"].to_numpy()[device_index], 6),
    }
    for m in range(MAX_MEASURES):
        measure_of = [t.measures[m] if m < len(t.measures) else None for t in type_of]
        has = np.array([x is not None for x in measure_of])[device_index]
        decimals = np.array([x.decimals if x else 0 for x in measure_of])[device_index]
        raw = values[device_index, m, slot_index]
        rounded = raw.copy()
        for places in np.unique(decimals):
            rounded[decimals == places] = np.round(raw[decimals == places], int(places))
        columns[f"m{m}_code"] = pl.Series(
            np.array([x.code if x else "" for x in measure_of], dtype=object)[device_index]
        ).set(pl.Series(~has), None)
        columns[f"m{m}_value"] = pl.Series(rounded).set(pl.Series(~has), None)
        columns[f"m{m}_unit"] = pl.Series(
            np.array([x.unit if x else "" for x in measure_of], dtype=object)[device_index]
        ).set(pl.Series(~has), None)
        columns[f"m{m}_ts"] = pl.Series(device_ts.astype("datetime64[us]")).set(
            pl.Series(~has), None
        )
    day_of = np.array(days, dtype="datetime64[D]")[slot_index // SLOTS_PER_DAY]
    frame = (
        pl.DataFrame(columns)
        .with_columns(
            pl.Series(DAY, day_of).cast(pl.Date),
            pl.Series("object_id", devices["object_id"].to_numpy()[device_index]),
            pl.Series("asset_object_id", devices["asset_object_id"].to_numpy()[device_index]),
            # planted truth is never broken by a contract violation
            pl.Series(
                KEEP_VALID, np.isin(device_index, np.concatenate([incident_devices, fault_devices]))
            ),
        )
        .sort(DAY, "pushTime", "deviceId")
    )
    incident_frame = pl.DataFrame(
        incidents,
        schema={
            "device_id": pl.String,
            "asset_id": pl.String,
            "measure": pl.String,
            "incident_kind": pl.String,
            "started_at": pl.Datetime("us"),
            "ended_at": pl.Datetime("us"),
            "peak": pl.Float64,
        },
    )
    fault_frame = pl.DataFrame(
        faults,
        schema={
            "device_id": pl.String,
            "asset_id": pl.String,
            "fault_kind": pl.String,
            "measure": pl.String,
            "started_at": pl.Datetime("us"),
            "ended_at": pl.Datetime("us"),
        },
    )
    return Telemetry(frame, devices, incident_frame, fault_frame)


def nest(frame: pl.DataFrame, timezone: str) -> pl.DataFrame:
    """The platform's JSON: measures as an array, times as epoch milliseconds."""
    measures = pl.concat_list(
        [
            pl.struct(
                pl.col(f"m{m}_code").alias("code"),
                pl.col(f"m{m}_value").alias("value"),
                pl.col(f"m{m}_unit").alias("unit"),
                pl.col(f"m{m}_ts").dt.replace_time_zone(timezone).dt.epoch("ms").alias("ts"),
            )
            for m in range(MAX_MEASURES)
        ]
    ).list.eval(pl.element().filter(pl.element().struct.field("code").is_not_null()))
    push_ms = pl.col("pushTime").dt.replace_time_zone(timezone).dt.epoch("ms")
    flat = [c for c in frame.columns if c.startswith("m") and c[1:2].isdigit() and "_" in c]
    return frame.with_columns(push_ms.alias("pushTime"), measures.alias("measures")).drop(flat)


def batch_of(
    ctx: Context,
    telemetry: Telemetry,
    department: str,
    feed: str,
    device_role: str,
    asset_role: str,
) -> Batch:
    """The feed's Batch: rows, the device and asset each push names, and the truth tables."""
    from pipelines.sample_city.feeds.common import batch

    rows = start_rows(telemetry.rows)
    result = batch(
        rows,
        links(rows, "object", "object_id", device_role),
        links(rows, "object", "asset_object_id", asset_role),
        drop=["object_id", "asset_object_id"],
    )
    tag = [pl.lit(department).alias("department"), pl.lit(feed).alias("feed")]
    result.truth_tables["sensor_devices"] = telemetry.devices.select(
        *tag,
        "device_id",
        "device_type",
        "asset_id",
        "asset_type",
        pl.lit(len(telemetry_days(ctx))).alias("telemetry_days"),
    )
    devices = telemetry.devices
    assets = devices.unique("asset_object_id", keep="first", maintain_order=True)
    result.truth_tables["objects"] = pl.concat(
        [
            devices.select(
                "object_id",
                pl.lit("sensor_device").alias("kind"),
                pl.col("device_id").alias("code"),
                pl.col("device_type").alias("name"),
            ),
            # a hazard installation is already one of the world's objects
            assets.filter(pl.col("asset_type") != "hazard_installation").select(
                pl.col("asset_object_id").alias("object_id"),
                pl.lit("lifeline_asset").alias("kind"),
                pl.col("asset_id").alias("code"),
                pl.col("asset_name").alias("name"),
            ),
        ]
    )
    result.truth_tables["sensor_incidents"] = telemetry.incidents.select(*tag, pl.all())
    result.truth_tables["sensor_faults"] = telemetry.faults.select(*tag, pl.all())
    return result


FEED = "sensor_telemetry"


def feed_spec(department: str) -> FeedSpec:
    """Every department's telemetry is one feed name (sensor_telemetry), delivered alike."""
    return FeedSpec(
        department,
        FEED,
        "jsonl",
        key=("deviceId", "msgId"),
        corruptions=[
            broken.required_missing("deviceId"),
            broken.outside_city("lng", "lat"),
            broken.future_date("pushTime"),
            broken.pattern_mismatch("deviceId"),
        ],
        drift_added_column="ext",
        finalize=nest,
    )


def device_ids(prefix: str, n: int) -> pl.Series:
    return pl.Series([f"{prefix}{i:08d}" for i in range(1, n + 1)])
