"""warning_exposure counts what lies within each warning's radius, on the boundary too.

Subjects sit just inside and just outside radii of 80 m and 5 km (and farther apart than one
cell of the smaller radius), two parts of one site at the same point (listed by name), a
shelter's people served summed, and a category with nothing in range counted as 0. The
expected values are worked out here from distances stated in metres, not from the mart.
"""

from __future__ import annotations

import math

import pytest

from tests.marts.dbt_harness import build_models, config_seed

EARTH_M = 6_371_008.8  # the mean radius haversine_m uses
CENTRE = (104.0, 30.6)  # the point of both warnings


def north_of(metres: float) -> tuple[float, float]:
    """A point `metres` due north of CENTRE: along a meridian the haversine is R·Δφ."""
    return CENTRE[0], CENTRE[1] + math.degrees(metres / EARTH_M)


def east_of(metres: float) -> tuple[float, float]:
    """A point `metres` due east of CENTRE (on the same parallel, found by inverting the haversine)."""
    latitude = math.radians(CENTRE[1])
    delta = 2 * math.asin(math.sin(metres / EARTH_M / 2) / math.cos(latitude))
    return CENTRE[0] + math.degrees(delta), CENTRE[1]


# place, point: where the subjects are
PLACES = {
    "P_79N": north_of(79.9),
    "P_81N": north_of(80.1),
    "P_79E": east_of(79.9),
    "P_4999E": east_of(4_999.0),
    "P_5001N": north_of(5_001.0),
    "P_1000N": north_of(1_000.0),
}
# organisation, type, premises: schools and hospitals
ORGANISATIONS = [
    ("O_school_in", "学校", "P_79N"),
    ("O_school_out", "学校", "P_81N"),
    ("O_hospital_far", "hospital", "P_4999E"),
    ("O_hospital_beyond", "hospital", "P_5001N"),
]
# object, kind, place, people served: an installation of two parts at one point, shelters
OBJECTS = [
    ("X_tank", "hazard_installation", "P_79E", None),
    ("X_store", "hazard_installation", "P_79E", None),
    ("X_shelter_a", "emergency_shelter", "P_1000N", 1200),
    ("X_shelter_b", "emergency_shelter", "P_4999E", 300),
]
WARNINGS = [("W_small", 80.0), ("W_large", 5_000.0)]


def values(rows: list[tuple]) -> str:
    return ", ".join(
        "(" + ", ".join("NULL" if v is None else repr(v) for v in row) + ")" for row in rows
    )


@pytest.fixture(scope="module")
def exposure(tmp_path_factory):
    places = values([(key, lon, lat) for key, (lon, lat) in PLACES.items()])
    organisations = values([(key, key, kind) for key, kind, _ in ORGANISATIONS])
    premises = values([(key, place) for key, _, place in ORGANISATIONS])
    objects = values([(key, key, kind, place) for key, kind, place, _ in OBJECTS])
    figures = values([(key, people) for key, _, _, people in OBJECTS if people is not None])
    warnings = values([(key, "rule", 2, CENTRE[0], CENTRE[1], radius) for key, radius in WARNINGS])
    connection = build_models(
        tmp_path_factory.mktemp("exposure"),
        {
            "main.exposure_categories": config_seed("exposure_categories"),
            "main.warnings": "SELECT * FROM (VALUES "
            + warnings
            + ") AS t(warning_id, rule_id, level, longitude, latitude, radius_m)",
            "main.dim_place": f"SELECT * FROM (VALUES {places}) AS t(place_key, longitude, latitude)",
            "main.dim_organisation": f"SELECT * FROM (VALUES {organisations}) AS t(organisation_key, name, organisation_type)",
            "intermediate.int_organisation_premises": f"SELECT * FROM (VALUES {premises}) AS t(organisation_key, place_key)",
            "main.dim_object": f"SELECT * FROM (VALUES {objects}) AS t(object_key, name, kind, place_key)",
            "intermediate.int_resource_figures": f"SELECT resource_key, people_served::BIGINT AS people_served FROM (VALUES {figures}) AS t(resource_key, people_served)",
        },
        ["warning_exposure"],
    )
    rows = connection.execute(
        "SELECT warning_id, category, exposed, people_served, names FROM main.warning_exposure"
    ).fetchall()
    connection.close()
    return {
        (warning, category): (exposed, people, names)
        for warning, category, exposed, people, names in rows
    }


def test_a_row_per_warning_and_category(exposure):
    assert len(exposure) == len(WARNINGS) * 5
    assert {category for _, category in exposure} == {
        "school",
        "hospital",
        "mall",
        "hazard_installation",
        "shelter",
    }


def test_just_inside_the_radius_counts_and_just_outside_does_not(exposure):
    assert exposure[("W_small", "school")] == (1, None, "O_school_in")
    assert exposure[("W_small", "hospital")] == (0, None, None)
    assert exposure[("W_large", "school")] == (2, None, "O_school_in; O_school_out")
    assert exposure[("W_large", "hospital")] == (1, None, "O_hospital_far")


def test_parts_of_one_site_at_one_point_are_listed_by_name(exposure):
    assert exposure[("W_small", "hazard_installation")] == (2, None, "X_store; X_tank")
    assert exposure[("W_large", "hazard_installation")] == (2, None, "X_store; X_tank")


def test_shelters_people_served_are_summed_nearest_first(exposure):
    assert exposure[("W_small", "shelter")] == (0, None, None)
    assert exposure[("W_large", "shelter")] == (2, 1500, "X_shelter_a; X_shelter_b")
    assert exposure[("W_large", "mall")] == (0, None, None)
