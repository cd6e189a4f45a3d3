"""Natural hazards in the warehouse, and the cross-department warning rules on them.

The sample city plants a red rainstorm (pipelines/sample_city/hazards.py) over the counties of
the first underpass, the first geological-hazard point and the river gauge beside the first
high-risk chemical plant; the trigger rules (seeds/config/warning_rule_triggers.csv) must warn
exactly those, and warning_accuracy must score every rule.
"""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from pipelines.lib.city_profile import load_city_profile
from pipelines.sample_city.hazards import PLANTED_STORM_DAY, UNDERPASS_TYPES

TRIGGERS = (
    Path(__file__).resolve().parents[2] / "dbt_project/seeds/config/warning_rule_triggers.csv"
)
NATURAL_TYPES = {"weather_warning", "heavy_rainfall", "water_level_exceedance"}
SLOPE_FAILURES = {"landslide", "debris_flow", "rockfall", "ground_collapse"}


@pytest.fixture(scope="module")
def truth(built_city):
    return lambda name: pl.read_parquet(built_city / "ground_truth" / f"{name}.parquet")


@pytest.fixture(scope="module")
def profile(built_city):
    return load_city_profile(built_city / "city.yaml")


@pytest.fixture(scope="module")
def planted_day(profile):
    return profile.first_delivery_day + timedelta(days=PLANTED_STORM_DAY)


def rows(connection, sql: str, *params) -> list[tuple]:
    return connection.execute(sql, list(params)).fetchall()


def test_natural_disasters_are_events_of_their_national_category(analytics):
    found = dict(
        rows(
            analytics,
            "select event_type, count(*) from fct_event where category = 'natural_disaster' group by all",
        )
    )
    assert set(found) >= NATURAL_TYPES, found
    assert set(found) & SLOPE_FAILURES, found
    departments = {
        d
        for (d,) in rows(
            analytics,
            "select distinct source_department from fct_event where category = 'natural_disaster'",
        )
    }
    # A citizen's report of a flooded road is one too (12345: waterlogging_report).
    assert departments == {"meteorology", "water", "natural_resources", "citizen_hotline"}


def test_rainstorm_days_are_the_city_s_days(analytics, truth, profile):
    """A station's heavy_rainfall day is a day of the city's calendar: its rain summed from
    local midnight, not from the UTC midnight the data service writes its hours in."""
    expected = truth("station_daily_rain")
    found = pl.DataFrame(
        rows(
            analytics,
            """select o.code, timezone(?, e.occurred_at)::date
            from fct_event as e join dim_object as o on o.place_key = e.place_key
            where e.event_type = 'heavy_rainfall' and o.kind = 'weather_station'""",
            profile.timezone,
        ),
        schema={"station_code": pl.String, "day": pl.Date},
        orient="row",
    )
    joined = found.join(expected, on=["station_code", "day"], how="left")
    # Every event is a day the truth says had a rainstorm (a quarantined hour may take a few mm off).
    assert joined.height > 0 and joined["rain_mm"].null_count() == 0
    assert (joined["rain_mm"] >= 45).all(), joined.filter(pl.col("rain_mm") < 45)
    # and every clear rainstorm day of the truth is an event
    clear = expected.filter(pl.col("rain_mm") >= 60).join(
        found, on=["station_code", "day"], how="anti"
    )
    assert clear.height == 0, clear


def warned(analytics, rule_id: str, kind: str, code: str) -> set:
    return {
        day
        for (day,) in rows(
            analytics,
            """select h.as_of_date from warning_history as h join dim_object as o on o.object_key = h.subject_key
            where h.rule_id = ? and o.kind = ? and o.code = ?""",
            rule_id,
            kind,
            code,
        )
    }


def test_red_rainstorm_warns_the_planted_underpass(analytics, truth, planted_day, profile):
    underpass = (
        truth("hazard_sites")
        .filter(
            (pl.col("kind") == "waterlogging_point") & pl.col("point_type").is_in(UNDERPASS_TYPES)
        )
        .row(0, named=True)
    )
    assert planted_day in warned(
        analytics, "red_rainstorm_waterlogging", "waterlogging_point", underpass["code"]
    )
    # Every point it warns is in a county with a red rainstorm warning issued within the rule's window.
    stray = rows(
        analytics,
        """select h.subject_key, h.as_of_date from warning_history as h
        join dim_object as o on o.object_key = h.subject_key join dim_place as p using (place_key)
        join warning_rule_triggers as r using (rule_id)
        where h.rule_id = 'red_rainstorm_waterlogging' and not exists (
            select 1 from fct_event as e where e.event_type = 'weather_warning' and e.description like '暴雨红色%'
            and e.county_code = p.county_code and e.delivery_date <= h.as_of_date
            and timezone(?, e.occurred_at)::date > h.as_of_date - r.window_days)""",
        profile.timezone,
    )
    assert stray == []


def test_rainfall_warns_the_planted_geohazard_point(analytics, truth, planted_day):
    point = truth("hazard_sites").filter(pl.col("kind") == "geohazard_point").row(0, named=True)
    assert planted_day in warned(
        analytics, "rainstorm_geohazard_point", "geohazard_point", point["code"]
    )


def test_river_over_its_warning_level_warns_the_chemical_plant_beside_it(
    analytics, truth, planted_day
):
    plant = truth("organisations").filter(pl.col("high_risk") & (pl.col("kind") == "chemical"))
    installations = truth("objects").filter(
        (pl.col("kind") == "hazard_installation") & (pl.col("owner_id") == plant["org_id"][0])
    )
    days = set().union(
        *(
            warned(analytics, "river_over_warning_chemical_plant", "hazard_installation", code)
            for code in installations["code"]
        )
    )
    assert planted_day in days
    # and no installation far from every gauge over its level is warned
    far = rows(
        analytics,
        """select count(*) from warning_history as h join dim_object as o on o.object_key = h.subject_key
        join dim_place as p using (place_key)
        where h.rule_id = 'river_over_warning_chemical_plant' and not exists (
            select 1 from fct_event as e join dim_place as g on g.place_key = e.place_key
            where e.event_type = 'water_level_exceedance' and e.delivery_date <= h.as_of_date
            and abs(g.latitude - p.latitude) < 0.03 and abs(g.longitude - p.longitude) < 0.04)""",
    )
    assert far == [(0,)]


def test_every_trigger_rule_is_scored_in_warning_accuracy(analytics):
    with TRIGGERS.open(encoding="utf-8") as f:
        configured = {row["rule_id"]: row for row in csv.DictReader(f)}
    assert len(configured) >= 3
    scored = {
        r[0]: r
        for r in rows(
            analytics,
            """select rule_id, days_scored, warned_subject_days, warned_with_event, warned_hit_rate,
            unwarned_subject_days, lift from warning_accuracy""",
        )
    }
    (window,) = rows(analytics, "select count(distinct delivery_date) from fct_event")[0]
    for rule_id, rule in configured.items():
        assert rule_id in scored, rule_id
        _, days, warned_days, _, hit_rate, unwarned, _ = scored[rule_id]
        if int(rule["follow_up_days"]) >= window:
            # No day of this city has the rule's whole follow-up behind it yet.
            assert days == 0, scored[rule_id]
            continue
        assert days > 0 and warned_days > 0 and unwarned > 0, scored[rule_id]
        assert hit_rate is not None
    # The planted underpass accident makes the red-rainstorm rule come true at least once.
    assert scored["red_rainstorm_waterlogging"][3] >= 1
    assert scored["rainstorm_geohazard_point"][3] >= 1


def test_trigger_rules_name_no_city(analytics):
    """Configuration, not one city: the rules name kinds of objects and events, never a place."""
    text = TRIGGERS.read_text(encoding="utf-8")
    names = [n for (n,) in rows(analytics, "select name from dim_admin_division") if n]
    codes = [c for (c,) in rows(analytics, "select division_code from dim_admin_division")]
    assert names and codes
    assert not [n for n in names if n in text]
    assert not [c for c in codes if c in text]


def test_repeated_complaints_warn_the_organisation_they_name(analytics, truth):
    """match named: the organisations citizens' 12345 complaints name, warned when three in the
    window do; the planted high-risk restaurants draw a share of the complaints."""
    rule = next(r for r in csv.DictReader(TRIGGERS.open(encoding="utf-8")) if r["match"] == "named")
    warned = rows(
        analytics,
        """select distinct o.name from warning_history as w
        join dim_organisation as o on o.organisation_key = w.subject_key
        where w.rule_id = ?""",
        rule["rule_id"],
    )
    assert warned, "no organisation was warned"
    high_risk = set(truth("organisations").filter(pl.col("high_risk"))["name"])
    assert {name for (name,) in warned} <= high_risk
    # Each warning rests on at least `threshold` complaints naming its organisation.
    evidence = rows(
        analytics,
        "select min(evidence) from warning_history where rule_id = ?",
        rule["rule_id"],
    )[0][0]
    assert evidence >= float(rule["threshold"])
