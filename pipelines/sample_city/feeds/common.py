"""Pieces every department's feed builder uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from pipelines.sample_city.config import CityConfig
from pipelines.sample_city.delivery import DAY, NOISE, RID, Batch, noise_flags
from pipelines.sample_city.world import World, non_representatives

LINK_SCHEMA = pl.Schema(
    {
        RID: pl.Int64,
        "entity_kind": pl.String,
        "entity_id": pl.String,
        "role": pl.String,
        "slot": pl.Int32,
    }
)


@dataclass(frozen=True)
class Context:
    world: World
    config: CityConfig
    rng_for: Callable[[str], np.random.Generator]  # one independent generator per name

    @property
    def days(self) -> list[date]:
        return [self.config.start + timedelta(days=i) for i in range(self.config.scale.days)]

    @property
    def last_day(self) -> date:
        return self.days[-1]


def schedule(
    rng: np.random.Generator, ctx: Context, per_day: int, late_rate: float
) -> pl.DataFrame:
    """Events of a daily feed: delivery day, event time, and whether the record arrives late.

    Counts vary around `per_day` (Poisson). Late records describe an event 2 to 10
    days before the day they are delivered.
    """
    counts = rng.poisson(per_day, len(ctx.days))
    day = np.repeat(np.array(ctx.days, dtype="datetime64[D]"), counts)
    n = len(day)
    late = rng.random(n) < late_rate
    lag_days = np.where(late, rng.integers(2, 11, n), 0)
    seconds = rng.integers(0, 86_400, n)
    event_time = (
        day.astype("datetime64[s]")
        - lag_days * np.timedelta64(1, "D")
        + seconds * np.timedelta64(1, "s")
    )
    return pl.DataFrame(
        {DAY: day, "event_time": event_time.astype("datetime64[us]"), "late": late}
    ).with_columns(pl.col(DAY).cast(pl.Date))


def registry_days(
    rng: np.random.Generator, ctx: Context, n: int, initial_share: float
) -> np.ndarray:
    """Registry feeds: most records in the first day's full extract, the rest as later additions."""
    days = np.array(ctx.days, dtype="datetime64[D]")
    later = rng.integers(1, len(days), n) if len(days) > 1 else np.zeros(n, dtype=np.int64)
    return np.where(rng.random(n) < initial_share, days[0], days[later])


def start_rows(frame: pl.DataFrame, **masks: np.ndarray) -> pl.DataFrame:
    """Number the rows and start their noise list."""
    return frame.with_columns(
        pl.int_range(0, pl.len(), dtype=pl.Int64).alias(RID),
        noise_flags(**masks) if masks else pl.lit([], dtype=pl.List(pl.String)).alias(NOISE),
    )


def links(rows: pl.DataFrame, kind: str, id_column: str, role: str, slot: int = 1) -> pl.DataFrame:
    """The entity each row describes in one role (null ids, e.g. an empty vehicle slot, are skipped).

    `slot` tells apart several entities in one role of one row (the second vehicle of an
    accident), in the order the delivered row lists them.
    """
    return rows.select(
        pl.col(RID),
        pl.lit(kind).alias("entity_kind"),
        pl.col(id_column).alias("entity_id"),
        pl.lit(role).alias("role"),
        pl.lit(slot).alias("slot"),
    ).filter(pl.col("entity_id").is_not_null())


def batch(rows: pl.DataFrame, *link_frames: pl.DataFrame, drop: list[str] | None = None) -> Batch:
    """Rows keep the department's columns and bookkeeping; helper columns named in `drop` go."""
    linked = (
        pl.concat([f.cast(LINK_SCHEMA) for f in link_frames])
        if link_frames
        else pl.DataFrame(schema=LINK_SCHEMA)
    )
    return Batch(rows=rows.drop(drop or []), links=linked)


def sequence_ids(prefix: str, days: pl.Series) -> pl.Series:
    """Department record numbers: prefix + yyyymmdd + running number within the day."""
    frame = pl.DataFrame({"day": days})
    return frame.select(
        pl.concat_str(
            [
                pl.lit(prefix),
                pl.col("day").dt.strftime("%Y%m%d"),
                pl.int_range(1, pl.len() + 1).over("day").cast(pl.String).str.zfill(5),
            ]
        ).alias("id")
    )["id"]


def org_view(world: World) -> pl.DataFrame:
    """Organisations with their place and legal representative, ready to draw feed rows from."""
    persons = world.persons.select(
        pl.col("person_id").alias("legal_rep_person_id"),
        pl.col("name").alias("rep_name"),
        pl.col("id_number").alias("rep_id_number"),
    )
    return world.organisations.join(
        world.places.drop("county_code"), on="place_id", how="left", maintain_order="left"
    ).join(persons, on="legal_rep_person_id", how="left", maintain_order="left")


def residents(ctx: Context, rng: np.random.Generator, n: int) -> pl.DataFrame:
    """`n` residents drawn with replacement, with their person rows: callers, patients.

    Legal representatives are left out, so a resident drawn here is not also the face of a
    registered organisation.
    """
    ids = non_representatives(ctx.world.persons, ctx.world.organisations)
    return pl.DataFrame({"person_id": ids[rng.integers(0, len(ids), n)]}).join(
        ctx.world.persons, on="person_id", how="left", maintain_order="left"
    )


def jitter(rng: np.random.Generator, values: np.ndarray, metres: float = 20) -> np.ndarray:
    """Coordinates (degrees) moved by a normal error of `metres` (a degree taken as 111 km):
    a GPS fix, or a map pin dropped near the spot."""
    return values + rng.normal(0, metres / 111_000, len(values))


def missing(
    values: pl.Series, rng: np.random.Generator, rate: float
) -> tuple[pl.Series, np.ndarray]:
    """An optional column left empty in some rows."""
    from pipelines.sample_city.world import where_or_null

    mask = rng.random(len(values)) < rate
    return where_or_null(~mask, values), mask


def messy_names(
    names: pl.Series, rng: np.random.Generator, ctx: Context
) -> tuple[pl.Series, dict[str, np.ndarray]]:
    """An organisation's name as a department's clerk enters it."""
    from pipelines.sample_city.noise import name_variants, typos

    varied, variant_mask = name_variants(
        names, rng, ctx.config.noise.name_variant, ctx.config.city.profile
    )
    typed, typo_mask = typos(varied, rng, ctx.config.noise.name_typo)
    return typed, {"name_variant": variant_mask, "name_typo": typo_mask}


def messy_addresses(
    places: pl.DataFrame, rng: np.random.Generator, ctx: Context, style: str
) -> tuple[pl.Series, dict[str, np.ndarray]]:
    from pipelines.sample_city.noise import addresses

    rendered, mask = addresses(
        places, rng, ctx.config.noise.address_variant, style, ctx.config.city.profile
    )
    return rendered, {"address_variant": mask}


PLACE_COLUMNS = (
    "place_id",
    "county_code",
    "county_name",
    "township_code",
    "township_name",
    "road",
    "house_number",
    "lon",
    "lat",
)


def places_at(at_org: np.ndarray, premises: pl.DataFrame, elsewhere: pl.DataFrame) -> pl.DataFrame:
    """Where each event happened: its organisation's premises where `at_org`, else the other
    place drawn for it (`premises` and `elsewhere` hold one row per event)."""
    return pl.DataFrame(
        {
            c: np.where(at_org, premises[c].to_numpy(), elsewhere[c].to_numpy())
            for c in PLACE_COLUMNS
        }
    ).with_columns(
        pl.col("house_number").cast(pl.Int64),
        pl.col("lon").cast(pl.Float64),
        pl.col("lat").cast(pl.Float64),
    )
