"""Emergency management: enterprises, major hazard sources, hidden hazards, work accidents.

UTF-8 CSV with English headers; USCC as the key, legal representatives'
identity numbers in full, WGS-84 coordinates, chemicals with CAS number and
the GB 18218 quantities q and Q.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl

from pipelines.sample_city import corruptions as broken
from pipelines.sample_city import telemetry
from pipelines.sample_city.delivery import DAY, KEEP_VALID, Batch, DateStyle, FeedSpec
from pipelines.sample_city.feeds.common import (
    Context,
    batch,
    jitter,
    links,
    messy_addresses,
    messy_names,
    org_view,
    registry_days,
    schedule,
    sequence_ids,
    start_rows,
)
from pipelines.sample_city.vocabulary import HIDDEN_HAZARDS, WORK_ACCIDENT_TYPES
from pipelines.sample_city.world import where_or_null

DEPARTMENT = "emergency_management"
EM_DATES = DateStyle("%Y-%m-%d", ["%Y.%m.%d", "%Y%m%d"])
EM_TIMES = DateStyle("%Y-%m-%dT%H:%M:%S%:z", ["%Y-%m-%d %H:%M", "%Y%m%d %H%M"])  # the city's offset
KIND_LABELS = {
    "chemical": "危险化学品",
    "manufacturing": "工贸",
    "logistics": "交通运输",
    "construction": "建筑施工",
    "restaurant": "餐饮",
}

ENTERPRISES = FeedSpec(
    DEPARTMENT,
    "enterprises",
    "csv",
    key="uscc",
    dates={"registered_date": EM_DATES},
    corruptions=[
        broken.uscc_check("uscc"),
        broken.identity_check("legal_rep_id_no"),
        broken.unknown_admin_code("township_code"),
        broken.outside_city("longitude", "latitude"),
        broken.required_missing("enterprise_name"),
        broken.negative("employees"),
    ],
    drift_renames={"enterprise_name": "ent_name", "contact_phone": "phone"},
    drift_added_column="remark",
)
HAZARD_SOURCES = FeedSpec(
    DEPARTMENT,
    "hazard_sources",
    "csv",
    key=("hazard_source_code", "cas_no"),
    dates={"record_date": EM_DATES},
    corruptions=[
        broken.uscc_check("uscc"),
        broken.negative("quantity_t"),
        broken.outside_city("longitude", "latitude"),
        broken.unknown_admin_code("county_code"),
        broken.required_missing("cas_no"),
    ],
    drift_renames={"quantity_t": "actual_quantity_t", "exposed_people": "people_within_500m"},
    drift_added_column="remark",
)
HIDDEN = FeedSpec(
    DEPARTMENT,
    "hidden_hazards",
    "csv",
    key="hazard_id",
    dates={"found_date": EM_DATES, "rectify_deadline": EM_DATES, "rectified_date": EM_DATES},
    corruptions=[
        broken.uscc_check("uscc"),
        broken.future_date("found_date"),
        broken.not_in_enumeration("hazard_level", ["特大", "较大"]),
        broken.required_missing("hazard_id"),
        broken.unknown_admin_code("county_code"),
    ],
    drift_renames={"hazard_level": "level", "rectify_deadline": "deadline"},
    drift_added_column="remark",
)
WORK_ACCIDENTS = FeedSpec(
    DEPARTMENT,
    "work_accidents",
    "csv",
    key="accident_id",
    dates={"occur_time": EM_TIMES},
    corruptions=[
        broken.identity_check("victim_id_no"),
        broken.uscc_check("uscc"),
        broken.future_date("occur_time"),
        broken.negative("deaths"),
        broken.outside_city("longitude", "latitude"),
    ],
    drift_renames={"accident_type": "type"},
    drift_added_column="remark",
)

TELEMETRY = telemetry.feed_spec(DEPARTMENT)

SPECS = [ENTERPRISES, HAZARD_SOURCES, HIDDEN, WORK_ACCIDENTS, TELEMETRY]


def feeds(ctx: Context) -> Iterator[tuple[FeedSpec, Batch]]:
    registered = org_view(ctx.world).filter(pl.col("em_registered"))
    yield ENTERPRISES, enterprises(ctx, registered)
    yield HAZARD_SOURCES, hazard_sources(ctx, registered)
    industrial = registered.filter(pl.col("kind") != "restaurant")
    yield HIDDEN, hidden_hazards(ctx, industrial)
    yield WORK_ACCIDENTS, work_accidents(ctx, industrial)
    yield TELEMETRY, hazard_telemetry(ctx, registered)


def hazard_telemetry(ctx: Context, orgs: pl.DataFrame) -> Batch:
    """The hazard installations' online monitoring (危险化学品重大危险源在线监测): four devices on
    each watched installation of a registered enterprise (the installations hazard_sources lists)."""
    rng = ctx.rng_for("hazard_telemetry devices")
    installations = (
        ctx.world.objects.filter(
            (pl.col("kind") == "hazard_installation")
            & pl.col("owner_id").is_in(orgs["org_id"].implode())
        )
        .join(ctx.world.places.select("place_id", "lon", "lat"), on="place_id", how="left")
        .sort("object_id")
    )
    count = min(ctx.config.scale.monitored_installations, installations.height)
    watched = installations[np.sort(rng.choice(installations.height, count, replace=False))]
    kinds = telemetry.HAZARD_DEVICES
    per = len(kinds)
    n = watched.height * per
    device_type = pl.Series([kinds[i % per].name for i in range(n)])
    repeat = np.repeat(np.arange(watched.height), per)
    devices = pl.DataFrame(
        {
            "device_id": telemetry.device_ids("HZ", n),
            "device_type": device_type,
            "asset_id": watched["code"].to_numpy()[repeat],
            "asset_type": pl.Series(["hazard_installation"] * n),
            "asset_name": watched["name"].to_numpy()[repeat],
            "lon": jitter(rng, watched["lon"].to_numpy()[repeat]),
            "lat": jitter(rng, watched["lat"].to_numpy()[repeat]),
            "object_id": telemetry.device_ids("OHZ", n),
            "asset_object_id": watched["object_id"].to_numpy()[repeat],
        }
    )
    readings = telemetry.generate(
        ctx, "hazard", devices, kinds, guaranteed_faults=("offline", "flatline", "spike")
    )
    return telemetry.batch_of(
        ctx, readings, DEPARTMENT, TELEMETRY.feed, "hazard_device", "monitored_installation"
    )


def enterprises(ctx: Context, orgs: pl.DataFrame) -> Batch:
    rng = ctx.rng_for("enterprises")
    n = orgs.height
    day = registry_days(rng, ctx, n, initial_share=0.9)
    # The registry is the authority for names: fewer variants than other silos, but typos still happen.
    from pipelines.sample_city.noise import typos

    names, typo_mask = typos(orgs["name"], rng, ctx.config.noise.name_typo)
    address, address_noise = messy_addresses(orgs, rng, ctx, style="full")
    rows = pl.DataFrame(
        {
            "uscc": orgs["uscc"],
            "enterprise_name": names,
            "industry_code": orgs["industry_code"],
            "enterprise_type": orgs["kind"].replace_strict(KIND_LABELS, default="其他"),
            "legal_rep_name": orgs["rep_name"],
            "legal_rep_id_no": orgs["rep_id_number"],
            "address": address,
            "county_code": orgs["county_code"],
            "township_code": orgs["township_code"],
            "longitude": orgs["lon"],
            "latitude": orgs["lat"],
            "contact_phone": orgs["phone"],
            "employees": orgs["employees"],
            "registered_date": orgs["registered_date"],
            DAY: pl.Series(day).cast(pl.Date),
            "org_id": orgs["org_id"],
            "place_id": orgs["place_id"],
            "person_id": orgs["legal_rep_person_id"],
        }
    )
    rows = start_rows(rows, name_typo=typo_mask, **address_noise)
    return batch(
        rows,
        links(rows, "organisation", "org_id", "registered"),
        links(rows, "place", "place_id", "premises"),
        links(rows, "person", "person_id", "legal_representative"),
        drop=["org_id", "place_id", "person_id"],
    )


def hazard_sources(ctx: Context, orgs: pl.DataFrame) -> Batch:
    rng = ctx.rng_for("hazard_sources")
    holdings = ctx.world.hazard_holdings.join(
        ctx.world.objects.select(
            "object_id",
            "code",
            pl.col("name").alias("installation_name"),
            "owner_id",
            "exposed_people",
        ),
        on="object_id",
        how="left",
        maintain_order="left",
    ).join(orgs.rename({"org_id": "owner_id"}), on="owner_id", how="inner", maintain_order="left")
    n = holdings.height
    day = registry_days(rng, ctx, n, initial_share=0.95)
    names, name_noise = messy_names(holdings["name"], rng, ctx)
    rows = pl.DataFrame(
        {
            "hazard_source_code": holdings["code"],
            "uscc": holdings["uscc"],
            "enterprise_name": names,
            "installation_name": holdings["installation_name"],
            "chemical_name": holdings["chemical"],
            "cas_no": holdings["cas"],
            "quantity_t": holdings["quantity_t"],
            "critical_quantity_t": holdings["critical_quantity_t"],
            "exposed_people": holdings["exposed_people"],
            "county_code": holdings["county_code"],
            "longitude": holdings["lon"],
            "latitude": holdings["lat"],
            "record_date": pl.Series(day).cast(pl.Date),
            DAY: pl.Series(day).cast(pl.Date),
            "org_id": holdings["owner_id"],
            "object_id": holdings["object_id"],
            "place_id": holdings["place_id"],
            # A high-risk enterprise's holdings make its grade-1 source (the warning and the
            # dispatch loop's planted truth rest on it): no contract violation is planted in them.
            KEEP_VALID: holdings["high_risk"],
        }
    )
    rows = start_rows(rows, **name_noise)
    return batch(
        rows,
        links(rows, "organisation", "org_id", "operator"),
        links(rows, "object", "object_id", "installation"),
        links(rows, "place", "place_id", "installation_site"),
        drop=["org_id", "object_id", "place_id"],
    )


def hidden_hazards(ctx: Context, orgs: pl.DataFrame) -> Batch:
    rng = ctx.rng_for("hidden_hazards")
    events = schedule(rng, ctx, ctx.config.scale.hidden_hazards, ctx.config.noise.late_arrival)
    n = events.height
    high_risk = orgs["high_risk"].to_numpy()
    weights = np.where(high_risk, 25.0, np.where(orgs["kind"].to_numpy() == "chemical", 3.0, 1.0))
    chosen = rng.choice(orgs.height, n, p=weights / weights.sum())
    # Each high-risk enterprise gets two findings early in the window, so they are overdue by its end.
    at_risk = np.flatnonzero(high_risk)
    early = np.flatnonzero(
        events["event_time"].to_numpy() < np.datetime64(ctx.days[len(ctx.days) // 3])
    )[: 2 * len(at_risk)]
    chosen[early] = np.tile(at_risk, 2)[: len(early)]
    units = orgs[chosen]
    unit_risk = units["high_risk"].to_numpy()
    # High-risk enterprises' findings are major, short-deadline and left unrectified: overdue by the end.
    major = (rng.random(n) < 0.1) | unit_risk
    found = events["event_time"].dt.date()
    deadline_days = np.where(unit_risk, rng.integers(2, 5, n), rng.integers(10, 61, n))
    deadline = found + pl.Series(deadline_days * 86_400_000).cast(pl.Duration("ms"))
    rectified = (rng.random(n) < 0.6) & ~unit_risk
    rectified_on = found + pl.Series(rng.integers(1, 30, n) * 86_400_000).cast(pl.Duration("ms"))
    names, name_noise = messy_names(units["name"], rng, ctx)
    rows = pl.DataFrame(
        {
            "hazard_id": sequence_ids("YH", found),
            "uscc": units["uscc"],
            "enterprise_name": names,
            "found_date": found,
            "hazard_level": pl.Series(np.where(major, "重大", "一般")),
            "description": pl.Series(
                np.array(HIDDEN_HAZARDS)[rng.integers(0, len(HIDDEN_HAZARDS), n)]
            ),
            "rectify_deadline": deadline,
            "status": pl.Series(np.where(rectified, "已整改", "整改中")),
            "rectified_date": where_or_null(rectified, rectified_on),
            "county_code": units["county_code"],
            DAY: events[DAY],
            "org_id": units["org_id"],
            # A high-risk enterprise's overdue findings are planted truth: never broken.
            KEEP_VALID: pl.Series(unit_risk),
        }
    )
    rows = start_rows(rows, **name_noise, late_arrival=events["late"].to_numpy())
    return batch(rows, links(rows, "organisation", "org_id", "responsible_unit"), drop=["org_id"])


def work_accidents(ctx: Context, orgs: pl.DataFrame) -> Batch:
    rng = ctx.rng_for("work_accidents")
    events = schedule(rng, ctx, ctx.config.scale.work_accidents, ctx.config.noise.late_arrival)
    n = events.height
    weights = np.where(orgs["high_risk"].to_numpy(), 10.0, 1.0)
    units = orgs[rng.choice(orgs.height, n, p=weights / weights.sum())]
    victims = ctx.world.persons[rng.integers(0, ctx.world.persons.height, n)]
    names, name_noise = messy_names(units["name"], rng, ctx)
    address, address_noise = messy_addresses(units, rng, ctx, style="full")
    deaths = np.where(rng.random(n) < 0.15, rng.integers(1, 3, n), 0)
    rows = pl.DataFrame(
        {
            "accident_id": sequence_ids("GM", events["event_time"].dt.date()),
            "occur_time": events["event_time"],
            "uscc": units["uscc"],
            "enterprise_name": names,
            "accident_type": pl.Series(
                np.array(WORK_ACCIDENT_TYPES)[rng.integers(0, len(WORK_ACCIDENT_TYPES), n)]
            ),
            "deaths": pl.Series(deaths),
            "serious_injuries": pl.Series(rng.poisson(0.4, n)),
            "minor_injuries": pl.Series(rng.poisson(1.0, n)),
            "direct_loss_10k_yuan": pl.Series(np.round(rng.lognormal(1.5, 1.0, n), 1)),
            "victim_name": victims["name"],
            "victim_id_no": victims["id_number"],
            "address": address,
            "county_code": units["county_code"],
            "township_code": units["township_code"],
            "longitude": units["lon"],
            "latitude": units["lat"],
            DAY: events[DAY],
            "org_id": units["org_id"],
            "place_id": units["place_id"],
            "person_id": victims["person_id"],
        }
    )
    rows = start_rows(rows, **name_noise, **address_noise, late_arrival=events["late"].to_numpy())
    return batch(
        rows,
        links(rows, "organisation", "org_id", "responsible_unit"),
        links(rows, "place", "place_id", "accident_site"),
        links(rows, "person", "person_id", "victim"),
        drop=["org_id", "place_id", "person_id"],
    )
