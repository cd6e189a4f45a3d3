"""The sample city's files: where they are, what they hold, and that a seed fixes them."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from pipelines.cli import SCALE_NAMES
from pipelines.sample_city.config import SCALES, CityConfig
from pipelines.sample_city.generate import generate_city

FEEDS = {
    "market_regulation": [
        "food_business_licences",
        "food_inspections",
        "food_sampling",
        "handling_feedback",
    ],
    "traffic_police": ["traffic_accidents", "traffic_flow", "handling_feedback"],
    "fire_rescue": [
        "fire_incidents",
        "fire_inspections",
        "handling_feedback",
        "fire_stations",
        "fire_apparatus",
        "water_sources",
    ],
    "emergency_management": [
        "enterprises",
        "hazard_sources",
        "hidden_hazards",
        "work_accidents",
        "handling_feedback",
        "sensor_telemetry",
        "emergency_shelters",
        "supply_depots",
        "rescue_teams",
        "experts",
    ],
    "ecology_environment": [
        "monitoring_stations",
        "air_quality_hourly",
        "pollution_sources",
        "emission_exceedances",
        "handling_feedback",
    ],
    "command_centre": ["instructions", "supervision_notices"],
    "meteorology": ["weather_warnings", "weather_observations"],
    "water": ["water_levels", "waterlogging_points"],
    "natural_resources": ["geohazard_points", "geohazard_incidents"],
    "housing_construction": ["sensor_telemetry"],
    "public_security": ["police_alarms", "standard_addresses"],
    "health": ["ambulance_dispatches", "hospital_beds"],
    "citizen_hotline": ["hotline_reports"],
}
FORMATS = {
    "traffic_accidents": ".jsonl",
    "fire_incidents": ".xlsx",
    "supervision_notices": ".jsonl",
    "emergency_management/handling_feedback": ".jsonl",
    "weather_warnings": ".jsonl",
    "waterlogging_points": ".xlsx",
    "sensor_telemetry": ".jsonl",
    "ambulance_dispatches": ".xlsx",
    "hospital_beds": ".jsonl",
    "hotline_reports": ".jsonl",
}
# Feeds whose records name no person, organisation, place or object: a county's weather warning.
UNLINKED_FEEDS = {"weather_warnings"}


def digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def has_rows(path: Path) -> bool:
    """A delivery with records (a workbook's header alone is some kilobytes of zip)."""
    if path.suffix == ".xlsx":
        import fastexcel

        book = fastexcel.read_excel(path)
        return book.load_sheet(book.sheet_names[0]).height > 0
    return path.stat().st_size > 2_000


def test_same_seed_gives_byte_identical_files_and_another_seed_differs(tiny_city, tmp_path):
    again = tmp_path / "again"
    other = tmp_path / "other"
    generate_city(again, scale="tiny", seed=42)
    generate_city(other, scale="tiny", seed=43)
    first, second, third = digest(tiny_city), digest(again), digest(other)
    assert len(first) > 100
    assert first == second
    # Header-only deliveries of quiet days may coincide; every file with real content differs.
    with_content = [n for n in first if n.startswith("landing/") and has_rows(tiny_city / n)]
    assert len(with_content) > 40
    assert [n for n in with_content if third.get(n) == first[n]] == []


def test_every_feed_delivers_one_file_per_day_in_its_own_format(city):
    days = city.manifest["scale"]["days"]
    start = date.fromisoformat(city.manifest["start"])
    expected_days = {(start + timedelta(days=i)).strftime("%Y%m%d") for i in range(days)}
    for department, feeds in FEEDS.items():
        for feed in feeds:
            files = city.files(department, feed)
            assert files, f"{department}/{feed} delivered nothing"
            suffix = FORMATS.get(f"{department}/{feed}", FORMATS.get(feed, ".csv"))
            assert {p.suffix for p in files} == {suffix}
            delivered_days = {p.stem.removeprefix(f"{feed}_") for p in files}
            assert delivered_days <= expected_days
            if feed not in (
                "monitoring_stations",
                "pollution_sources",
                "hazard_sources",
                "food_business_licences",
                "enterprises",
                # the resource registers: whole on the first day, then changes when there are some
                "fire_stations",
                "fire_apparatus",
                "water_sources",
                "emergency_shelters",
                "supply_depots",
                "rescue_teams",
                "experts",
            ):
                assert delivered_days == expected_days, f"{feed} misses days"


def test_encodings_are_each_departments_own(city):
    licences = city.files("market_regulation", "food_business_licences")[0].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        licences.decode("utf-8")
    assert licences.decode("gb18030").startswith("许可证编号")
    assert licences[:2] != b"\xef\xbb"
    inspections = city.files("fire_rescue", "fire_inspections")[0].read_bytes()
    assert inspections.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    enterprises = city.files("emergency_management", "enterprises")[0].read_bytes()
    assert not enterprises.startswith(b"\xef\xbb\xbf")
    assert enterprises.decode("utf-8").startswith("uscc,")
    water = city.files("fire_rescue", "water_sources")[0].read_bytes()
    # the older survey system's GBK (its first file's columns may have drifted: any order)
    assert "水源编号" in water.decode("gb18030").splitlines()[0].split(",")


def test_manifest_counts_match_the_files_and_the_truth(city):
    rows = city.manifest["rows"]
    assert set(rows) == {f"{d}/{f}" for d, feeds in FEEDS.items() for f in feeds}
    records = city.records()
    per_feed = records.group_by("department", "feed").len()
    for department, feed, count in per_feed.iter_rows():
        delivered = city.feed(department, feed).height
        assert delivered == count == rows[f"{department}/{feed}"]
    assert city.manifest["total_rows"] == records.height


def test_tiny_is_about_twenty_thousand_rows_and_scales_grow(city):
    assert 16_000 <= city.manifest["total_rows"] <= 24_000  # a third of it the day of telemetry
    small, large = SCALES["small"], SCALES["large"]
    # Expected rows are dominated by detector counts (288 per detector-day): a cheap check of the knobs.
    assert 0.8e6 <= small.detectors * 288 * small.days + small.stations * 24 * small.days <= 1.1e6
    assert large.detectors * 288 * large.days >= 19e6
    detector_rows = [scale.detectors * 288 * scale.days for scale in SCALES.values()]
    assert detector_rows == sorted(detector_rows)  # in order of size
    assert tuple(SCALES) == SCALE_NAMES  # the command line offers each of them


def test_no_scale_delivers_a_day_after_the_largest_window_ends() -> None:
    """A day after today is a future delivery, which the pipeline leaves alone: every scale's
    window ends by 2026-11-29, a longer one starting earlier to fit."""
    last_days = {
        name: CityConfig.for_scale(name).start + timedelta(days=scale.days - 1)
        for name, scale in SCALES.items()
    }
    assert max(last_days.values()) == date(2026, 11, 29), last_days
    assert CityConfig.for_scale("xlarge").start == date(2026, 9, 1)
    assert CityConfig.for_scale("tiny").start == date(2026, 10, 1)
    assert CityConfig.for_scale("small", days=120).start == date(2026, 8, 2)


def test_ground_truth_is_apart_from_landing(city):
    assert not list((city.root / "landing").rglob("*.parquet"))
    assert {p.name for p in city.truth.iterdir()} >= {
        "persons.parquet",
        "organisations.parquet",
        "places.parquet",
        "objects.parquet",
        "high_risk.parquet",
        "records",
        "links",
        "manifest.json",
        "drift.json",
    }


def test_every_record_links_to_entities_that_exist(city):
    links = city.links()
    known = {
        "person": set(city.table("persons")["person_id"]),
        "organisation": set(city.table("organisations")["org_id"]),
        "place": set(city.table("places")["place_id"]),
        "object": set(city.table("objects")["object_id"]),
        # An incident is its owner's record (a fire, a crash); 110, 120 and 12345 report it.
        "incident": set(
            links.filter(
                (pl.col("entity_kind") == "incident")
                & pl.col("feed").is_in(["fire_incidents", "traffic_accidents"])
            )["entity_id"]
        ),
    }
    for kind, ids in links.group_by("entity_kind"):
        assert set(ids["entity_id"]) <= known[kind[0]], f"unknown {kind[0]} in links"
    linked_rows = links.select("file", "row_number").unique().height
    # Every delivered row describes something real, but the dispatch loop's notices and
    # handling reports, which are about instructions, not entities, and a county's weather
    # warnings.
    records = city.records()
    about_instructions = (pl.col("feed") == "handling_feedback") | (
        pl.col("feed") == "supervision_notices"
    )
    assert links.filter(about_instructions).height == 0
    assert (
        linked_rows
        == records.filter(~about_instructions & ~pl.col("feed").is_in(UNLINKED_FEEDS)).height
    )


def test_natural_keys_are_unique_except_planted_duplicates(city):
    # A register row the lake rejects is sent again corrected (resent_corrected): its key is
    # then delivered once valid, beside the invalid row it corrects.
    records = city.records().filter(
        pl.col("record_key").is_not_null()
        & (pl.col("invalid_rule").fill_null("") != "duplicate_key")
    )
    corrected = records.filter(pl.col("noise").list.contains("resent_corrected"))
    assert corrected.height > 0  # the station and shelter registers' corrections
    broken = records.filter(pl.col("invalid_rule").is_not_null())
    assert corrected.join(broken, on=["department", "feed", "record_key"], how="anti").height == 0
    records = records.join(
        corrected.select("department", "feed", "record_key"),
        on=["department", "feed", "record_key"],
        how="anti",
    ).vstack(corrected.select(records.columns))
    repeated = records.group_by("department", "feed", "record_key").len().filter(pl.col("len") > 1)
    assert repeated.height == 0, repeated.head()


def test_licence_numbers_follow_the_pattern_unless_planted(city):
    licences = city.with_truth("market_regulation", "food_business_licences")
    broken = (pl.col("invalid_rule") == "pattern_mismatch").fill_null(False)
    assert licences.filter(~broken)["许可证编号"].str.contains(r"^JY\d{14}$").all()
    assert not licences.filter(broken)["许可证编号"].str.contains(r"^JY\d{14}$").any()
