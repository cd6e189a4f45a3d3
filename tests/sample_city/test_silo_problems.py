"""The silo problems and cross-silo overlaps are present at their configured rates.

Rates are measured from ground_truth/ and compared with the configuration within
four binomial standard deviations: loose enough for a tiny city, tight enough to
catch a rate that is off by a factor.
"""

from __future__ import annotations

import math

import polars as pl

from pipelines.sample_city.config import Noise, Overlap

NOISE, OVERLAP = Noise(), Overlap()


def assert_rate(hits: int, total: int, expected: float, what: str) -> None:
    assert total > 0, f"no rows to measure {what} on"
    spread = 4 * math.sqrt(expected * (1 - expected) / total) + 1 / total
    measured = hits / total
    assert abs(measured - expected) <= spread, (
        f"{what}: {measured:.4f} measured, {expected} configured (n={total})"
    )


def share_with(records: pl.DataFrame, noise: str) -> tuple[int, int]:
    return int(records["noise"].list.contains(noise).sum()), records.height


def test_name_variants_and_typos(city):
    # Feeds that carry an organisation's name as its clerks type it (the registry has typos only).
    feeds = [
        ("market_regulation", "food_business_licences"),
        ("market_regulation", "food_inspections"),
        ("fire_rescue", "fire_inspections"),
        ("emergency_management", "hidden_hazards"),
        ("ecology_environment", "pollution_sources"),
    ]
    records = pl.concat([city.records(d, f) for d, f in feeds]).filter(
        pl.col("invalid_rule").fill_null("") != "duplicate_key"
    )
    assert_rate(*share_with(records, "name_variant"), NOISE.name_variant, "name variants")
    hits, total = share_with(records, "name_typo")
    assert 0 < hits <= total * NOISE.name_typo + 4 * math.sqrt(total * NOISE.name_typo)


def test_address_variants(city):
    records = pl.concat(
        [
            city.records("market_regulation", "food_business_licences"),
            city.records("fire_rescue", "fire_inspections"),
        ]
    )
    assert_rate(
        *share_with(records.filter(pl.col("invalid_rule").is_null()), "address_variant"),
        NOISE.address_variant,
        "address variants",
    )


def test_missing_credit_codes(city):
    records = city.records("market_regulation", "food_business_licences").filter(
        pl.col("invalid_rule").is_null()
    )
    assert_rate(*share_with(records, "missing_uscc"), NOISE.missing_uscc, "missing USCC")
    delivered = city.with_truth("market_regulation", "food_business_licences").filter(
        pl.col("invalid_rule").is_null()
    )
    flagged = delivered["noise"].list.contains("missing_uscc")
    assert (delivered.filter(flagged)["社会信用代码"].is_null()).all()
    assert (delivered.filter(~flagged)["社会信用代码"].is_not_null()).all()


def test_late_arrivals(city):
    records = pl.concat(
        [
            city.records("market_regulation", "food_inspections"),
            city.records("fire_rescue", "fire_inspections"),
            city.records("traffic_police", "traffic_accidents"),
            city.records("emergency_management", "hidden_hazards"),
        ]
    )
    records = records.filter(pl.col("invalid_rule").fill_null("") != "duplicate_key")
    assert_rate(*share_with(records, "late_arrival"), NOISE.late_arrival, "late arrivals")
    late = city.with_truth("market_regulation", "food_inspections").filter(
        pl.col("noise").list.contains("late_arrival")
    )
    for day_text, delivered in (
        late.filter(pl.col("invalid_rule").is_null())
        .select("检查日期", "delivery_date")
        .iter_rows()
    ):
        assert "2026" in day_text and delivered.strftime("%Y/%-m/%-d") != day_text


def test_mixed_date_formats_within_a_feed(city):
    dates = city.feed("market_regulation", "food_inspections")["检查日期"]
    styles = {
        "2026/10/3 style": dates.str.contains(r"^\d{4}/\d{1,2}/\d{1,2}$").sum(),
        "ISO": dates.str.contains(r"^\d{4}-\d{2}-\d{2}$").sum(),
        "Chinese": dates.str.contains("年").sum(),
    }
    assert all(count > 0 for count in styles.values()), styles
    assert styles["2026/10/3 style"] > dates.len() * 0.8


def test_invalid_rows_are_one_to_two_percent(city):
    records = city.records()
    invalid = records["invalid_rule"].is_not_null().sum()
    assert 0.01 <= invalid / records.height <= 0.025
    duplicates = records.filter(pl.col("invalid_rule") == "duplicate_key")
    assert_rate(duplicates.height, records.height, NOISE.duplicate, "duplicates")
    # A duplicate repeats a key already delivered, on the same day or later.
    keyed = records.filter(pl.col("record_key").is_not_null())
    repeated = keyed.filter(pl.col("record_key").is_in(duplicates["record_key"].implode()))
    for _, group in repeated.group_by("department", "feed", "record_key"):
        originals = group.filter(pl.col("invalid_rule").fill_null("") != "duplicate_key")
        copies = group.filter(pl.col("invalid_rule") == "duplicate_key")
        assert originals.height >= 1
        assert originals["delivery_date"].min() <= copies["delivery_date"].min()


def test_column_drift_now_and_then(city):
    import json

    files = len(list((city.root / "landing").rglob("*.*")))
    # Every feed delivers a file every day (a quiet day's is header-only).
    assert files == len(city.manifest["rows"]) * city.manifest["scale"]["days"]
    drifted = len(json.loads((city.truth / "drift.json").read_text(encoding="utf-8")))
    assert_rate(drifted, files, NOISE.column_drift_per_file, "drifted files")


def test_drifted_files_really_differ_from_the_feeds_usual_columns(city):
    import json

    drifted = {
        e["file"]: e["change"]
        for e in json.loads((city.truth / "drift.json").read_text(encoding="utf-8"))
    }
    assert drifted
    for file, change in drifted.items():
        path = city.root / file
        usual = next(
            p
            for p in city.files(path.parts[-3], path.parts[-2])
            if p.relative_to(city.root).as_posix() not in drifted and p.stat().st_size > 0
        )
        if path.stat().st_size > 0:
            assert city.read(path, raw=True).columns != city.read(usual, raw=True).columns, change


def test_restaurants_recur_across_food_and_fire_silos(city):
    orgs = city.table("organisations")
    restaurants = orgs.filter(pl.col("kind") == "restaurant")["org_id"]
    links = city.links()

    def share_in(department: str, feed: str) -> int:
        seen = links.filter((pl.col("department") == department) & (pl.col("feed") == feed))[
            "entity_id"
        ]
        return restaurants.is_in(seen.implode()).sum()

    assert share_in("market_regulation", "food_business_licences") == restaurants.len()
    assert_rate(
        share_in("fire_rescue", "fire_inspections"),
        restaurants.len(),
        OVERLAP.restaurant_fire_inspected,
        "restaurants inspected by fire",
    )
    assert_rate(
        share_in("emergency_management", "enterprises"),
        restaurants.len(),
        OVERLAP.restaurant_em_registered,
        "restaurants in the EM registry",
    )


def test_chemical_plants_recur_in_four_silos(city):
    orgs = city.table("organisations")
    links = city.links().filter(pl.col("entity_kind") == "organisation")
    chemical = orgs.filter((pl.col("kind") == "chemical") & ~pl.col("high_risk"))["org_id"]
    polluters = links.filter(pl.col("feed") == "pollution_sources")["entity_id"]
    assert_rate(
        chemical.is_in(polluters.implode()).sum(),
        chemical.len(),
        OVERLAP.chemical_polluter,
        "chemical plants with a discharge permit",
    )
    everywhere = set(orgs.filter(pl.col("kind") == "chemical")["org_id"])
    for feed in ["enterprises", "hazard_sources", "pollution_sources", "fire_incidents"]:
        everywhere &= set(links.filter(pl.col("feed") == feed)["entity_id"])
    assert everywhere, (
        "no chemical plant appears in enterprises, hazard sources, pollution sources and a fire"
    )


def test_fires_at_known_organisations(city):
    links = city.links("fire_rescue", "fire_incidents")
    incidents = city.records("fire_rescue", "fire_incidents").height
    at_org = (
        links.filter(pl.col("role") == "involved_unit").select("file", "row_number").unique().height
    )
    assert_rate(at_org, incidents, OVERLAP.fire_at_organisation, "fires at organisations")


def test_drivers_who_represent_organisations(city):
    reps = city.table("organisations")["legal_rep_person_id"].unique()
    drivers = city.links("traffic_police", "traffic_accidents").filter(pl.col("role") == "driver")
    assert_rate(
        drivers["entity_id"].is_in(reps.implode()).sum(),
        drivers.height,
        OVERLAP.driver_is_legal_rep,
        "drivers who are legal representatives",
    )
    # ... and the same person appears as legal representative in another silo.
    represented = city.links().filter(pl.col("role") == "legal_representative")["entity_id"]
    assert drivers["entity_id"].is_in(represented.implode()).any()


def test_company_vehicles_and_accident_black_spots(city):
    vehicles = city.table("objects").filter(pl.col("kind") == "vehicle")
    assert_rate(
        (vehicles["owner_kind"] == "organisation").sum(),
        vehicles.height,
        OVERLAP.company_vehicle,
        "company vehicles",
    )
    sites = city.links("traffic_police", "traffic_accidents").filter(
        pl.col("role") == "accident_site"
    )
    spots = city.table("high_risk").filter(pl.col("entity_kind") == "place")["entity_id"]
    assert_rate(
        sites["entity_id"].is_in(spots.implode()).sum(),
        sites.height,
        OVERLAP.accident_at_hotspot,
        "accidents at black spots",
    )
    assert (
        sites.group_by("entity_id").len()["len"].max() >= 3
    )  # incidents cluster at the same address
    plants = city.table("organisations").filter(pl.col("kind") == "chemical")["place_id"]
    at_plants = sites["entity_id"].is_in(plants.implode()).sum()
    expected = OVERLAP.accident_at_hazard_site * (1 - OVERLAP.accident_at_hotspot)
    assert_rate(at_plants, sites.height, expected, "accidents at chemical plants")


def test_planted_high_risk_enterprises_have_what_the_risk_marts_should_find(city):
    high_risk = city.table("high_risk").filter(pl.col("entity_kind") == "organisation")
    orgs = city.table("organisations").filter(
        pl.col("org_id").is_in(high_risk["entity_id"].implode())
    )
    chemical = orgs.filter(pl.col("kind") == "chemical")["org_id"]
    assert chemical.len() >= 1
    links = city.links().filter(pl.col("entity_kind") == "organisation")
    hidden = city.with_truth("emergency_management", "hidden_hazards").join(
        links.filter(pl.col("feed") == "hidden_hazards"), on=["file", "row_number"]
    )
    end = city.manifest["end"]
    fires = links.filter(
        (pl.col("feed") == "fire_incidents") & (pl.col("role") == "involved_unit")
    )["entity_id"]
    holdings = city.table("hazard_holdings").join(city.table("objects"), on="object_id")
    for org_id in chemical:
        overdue = hidden.filter(
            (pl.col("entity_id") == org_id)
            & (pl.col("hazard_level") == "重大")
            & (pl.col("status") == "整改中")
            & (pl.col("rectify_deadline").str.replace_all(r"\D", "") < end.replace("-", ""))
        )
        assert overdue.height >= 1, f"{org_id} has no overdue major hidden hazard"
        assert org_id in set(fires), f"{org_id} had no fire"
        own = holdings.filter(pl.col("owner_id") == org_id)
        ratio = own.group_by("object_id").agg(
            (pl.col("beta") * pl.col("quantity_t") / pl.col("critical_quantity_t"))
            .sum()
            .alias("weighted"),
            pl.col("exposed_people").first(),
        )
        # alpha is 2.0 for 100 or more exposed people: R = 2 * sum(beta q / Q) >= 100 is grade 1.
        assert (ratio.filter(pl.col("exposed_people") >= 100)["weighted"] * 2 >= 100).any()
