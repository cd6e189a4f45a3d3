"""Major hazard source grades (GB 18218-2018) match hand-computed values, on the boundaries too.

S = Σ q/Q (major when S >= 1); R = α·Σ β·q/Q; grade 1 R >= 100, 2 [50, 100), 3 [10, 50), 4 below 10;
α 2.0 for >= 100 people exposed, 1.5 for 50-99, 1.2 for 30-49, 1.0 for 1-29, 0.5 for none.
Q and β come from the repository's copy of the standard's table (by CAS number).
"""

from __future__ import annotations

import pytest

from tests.marts.dbt_harness import build_models

# CAS numbers of the reference table: chlorine Q 5 t β 4; benzene Q 50 t β 1; ammonia Q 10 t β 2;
# hydrogen Q 5 t β 1.5; methanol Q 500 t β 1.
CHLORINE, BENZENE, AMMONIA, HYDROGEN, METHANOL = (
    "7782-50-5",
    "71-43-2",
    "7664-41-7",
    "1333-74-0",
    "67-56-1",
)

# installation, exposed people, [(cas, q tonnes)], expected (α, S, R, grade) worked out by hand
CASES = [
    ("R_100", 100, [(BENZENE, 2500)], (2.0, 50.0, 100.0, 1)),  # 2.0 · 1 · 2500/50 = 100: grade 1
    ("R_just_under_100", 100, [(BENZENE, 2499)], (2.0, 49.98, 99.96, 2)),
    ("R_50", 10, [(CHLORINE, 62.5)], (1.0, 12.5, 50.0, 2)),  # 1.0 · 4 · 62.5/5 = 50: grade 2
    ("R_10", 0, [(AMMONIA, 100)], (0.5, 10.0, 10.0, 3)),  # 0.5 · 2 · 100/10 = 10: grade 3
    (
        "R_10_float",
        30,
        [(BENZENE, 416.6666666666667)],
        (1.2, 8.333333, 10.0, 3),
    ),  # 1.2 · 25/3 = 10 in floating point
    ("R_just_under_10", 30, [(BENZENE, 415)], (1.2, 8.3, 9.96, 4)),
    (
        "S_1_two_substances",
        50,
        [(HYDROGEN, 2.5), (AMMONIA, 5)],
        (1.5, 1.0, 2.625, 4),
    ),  # 1.5·(1.5·0.5 + 2·0.5)
    ("alpha_49_people", 49, [(CHLORINE, 12.5)], (1.2, 2.5, 12.0, 3)),
    ("alpha_99_people", 99, [(CHLORINE, 50)], (1.5, 10.0, 60.0, 2)),
    ("alpha_1_person", 1, [(METHANOL, 500)], (1.0, 1.0, 1.0, 4)),
]
S_JUST_UNDER_1 = ("S_just_under_1", 200, [(CHLORINE, 4.995)], (2.0, 0.999, 7.992, None))


@pytest.fixture(scope="module")
def grades(tmp_path_factory):
    rows = []
    for code, people, holdings, _ in [
        *CASES,
        S_JUST_UNDER_1,
        ("unknown_substance", 10, [(CHLORINE, 10), ("0000-00-0", 1)], None),
    ]:
        for cas, quantity in holdings:
            rows.append(f"('{code}', '{cas}', {quantity}, {people}, 'hazard_sources:{code}/{cas}')")
    hazard_sources = f"""
        SELECT code AS hazard_source_code, cas AS cas_no, NULL::VARCHAR AS uscc, 'enterprise' AS enterprise_name,
               code AS installation_name, 'substance' AS chemical_name, quantity::DOUBLE AS quantity_t,
               NULL::DOUBLE AS critical_quantity_t, people::BIGINT AS exposed_people,
               DATE '2026-10-01' AS record_date, DATE '2026-10-01' AS delivery_date, record AS source_record_id
        FROM (VALUES {", ".join(rows)}) AS t(code, cas, quantity, people, record)
    """
    connection = build_models(
        tmp_path_factory.mktemp("gb18218"),
        {
            "staging.stg_emergency_management__hazard_sources": hazard_sources,
            "intermediate.int_object_resolution": "SELECT source_record_id, 'hazard_installation' AS kind, "
            "'I:' || hazard_source_code AS object_key FROM staging.stg_emergency_management__hazard_sources",
            "main.dim_object": "SELECT 'I:' || code AS object_key, code AS name, NULL::VARCHAR AS owner_organisation_key, "
            "NULL::VARCHAR AS place_key FROM (SELECT DISTINCT hazard_source_code AS code FROM staging.stg_emergency_management__hazard_sources)",
            "main.dim_place": "SELECT NULL::VARCHAR AS place_key, NULL::VARCHAR AS county_code, NULL::VARCHAR AS township_code, "
            "NULL::DOUBLE AS longitude, NULL::DOUBLE AS latitude WHERE false",
        },
        ["stg_reference__gb18218_substances", "int_hazard_source_holdings", "hazard_source_grades"],
    )
    table = connection.execute(
        "SELECT hazard_source_code, alpha, s_value, r_value, grade, is_major_hazard_source, grading_status FROM main.hazard_source_grades"
    ).fetchall()
    connection.close()
    return {row[0]: row[1:] for row in table}


@pytest.mark.parametrize(
    ("code", "people", "holdings", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_grade_matches_the_hand_computed_value(grades, code, people, holdings, expected):
    alpha, s_value, r_value, grade, is_major, status = grades[code]
    assert (alpha, grade, is_major, status) == (expected[0], expected[3], True, "graded")
    assert s_value == pytest.approx(expected[1], abs=1e-6)
    assert r_value == pytest.approx(expected[2], abs=1e-6)


def test_s_just_under_one_is_not_a_major_hazard_source(grades):
    _alpha, s_value, _r_value, grade, is_major, status = grades["S_just_under_1"]
    assert s_value == pytest.approx(0.999) and not is_major and grade is None
    assert status == "not a major hazard source (S < 1)"


def test_a_substance_missing_from_the_standard_leaves_the_installation_ungraded_and_says_so(grades):
    _alpha, _s_value, _r_value, grade, is_major, status = grades["unknown_substance"]
    assert grade is None and status == "1 substance(s) not in the GB 18218 table"
    assert is_major  # chlorine alone (10 t of Q 5 t) already makes S >= 1
