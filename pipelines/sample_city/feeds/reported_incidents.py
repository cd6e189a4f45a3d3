"""The fires and road crashes that reach more than one service: one incident, several reports.

A fire is fire_rescue's record (119) and a crash traffic_police's; the same incident often
also reaches the 110 centre (a passer-by calls the police), the 120 centre (someone is hurt)
and the 12345 hotline (a neighbour reports it late). Those reports are drawn here from the
incidents their owners record (the owners' own builders, re-run: each draws from its own
named generator, so the rows are the same ones the owners deliver), and every report carries
the owner record's incident in the ground truth (entity kind `incident`), which is what event
resolution is measured against.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.sample_city.delivery import DAY, RID
from pipelines.sample_city.feeds import fire_rescue, traffic_police
from pipelines.sample_city.feeds.common import (
    INCIDENT,
    PLACE_COLUMNS,
    Context,
    incident_id,
    links,
    org_view,
)


def owned_incidents(ctx: Context) -> pl.DataFrame:
    """The fires and crashes their owners deliver: incident_id, event_type (fire or
    traffic_accident), occurred_at, injuries, org_id (the premises, where at one) and the
    place's PLACE_COLUMNS."""
    fires = fire_rescue.incidents(ctx, org_view(ctx.world))
    crashes = traffic_police.accidents(ctx)
    fire_rows = fires.rows.filter(pl.col("警情类型") == "火灾").select(
        RID,
        incident_id("fire_incidents", pl.col("警情编号")).alias("incident_id"),
        pl.lit("fire").alias("event_type"),
        pl.col("报警时间").alias("occurred_at"),
        pl.col("受伤人数").alias("injuries"),
    )
    crash_rows = crashes.rows.select(
        RID,
        incident_id("traffic_accidents", pl.col("accidentId")).alias("incident_id"),
        pl.lit("traffic_accident").alias("event_type"),
        pl.col("occurTime").alias("occurred_at"),
        pl.col("injuries"),
    )
    parts = []
    for rows, batch, site in (
        (fire_rows, fires, "incident_site"),
        (crash_rows, crashes, "accident_site"),
    ):
        place = batch.links.filter(
            (pl.col("entity_kind") == "place") & (pl.col("role") == site)
        ).select(RID, pl.col("entity_id").alias("place_id"))
        org = batch.links.filter(
            (pl.col("entity_kind") == "organisation") & (pl.col("role") == "involved_unit")
        ).select(RID, pl.col("entity_id").alias("org_id"))
        parts.append(
            rows.join(place, on=RID, how="left", maintain_order="left")
            .join(org, on=RID, how="left", maintain_order="left")
            .drop(RID)
        )
    incidents = pl.concat(parts).with_columns(pl.col("injuries").cast(pl.Int64))
    return incidents.join(
        ctx.world.places.select(PLACE_COLUMNS), on="place_id", how="left", maintain_order="left"
    )


def reported(
    ctx: Context,
    rng: np.random.Generator,
    share: float,
    injured_only: bool = False,
    minutes: tuple[int, int] = (-5, 15),
) -> pl.DataFrame:
    """The owned incidents a service hears of (`share` of them; of those with someone hurt,
    when `injured_only`), each at its report time: `minutes` after the owner's time (a
    negative bound: the call can come before the owner's own alarm)."""
    incidents = owned_incidents(ctx)
    chosen = rng.random(incidents.height) < share
    if injured_only:
        chosen &= incidents["injuries"].to_numpy() > 0
    picked = incidents.filter(pl.Series(chosen))
    offset = rng.integers(minutes[0] * 60, minutes[1] * 60, picked.height) * 1_000_000
    at = (pl.col("occurred_at") + pl.Series(offset).cast(pl.Duration("us"))).alias("reported_at")
    # Delivered the day it was made (a late owner record is still on time at the other
    # services); a report made before the window or after it is not in this sample.
    return (
        picked.with_columns(at)
        .with_columns(pl.col("reported_at").dt.date().alias(DAY), late=pl.lit(False))
        .filter(pl.col(DAY).is_between(ctx.days[0], ctx.last_day))
    )


def report_links(rows: pl.DataFrame) -> pl.DataFrame:
    """A service's reports of owned incidents (rows with an `incident_id`) in the ground truth."""
    return links(rows, INCIDENT, "incident_id", INCIDENT)
