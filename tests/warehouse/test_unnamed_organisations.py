"""An organisation a record names by its credit code alone (a polluter in an exceedance report
before the registry delivers it) is an organisation of the warehouse with no name yet: the
dimension builds, rather than failing the whole build after linkage."""

from __future__ import annotations

import pytest

from tests.marts.dbt_harness import build_models

REGISTERED = "91330300MA2AXXXX1Q"
UNNAMED = "913303829CCE12EJP9"

MENTION_COLUMNS = (
    "source_department, source_feed, source_record_id, delivery_date, role, slot, uscc, "
    "licence_no, permit_no, name, name_normalised, county_code, organisation_type, "
    "legal_rep_name, legal_rep_id_masked, legal_rep_id_hash, phone, industry_code"
)


def mention(feed: str, record: str, role: str, uscc: str, name: str | None) -> str:
    named = f"'{name}'" if name else "NULL::VARCHAR"
    unknown = ", ".join(["NULL::VARCHAR"] * 6)
    return (
        f"('ecology_environment', '{feed}', '{feed}:{record}', DATE '2026-10-01', '{role}', 0, "
        f"'{uscc}', NULL::VARCHAR, NULL::VARCHAR, {named}, {named}, '330302', {unknown})"
    )


def empty(columns: str) -> str:
    return f"SELECT {columns} WHERE false"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    mentions = [
        mention("pollution_sources", "1", "permit_holder", REGISTERED, "温州某化工有限公司"),
        mention("emission_exceedances", "7", "polluter", REGISTERED, None),
        mention("emission_exceedances", "8", "polluter", UNNAMED, None),
    ]
    parents = {
        "intermediate.int_mention_roles": "SELECT * FROM (VALUES "
        "('organisation', 'permit_holder', false, true), ('organisation', 'polluter', false, false)"
        ") AS t(kind, role, responder, register)",
        "intermediate.int_organisation_mentions": f"SELECT * FROM (VALUES {', '.join(mentions)}) "
        f"AS t({MENTION_COLUMNS})",
        "intermediate.int_organisation_resolution": "SELECT source_department, source_feed, "
        "source_record_id, role, slot, 'U:' || uscc AS organisation_key, 'uscc' AS matched_on, "
        "'exact' AS method, 1.0::DOUBLE AS match_probability "
        "FROM intermediate.int_organisation_mentions",
        "intermediate.int_person_resolution": empty(
            "NULL::VARCHAR AS source_feed, NULL::VARCHAR AS source_record_id, "
            "NULL::VARCHAR AS role, NULL::VARCHAR AS person_key"
        ),
        "intermediate.int_mention_relations": empty(
            "NULL::VARCHAR AS source_feed, NULL::VARCHAR AS relation, "
            "NULL::VARCHAR AS from_role, NULL::VARCHAR AS to_role"
        ),
        "intermediate.int_place_resolution": empty(
            "NULL::VARCHAR AS source_record_id, NULL::VARCHAR AS place_key"
        ),
        "main.dim_place": empty(
            "NULL::VARCHAR AS place_key, NULL::VARCHAR AS location_source, "
            "NULL::BIGINT AS source_mentions"
        ),
    }
    connection = build_models(tmp_path_factory.mktemp("unnamed"), parents, ["dim_organisation"])
    yield connection
    connection.close()


def test_an_organisation_known_by_its_code_alone_has_no_name_yet(warehouse):
    rows = warehouse.execute(
        "SELECT organisation_key, uscc, name, name_variants, source_mentions "
        "FROM main.dim_organisation ORDER BY organisation_key"
    ).fetchall()
    assert rows == [
        (f"U:{REGISTERED}", REGISTERED, "温州某化工有限公司", 1, 2),
        (f"U:{UNNAMED}", UNNAMED, None, 0, 1),
    ]
