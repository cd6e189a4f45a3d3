"""Knobs of the sample city: how big it is and how messy its silos are.

Counts are per city (registries) or per delivery day (events). Noise rates are
fractions of the rows a noise can apply to; the tests measure each one back
from `ground_truth/`, so changing a rate here changes what the tests expect.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from pipelines.lib.city_profile import Bounds
from pipelines.sample_city.city_map import CityMap, city_map
from pipelines.sample_city.resources import Coverage

# The first delivery day: fixed, so output never depends on today.
FIRST_DAY = date(2026, 10, 1)
# The last day a sample delivers, at the latest: a longer window starts before FIRST_DAY rather
# than run into days still to come, whose deliveries the pipeline leaves alone (xlarge's 90 days
# start on 2026-09-01).
LAST_DAY = date(2026, 11, 29)


@dataclass(frozen=True)
class Noise:
    """Silo problems, each at a configurable rate."""

    name_variant: float = 0.30  # legal-form, bracket, spacing, city-prefix variants
    name_typo: float = 0.03  # one character replaced by a look-alike
    address_variant: float = 0.50  # city/district dropped, numerals, full-width digits
    missing_uscc: float = 0.20  # optional credit code left empty
    mixed_date_format: float = 0.10  # a row's date in another of the department's formats
    late_arrival: float = 0.03  # delivered days after the event
    duplicate: float = 0.005  # a row delivered again (same key), quarantinable
    invalid: float = 0.010  # a planted rule violation (check digit, code, range, ...)
    column_drift_per_file: float = 0.03  # a daily file with a renamed, added or moved column


@dataclass(frozen=True)
class Overlap:
    """How the same real entities recur across silos."""

    restaurant_fire_inspected: float = 0.50  # restaurants also inspected by fire_rescue
    restaurant_em_registered: float = 0.30  # restaurants also in the enterprise registry
    chemical_polluter: float = 0.60  # chemical enterprises also holding a discharge permit
    fire_at_organisation: float = 0.40  # fires at a known organisation's premises
    driver_is_legal_rep: float = 0.10  # accident drivers who represent an organisation
    company_vehicle: float = 0.15  # accident vehicles owned by an organisation
    accident_at_hotspot: float = 0.30  # accidents at a recurring black spot
    accident_at_hazard_site: float = (
        0.05  # accidents at a chemical plant's gate (trucks in and out)
    )
    # One incident, several reports: the fires and crashes also reported to 110, to 120 (of
    # those with someone hurt) and to the 12345 hotline.
    incident_to_110: float = 0.30
    incident_to_120: float = 0.30
    incident_to_12345: float = 0.04


@dataclass(frozen=True)
class Scale:
    name: str
    days: int
    persons: int
    restaurants: int
    chain_brands: int
    enterprises: int
    public_units: int
    vehicles: int
    detectors: int
    stations: int
    high_risk_enterprises: int
    # events per delivery day
    food_inspections: int
    food_samples: int
    accidents: int
    fire_incidents: int
    fire_inspections: int
    hidden_hazards: int
    work_accidents: int
    exceedances: int
    # social-security and public-health calls: the 110 alarms and the 120 call-outs
    police_alarms: int = 6
    ambulance_dispatches: int = 5
    hotline_reports: int = 8
    flow_interval_minutes: int = 5
    instructions: int = 8  # the command centre's instructions on reported incidents
    # natural hazards: registers per city (weather stations per county), storms over the window
    weather_stations_per_county: int = 1
    hydrological_stations: int = 6
    waterlogging_points: int = 20
    geohazard_points: int = 25
    storms: int = 2
    # IoT telemetry (5-minute pushes) over the last telemetry_days of the window: hazard
    # installations watched (four devices each) and lifeline assets (gas pipelines, manholes, bridges)
    telemetry_days: int = 2
    monitored_installations: int = 2
    lifeline_assets: int = 3
    # The lifeline assets of a city-wide telemetry day for throughput (telemetry_day.py): a
    # hundred thousand on large pushes over 50 million readings a day.
    fleet_assets: int = 500
    congestions_per_detector_day: float = 0.05  # non-recurrent congestion planted in traffic_flow


SCALES: dict[str, Scale] = {
    "tiny": Scale(
        name="tiny",
        days=7,
        persons=800,
        restaurants=90,
        chain_brands=5,
        enterprises=70,
        public_units=15,
        vehicles=300,
        detectors=4,
        stations=4,
        high_risk_enterprises=2,
        food_inspections=15,
        food_samples=8,
        accidents=8,
        fire_incidents=3,
        fire_inspections=25,
        hidden_hazards=8,
        work_accidents=2,
        exceedances=6,
        weather_stations_per_county=1,
        hydrological_stations=6,
        waterlogging_points=20,
        geohazard_points=25,
        storms=2,
    ),
    "small": Scale(
        name="small",
        days=30,
        persons=40_000,
        restaurants=6_000,
        chain_brands=60,
        enterprises=4_000,
        public_units=800,
        vehicles=20_000,
        detectors=103,
        stations=40,
        high_risk_enterprises=10,
        food_inspections=600,
        food_samples=200,
        accidents=300,
        fire_incidents=40,
        fire_inspections=500,
        hidden_hazards=200,
        work_accidents=10,
        exceedances=150,
        police_alarms=60,
        ambulance_dispatches=50,
        hotline_reports=80,
        instructions=40,
        weather_stations_per_county=2,
        hydrological_stations=30,
        waterlogging_points=300,
        geohazard_points=400,
        storms=6,
        telemetry_days=3,
        monitored_installations=40,
        lifeline_assets=100,
        fleet_assets=10_000,
    ),
    "medium": Scale(  # about 5 million rows: a point of the cost curve between small and large
        name="medium",
        days=45,
        persons=120_000,
        restaurants=18_000,
        chain_brands=120,
        enterprises=12_000,
        public_units=2_400,
        vehicles=60_000,
        detectors=300,
        stations=80,
        high_risk_enterprises=20,
        food_inspections=1_500,
        food_samples=600,
        accidents=800,
        fire_incidents=100,
        fire_inspections=1_300,
        hidden_hazards=600,
        work_accidents=25,
        exceedances=450,
        police_alarms=150,
        ambulance_dispatches=120,
        hotline_reports=200,
        instructions=80,
        weather_stations_per_county=3,
        hydrological_stations=50,
        waterlogging_points=700,
        geohazard_points=900,
        storms=9,
        telemetry_days=3,
        monitored_installations=100,
        lifeline_assets=300,
        fleet_assets=30_000,
    ),
    "large": Scale(
        name="large",
        days=60,
        persons=400_000,
        restaurants=60_000,
        chain_brands=300,
        enterprises=40_000,
        public_units=8_000,
        vehicles=200_000,
        detectors=1_100,
        stations=150,
        high_risk_enterprises=50,
        food_inspections=5_000,
        food_samples=2_000,
        accidents=2_000,
        fire_incidents=300,
        fire_inspections=4_000,
        hidden_hazards=2_000,
        work_accidents=60,
        exceedances=1_500,
        police_alarms=300,
        ambulance_dispatches=250,
        hotline_reports=400,
        instructions=200,
        weather_stations_per_county=4,
        hydrological_stations=80,
        waterlogging_points=1500,
        geohazard_points=2000,
        storms=12,
        telemetry_days=7,
        monitored_installations=400,
        lifeline_assets=2000,
        fleet_assets=110_000,
    ),
    "xlarge": Scale(  # about 60 million rows: the top of the cost curve (benchmarks/cost_curve.py)
        name="xlarge",
        days=90,
        persons=600_000,
        restaurants=90_000,
        chain_brands=400,
        enterprises=60_000,
        public_units=12_000,
        vehicles=300_000,
        detectors=1_800,
        stations=200,
        high_risk_enterprises=80,
        food_inspections=7_000,
        food_samples=2_800,
        accidents=2_500,
        fire_incidents=400,
        fire_inspections=5_500,
        hidden_hazards=2_800,
        work_accidents=80,
        exceedances=2_000,
        police_alarms=380,
        ambulance_dispatches=320,
        hotline_reports=500,
        instructions=260,
        weather_stations_per_county=4,
        hydrological_stations=100,
        waterlogging_points=2_000,
        geohazard_points=2_500,
        storms=16,
        telemetry_days=7,
        monitored_installations=600,
        lifeline_assets=2_500,
        fleet_assets=160_000,
    ),
}


@dataclass(frozen=True)
class CityConfig:
    scale: Scale
    city: CityMap  # the real city it is generated on: profile, counties, local colour
    seed: int = 42
    noise: Noise = field(default_factory=Noise)
    overlap: Overlap = field(default_factory=Overlap)
    coverage: Coverage = field(default_factory=Coverage)

    @property
    def start(self) -> date:
        """The first delivery day."""
        return self.city.profile.first_delivery_day

    @classmethod
    def for_scale(
        cls,
        scale: str,
        seed: int = 42,
        days: int | None = None,
        city_code: str | None = None,
        bounds: Bounds | None = None,
    ) -> CityConfig:
        """`city_code` defaults to the repository profile's city; `bounds` is for a city the
        generator has no data file for (city_map.py)."""
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
        chosen = SCALES[scale] if days is None else replace(SCALES[scale], days=days)
        if chosen.days < 2:
            raise ValueError("a sample city needs at least 2 delivery days")
        first_day = min(FIRST_DAY, LAST_DAY - timedelta(days=chosen.days - 1))
        return cls(scale=chosen, city=city_map(city_code, bounds, first_day), seed=seed)
