"""The README's SQL cookbook, run on the tiny city's analytics copy, checked against ground_truth/."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.lib.standards.coordinates import haversine_m
from pipelines.lib.standards.identifiers import mask_identity_number

COOKBOOK = Path("dbt_project/analyses/cookbook")


def query(analytics, name: str) -> pl.DataFrame:
    return analytics.execute((COOKBOOK / name).read_text(encoding="utf-8")).pl()


@pytest.fixture(scope="module")
def truth(built_city):
    root = built_city / "ground_truth"

    def records_with_links(feed: str) -> pl.DataFrame:
        records = pl.read_parquet(str(root / "records" / "*" / feed / "*.parquet")).filter(
            pl.col("invalid_rule").is_null()
        )
        links = pl.read_parquet(str(root / "links" / "*" / feed / "*.parquet"))
        return records.join(links, on=["department", "feed", "file", "row_number"])

    return records_with_links, root


def bronze(built_city: Path, department: str, feed: str) -> pl.DataFrame:
    return pl.read_parquet(
        str(built_city / "lake" / "bronze" / department / feed / "date=*" / "*.parquet")
    )


def true_organisations_of(analytics, truth, organisation_keys: list[str]) -> set[str]:
    """The real organisations behind warehouse keys: through xref to source records, then to the truth.

    By role and slot: a fire incident names the unit on fire and the stations sent to it.
    """
    records_with_links, _ = truth
    xref = (
        analytics.execute(
            "SELECT source_feed, source_record_id, role, slot, entity_key FROM xref_source_record WHERE entity_kind = 'organisation'"
        )
        .pl()
        .filter(pl.col("entity_key").is_in(organisation_keys))
    )
    found = set()
    for feed in xref["source_feed"].unique():
        links = records_with_links(feed).filter(pl.col("entity_kind") == "organisation")
        keys = links.with_columns(
            (pl.lit(f"{feed}:") + pl.col("record_key")).alias("source_record_id")
        )
        found |= set(
            keys.with_columns(pl.col("slot").cast(pl.Int64)).join(
                xref.with_columns(pl.col("slot").cast(pl.Int64)),
                on=["source_record_id", "role", "slot"],
            )["entity_id"]
        )
    return found


def test_organisations_with_failed_food_inspection_and_open_fire_hazard(
    built_city, analytics, truth
):
    records_with_links, _ = truth
    food = bronze(built_city, "market_regulation", "food_inspections").filter(
        pl.col("result") == "不符合"
    )
    fire = bronze(built_city, "fire_rescue", "fire_inspections").filter(
        (pl.col("result") == "发现隐患") & pl.col("rectified_date").is_null()
    )

    def true_orgs(feed: str, rows: pl.DataFrame, role: str) -> set[str]:
        links = records_with_links(feed).filter(pl.col("role") == role)
        return set(
            links.join(
                rows, left_on=["file", "row_number"], right_on=["_source_file", "_source_row"]
            )["entity_id"]
        )

    expected = true_orgs("food_inspections", food, "inspected") & true_orgs(
        "fire_inspections", fire, "inspected"
    )
    result = query(analytics, "1_failed_food_inspection_and_open_fire_hazard.sql")
    assert expected, "the tiny city plants such an organisation"
    assert true_organisations_of(analytics, truth, result["organisation_key"].to_list()) == expected


def test_accidents_near_hazard_sources(built_city, analytics, truth):
    _, root = truth
    places = pl.read_parquet(root / "places.parquet")
    installations = (
        pl.read_parquet(root / "objects.parquet")
        .filter(pl.col("kind") == "hazard_installation")
        .join(places, on="place_id")
    )
    accidents = bronze(built_city, "traffic_police", "traffic_accidents")
    last = accidents["occurred_at"].max()
    recent = accidents.filter(pl.col("occurred_at") >= last - pl.duration(days=30))
    # Distances from the true (WGS-84) points of every accident and installation.
    links = pl.read_parquet(
        str(root / "links" / "traffic_police" / "traffic_accidents" / "*.parquet")
    ).filter(pl.col("role") == "accident_site")
    sites = recent.join(
        links, left_on=["_source_file", "_source_row"], right_on=["file", "row_number"]
    ).join(places, left_on="entity_id", right_on="place_id")
    pairs = sites.join(installations.select("lon", "lat"), how="cross", suffix="_i")
    near = pairs.filter(
        pl.Series(haversine_m(pairs["lon"], pairs["lat"], pairs["lon_i"], pairs["lat_i"]) <= 500)
    )
    expected = {f"traffic_accidents:{key}" for key in near["accident_id"]}
    result = query(analytics, "2_accidents_near_hazard_sources.sql")
    found = set(
        analytics.execute(
            "SELECT source_record_id FROM fct_event WHERE event_key IN (SELECT unnest(?))",
            [result["event_key"].to_list()],
        ).pl()["source_record_id"]
    )
    assert expected, "the tiny city plants accidents at chemical plants"
    assert found == expected
    assert (result["distance_m"] <= 500).all()


def test_counties_ranked_by_events_per_thousand_enterprises(built_city, analytics, truth):
    _, root = truth
    result = query(analytics, "3_counties_by_events_per_1000_enterprises.sql")
    enterprises = bronze(built_city, "emergency_management", "enterprises")
    # Enterprises per county: the registry's own rows, by their true place's county.
    places = pl.read_parquet(root / "places.parquet")
    links = pl.read_parquet(
        str(root / "links" / "emergency_management" / "enterprises" / "*.parquet")
    ).filter(pl.col("role") == "premises")
    per_county = (
        enterprises.join(
            links, left_on=["_source_file", "_source_row"], right_on=["file", "row_number"]
        )
        .join(places, left_on="entity_id", right_on="place_id")
        .group_by("county_code")
        .len("enterprises")
    )
    got = result.select("county_code", "enterprises").sort("county_code")
    assert got.equals(
        per_county.cast({"enterprises": pl.Int64})
        .sort("county_code")
        .filter(pl.col("county_code").is_in(got["county_code"].implode()))
    )
    events = dict(
        analytics.execute("SELECT county_code, count(*) FROM fct_event GROUP BY 1").fetchall()
    )
    for county, count in result.select("county_code", "events").iter_rows():
        assert events[county] == count
    rates = result["events_per_1000_enterprises"].to_list()
    assert rates == sorted(rates, reverse=True)


def test_legal_representatives_who_were_drivers(built_city, analytics, truth):
    records_with_links, root = truth
    persons = pl.read_parquet(root / "persons.parquet")
    # Registered with emergency management (full number) or licensed by market regulation
    # (masked number: linkage joins them to the person seen with a full number).
    representatives = {
        person
        for feed in ("enterprises", "food_business_licences")
        for person in records_with_links(feed).filter(pl.col("role") == "legal_representative")[
            "entity_id"
        ]
    }
    drivers = set(
        records_with_links("traffic_accidents").filter(pl.col("role") == "driver")["entity_id"]
    )
    both = persons.filter(pl.col("person_id").is_in(list(representatives & drivers)))
    expected = set(
        zip(mask_identity_number(both["id_number"].to_numpy()), both["name"], strict=True)
    )
    result = query(analytics, "4_legal_representatives_who_were_drivers.sql")
    assert expected, "the tiny city plants drivers who represent enterprises"
    assert set(zip(result["id_number_masked"], result["name"], strict=True)) == expected


def test_chemical_enterprises_with_overdue_major_hazard_and_recent_fire(analytics, truth):
    _, root = truth
    planted = pl.read_parquet(root / "high_risk.parquet").filter(
        pl.col("reasons").str.starts_with("grade-1")
    )
    organisations = pl.read_parquet(root / "organisations.parquet").filter(
        pl.col("org_id").is_in(planted["entity_id"].implode())
    )
    result = query(analytics, "5_chemical_enterprises_with_overdue_major_hazard_and_fire.sql")
    assert set(result["uscc"]) == set(organisations["uscc"])
    assert (result["overdue_major_hazards"] >= 1).all() and (result["recent_fires"] >= 1).all()


def test_the_readme_shows_every_cookbook_query():
    readme = Path("README.md").read_text(encoding="utf-8")
    for path in sorted(COOKBOOK.glob("*.sql")):
        assert path.read_text(encoding="utf-8").strip() in readme, path.name
