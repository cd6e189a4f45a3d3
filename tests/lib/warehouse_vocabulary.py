"""The warehouse's vocabularies as the table contracts listed them before `enumFrom`.

They are what the repository's feed contracts' mappings must give: today's warehouse, the
one the dbt models build and the tests expect. Written out here (in the order the contracts
listed them) so that a test compares what is resolved with them, not with itself.
"""

from __future__ import annotations

TODAYS_WAREHOUSE_VOCABULARY: dict[tuple[str, str], tuple[str, ...]] = {
    ("fct_event", "event_type"): (
        "food_inspection_failure",
        "food_sampling_failure",
        "traffic_accident",
        "fire",
        "rescue",
        "social_assistance",
        "fire_hazard_finding",
        "hidden_hazard",
        "work_accident",
        "emission_exceedance",
        "air_quality_episode",
        "weather_warning",
        "heavy_rainfall",
        "water_level_exceedance",
        "landslide",
        "debris_flow",
        "rockfall",
        "ground_collapse",
        "sensor_alarm",
        "theft",
        "fraud",
        "robbery",
        "affray",
        "dispute",
        "medical_emergency",
        "poisoning",
        "injury",
        "food_safety_complaint",
        "fire_hazard_complaint",
        "pollution_complaint",
        "gas_leak_report",
        "waterlogging_report",
        "citizen_report",
    ),
    ("fct_event", "source_department"): (
        "market_regulation",
        "traffic_police",
        "fire_rescue",
        "emergency_management",
        "ecology_environment",
        "meteorology",
        "water",
        "natural_resources",
        "housing_construction",
        "public_security",
        "health",
        "citizen_hotline",
    ),
    ("bridge_event_organisation", "role"): (
        "licensee",
        "inspected",
        "sampled",
        "involved_unit",
        "responding_station",
        "registered",
        "operator",
        "responsible_unit",
        "permit_holder",
        "polluter",
        "instructed_unit",
        "fire_station",
        "home_station",
        "receiving_hospital",
        "reporting_hospital",
        "reported_unit",
    ),
    ("bridge_event_person", "role"): (
        "driver",
        "victim",
        "legal_representative",
        "monitor",
        "expert",
    ),
    ("bridge_event_object", "role"): (
        "involved_vehicle",
        "installation",
        "station",
        "detector",
        "weather_station",
        "gauge",
        "waterlogging_point",
        "hazard_point",
        "hazard_device",
        "monitored_installation",
        "lifeline_device",
        "monitored_asset",
        "shelter",
        "depot",
        "rescue_team",
        "apparatus",
        "water_source",
    ),
    ("dim_object", "kind"): (
        "vehicle",
        "hazard_installation",
        "monitoring_station",
        "traffic_detector",
        "weather_station",
        "hydrological_station",
        "waterlogging_point",
        "geohazard_point",
        "sensor_device",
        "lifeline_asset",
        "emergency_shelter",
        "supply_depot",
        "rescue_team",
        "fire_apparatus",
        "water_source",
    ),
    ("bridge_person_organisation", "role"): ("legal_representative",),
    ("bridge_organisation_place", "role"): (
        "premises",
        "inspected_premises",
        "installation_site",
        "discharge_site",
        "fire_station_site",
    ),
}
# bridge_event_report (every record that is or reports an event) lists fct_event's vocabularies.
TODAYS_WAREHOUSE_VOCABULARY[("bridge_event_report", "source_department")] = (
    TODAYS_WAREHOUSE_VOCABULARY[("fct_event", "source_department")]
)
TODAYS_WAREHOUSE_VOCABULARY[("bridge_event_report", "reported_type")] = TODAYS_WAREHOUSE_VOCABULARY[
    ("fct_event", "event_type")
]


def todays(table: str, column: str) -> tuple[str, ...]:
    """Today's values of one column, sorted (as the index and the resolved enums give them)."""
    return tuple(sorted(TODAYS_WAREHOUSE_VOCABULARY[(table, column)]))
