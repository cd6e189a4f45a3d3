"""Emergency management's resource registers (应急资源): shelters, supply depots, rescue
teams and experts.

The department's usual delivery: UTF-8 CSV with English headers, WGS-84 coordinates,
dates in its three formats; the registers are sent whole on the first day, then changes.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

from pipelines.sample_city import corruptions as broken
from pipelines.sample_city.delivery import DAY, Batch, FeedSpec
from pipelines.sample_city.feeds.common import (
    Context,
    batch,
    links,
    messy_addresses,
    registry_days,
    start_rows,
)
from pipelines.sample_city.feeds.emergency_management import EM_DATES

DEPARTMENT = "emergency_management"

SHELTERS = FeedSpec(
    DEPARTMENT,
    "emergency_shelters",
    "csv",
    key="shelter_code",
    dates={"record_date": EM_DATES},
    corruptions=[broken.negative("capacity_persons"), broken.outside_city("longitude", "latitude")],
    drift_renames={"capacity_persons": "capacity", "service_population": "served_population"},
    drift_added_column="remark",
    resend_corrected=True,  # a shelter the lake rejects would understate a township's capacity
)
DEPOTS = FeedSpec(
    DEPARTMENT,
    "supply_depots",
    "csv",
    key=("depot_code", "item_code"),
    dates={"expiry_date": EM_DATES, "record_date": EM_DATES},
    corruptions=[broken.negative("quantity"), broken.required_missing("item_code")],
    drift_renames={"quantity": "stock_quantity"},
    drift_added_column="remark",
)
TEAMS = FeedSpec(
    DEPARTMENT,
    "rescue_teams",
    "csv",
    key="team_code",
    dates={"record_date": EM_DATES},
    corruptions=[broken.negative("headcount"), broken.outside_city("longitude", "latitude")],
    drift_renames={"headcount": "members"},
    drift_added_column="remark",
)
EXPERTS = FeedSpec(
    DEPARTMENT,
    "experts",
    "csv",
    key="expert_id",
    dates={"record_date": EM_DATES},
    corruptions=[broken.identity_check("id_no")],
    drift_renames={"field": "expertise"},
    drift_added_column="remark",
)

SPECS = [SHELTERS, DEPOTS, TEAMS, EXPERTS]


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    yield SHELTERS, shelters(ctx)
    yield DEPOTS, depots(ctx)
    yield TEAMS, teams(ctx)
    yield EXPERTS, experts(ctx)


def _located(ctx: Context, table: str) -> pl.DataFrame:
    return ctx.world.resources[table].join(
        ctx.world.places, on="place_id", how="left", maintain_order="left"
    )


def _first_day(ctx: Context, n: int) -> pl.Series:
    return pl.Series([ctx.days[0]] * n).cast(pl.Date)


def shelters(ctx: Context) -> Batch:
    rng = ctx.rng_for("emergency_shelters")
    sites = _located(ctx, "emergency_shelters")
    n = sites.height
    address, address_noise = messy_addresses(sites, rng, ctx, style="full")
    rows = pl.DataFrame(
        {
            "shelter_code": sites["code"],
            "shelter_name": sites["name"],
            "shelter_type": sites["shelter_type"],
            "capacity_persons": sites["capacity_persons"],
            "area_m2": sites["area_m2"],
            "service_population": sites["service_population"],
            "address": address,
            "county_code": sites["county_code"],
            "township_code": sites["township_code"],
            "longitude": sites["lon"],
            "latitude": sites["lat"],
            "record_date": _first_day(ctx, n),
            DAY: _first_day(ctx, n),
            "object_id": sites["object_id"],
            "place_id": sites["place_id"],
        }
    )
    return _sited_batch(rows, address_noise, "shelter", "shelter_site")


def depots(ctx: Context) -> Batch:
    rng = ctx.rng_for("supply_depots")
    sites = _located(ctx, "supply_depots")
    items = ctx.world.resources["supplies"].join(sites, on="object_id", how="left")
    n = items.height
    day = pl.Series(registry_days(rng, ctx, n, initial_share=0.8)).cast(pl.Date)
    address, address_noise = messy_addresses(items, rng, ctx, style="county")
    rows = pl.DataFrame(
        {
            "depot_code": items["code"],
            "depot_name": items["name"],
            "item_code": items["item_code"],
            "item_name": items["item_name"],
            "quantity": items["quantity"],
            "unit": items["unit"],
            "expiry_date": items["expiry_date"],
            "address": address,
            "county_code": items["county_code"],
            "longitude": items["lon"],
            "latitude": items["lat"],
            "record_date": day,
            DAY: day,
            "object_id": items["object_id"],
            "place_id": items["place_id"],
        }
    )
    return _sited_batch(rows, address_noise, "depot", "depot_site")


def teams(ctx: Context) -> Batch:
    rng = ctx.rng_for("rescue_teams")
    sites = _located(ctx, "rescue_teams")
    n = sites.height
    address, address_noise = messy_addresses(sites, rng, ctx, style="city")
    phone = np.char.add("1", np.char.zfill(rng.integers(0, 10**10, n).astype(str), 10))
    rows = pl.DataFrame(
        {
            "team_code": sites["code"],
            "team_name": sites["name"],
            "specialty": sites["specialty"],
            "headcount": sites["headcount"],
            "availability": sites["status"],
            "base_address": address,
            "county_code": sites["county_code"],
            "longitude": sites["lon"],
            "latitude": sites["lat"],
            "duty_phone": pl.Series(phone),
            "record_date": _first_day(ctx, n),
            DAY: _first_day(ctx, n),
            "object_id": sites["object_id"],
            "place_id": sites["place_id"],
        }
    )
    return _sited_batch(rows, address_noise, "rescue_team", "team_base")


def experts(ctx: Context) -> Batch:
    rng = ctx.rng_for("experts")
    people = ctx.world.resources["experts"]
    n = people.height
    day = pl.Series(registry_days(rng, ctx, n, initial_share=0.9)).cast(pl.Date)
    rows = pl.DataFrame(
        {
            "expert_id": people["expert_id"],
            "name": people["name"],
            "id_no": people["id_number"],
            "field": people["field"],
            "title": people["title"],
            "mobile": people["phone"],
            "record_date": day,
            DAY: day,
            "person_id": people["person_id"],
        }
    )
    rows = start_rows(rows)
    return batch(rows, links(rows, "person", "person_id", "expert"), drop=["person_id"])


def _sited_batch(
    rows: pl.DataFrame, address_noise: dict[str, np.ndarray], object_role: str, place_role: str
) -> Batch:
    """A resource register's rows with their address noise planted, linked to the resource
    (an object) and its site (a place) in the truth."""
    rows = start_rows(rows, **address_noise)
    return batch(
        rows,
        links(rows, "object", "object_id", object_role),
        links(rows, "place", "place_id", place_role),
        drop=["object_id", "place_id"],
    )
