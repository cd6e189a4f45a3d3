"""int_subject_events built by event: after the events, places, organisations, objects and
bridges change (a place moves, one is gone, two move by a centimetre, an organisation moves, an
event is gone, one is new, one changes, a bridge and a station are added), a daily build gives
the rows a full build gives, and leaves the events nothing changed for as they were."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from tests.marts.dbt_harness import build_models, run_models

MODELS = ["int_subject_event_inputs", "int_subject_events"]
COLUMNS = "subject_kind, subject_key, relation, event_key, event_type, place_key, resolved_date"

# (place, longitude, latitude, location_source); 0.0005 degrees of longitude are about 48 m
# at 30.6 degrees north, "near" is 100 m.
PLACES = [
    ("PA", 104.0000, 30.6, "delivered"),
    ("PB", 104.0005, 30.6, "delivered"),
    ("PC", 104.0100, 30.6, "delivered"),
    ("PD", 104.0200, 30.6, "delivered"),
    ("PE", 104.0300, 30.6, "county_centroid"),
    ("PF", 104.0400, 30.6, "delivered"),
    ("PG", 104.0500, 30.6, "delivered"),
    ("PH", 104.0402, 30.6, "delivered"),
    ("PI", 104.0600, 30.6, "delivered"),
    ("PK", 104.0501, 30.6, "delivered"),  # 9.6 m from PG
    ("PL", 104.0700, 30.6, "delivered"),
    ("PM", 104.0700, 30.6008993, "delivered"),  # 99.998 m from PL
]
# (event, type, place, resolved)
EVENTS = [
    ("E1", "fire", "PA", "2026-10-02"),
    ("E2", "fire", "PC", "2026-10-02"),
    ("E3", "fire", "PD", "2026-10-02"),
    ("E4", "air_quality_episode", "PE", "2026-10-02"),
    ("E5", "fire", "PF", "2026-10-02"),
    ("E7", "fire", "PG", "2026-10-02"),
    ("E9", "fire", "PH", "2026-10-02"),
    ("E11", "fire", "PI", "2026-10-02"),
    ("E12", "fire", "PB", "2026-10-02"),
    ("E13", "fire", "PL", "2026-10-02"),
]
ORGANISATIONS = [("O1", "PA"), ("O2", "PC"), ("O7", "PG")]
ORGANISATION_PLACES = [("O3", "PD")]
# (event, organisation, role): a responder is not concerned by the event it answers
NAMED_ORGANISATIONS = [("E1", "O2", "owner"), ("E2", "O7", "responder"), ("E7", "O7", "owner")]
# (object, kind, place)
OBJECTS = [("S1", "monitoring_station", "PE"), ("W1", "waterlogging_point", "PB")]
NAMED_OBJECTS = [("E2", "W1")]


def _values(rows: list[tuple]) -> str:
    return ", ".join(
        "(" + ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in row) + ")"
        for row in rows
    )


def _parents(
    places=PLACES,
    events=EVENTS,
    organisations=ORGANISATIONS,
    organisation_places=ORGANISATION_PLACES,
    named_organisations=NAMED_ORGANISATIONS,
    objects=OBJECTS,
    named_objects=NAMED_OBJECTS,
) -> dict[str, str]:
    return {
        "main.dim_place": f"SELECT * FROM (VALUES {_values(places)}) AS p(place_key, longitude, latitude, location_source)",
        "main.fct_event": f"""
            SELECT event_key, event_type, TIMESTAMPTZ '2026-10-01 09:00:00+08' AS occurred_at,
                DATE '2026-10-01' AS delivery_date, DATE '2026-10-01' AS first_delivery_date,
                NULL::DATE AS due_date, CAST(resolved AS DATE) AS resolved_date, false AS major_hazard,
                'fire_rescue' AS source_department, place_key
            FROM (VALUES {_values(events)}) AS e(event_key, event_type, place_key, resolved)""",
        "main.dim_organisation": f"SELECT * FROM (VALUES {_values(organisations)}) AS o(organisation_key, place_key)",
        "main.bridge_organisation_place": f"""
            SELECT *, 'premises' AS role
            FROM (VALUES {_values(organisation_places)}) AS b(organisation_key, place_key)""",
        "main.bridge_event_organisation": f"""
            SELECT * FROM (VALUES {_values(named_organisations)}) AS b(event_key, organisation_key, role)""",
        "main.dim_object": f"SELECT * FROM (VALUES {_values(objects)}) AS o(object_key, kind, place_key)",
        "main.bridge_event_object": f"""
            SELECT *, 'at' AS role FROM (VALUES {_values(named_objects)}) AS b(event_key, object_key)""",
        "intermediate.int_event_types": """
            SELECT * FROM (VALUES ('fire', true), ('air_quality_episode', false)) AS t(event_type, proximity)""",
        "intermediate.int_mention_roles": """
            SELECT * FROM (VALUES ('organisation', 'owner', false), ('organisation', 'responder', true))
                AS r(kind, role, responder)""",
    }


CHANGED = _parents(
    # PD moves beside PC, PF is gone (with its event E5), PJ is new (no event near it); PK
    # and PM move by a centimetre: PM is no longer within 100 m of PL (100.009 m)
    places=[
        *PLACES[:3],
        ("PD", 104.0102, 30.6, "delivered"),
        PLACES[4],
        *PLACES[6:9],
        ("PK", 104.0501001, 30.6, "delivered"),
        PLACES[10],
        ("PM", 104.0700, 30.6008994, "delivered"),
        ("PJ", 104.0800, 30.6, "delivered"),
    ],
    # E1 and E11 resolved later; E8 new at PB
    events=[
        ("E1", "fire", "PA", "2026-10-03"),
        *EVENTS[1:4],
        *EVENTS[5:7],
        ("E11", "fire", "PI", "2026-10-03"),
        *EVENTS[8:],
        ("E8", "fire", "PB", "2026-10-03"),
    ],
    # O1 moves from PA to PJ
    organisations=[("O1", "PJ"), *ORGANISATIONS[1:]],
    named_organisations=[*NAMED_ORGANISATIONS, ("E1", "O1", "owner")],
    # a second station at PE
    objects=[*OBJECTS, ("S2", "monitoring_station", "PE")],
)


def _rows(connection: duckdb.DuckDBPyConnection) -> set[tuple]:
    return set(
        connection.execute(f"select {COLUMNS} from intermediate.int_subject_events").fetchall()
    )


def _replace_parents(tmp_path, parents: dict[str, str]) -> None:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        for relation, query in parents.items():
            connection.execute(f"CREATE OR REPLACE TABLE {relation} AS {query}")


def _links(rows: set[tuple], event: str | None = None) -> set[tuple]:
    """(subject kind, subject, event, relation) of the rows, or of one event's."""
    return {
        (kind, subject, key, relation)
        for kind, subject, relation, key, *_ in rows
        if event is None or key == event
    }


@pytest.mark.parametrize("built_from", ["kept", "lost", "by other code"])
def test_a_daily_build_links_events_as_a_full_build_does(tmp_path, built_from):
    with build_models(tmp_path, _parents(), MODELS) as connection:
        before = _links(_rows(connection))
    assert {
        ("place", "PD", "E3", "near"),
        ("place", "PF", "E9", "near"),
        ("place", "PM", "E13", "near"),
        ("organisation", "O1", "E12", "near"),
        ("place", "PK", "E7", "near"),
    } <= before
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        # Nothing changes for E7: a daily build leaves its rows as they are, marked here.
        connection.execute(
            "update intermediate.int_subject_events set relation = 'kept' where event_key = 'E7'"
        )
        if built_from == "lost":  # what the rows were built from unknown: every event again
            connection.execute("drop table intermediate.int_subject_events__built_from")
        if built_from == "by other code":  # the model's SQL changed since: built in full
            connection.execute("comment on table intermediate.int_subject_events is 'older code'")

    _replace_parents(tmp_path, CHANGED)
    run_models(tmp_path, MODELS)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        daily = _rows(connection)
    run_models(tmp_path, MODELS, "--full-refresh")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        full = _rows(connection)

    e7 = {
        ("place", "PG", "E7", "near"),
        ("place", "PK", "E7", "near"),
        ("organisation", "O7", "E7", "named"),
    }
    assert _links(full, "E7") == e7
    if built_from == "kept":
        assert _links(daily, "E7") == {(k, s, e, "kept") for k, s, e, _ in e7}
        assert {row for row in daily if row[3] != "E7"} == {row for row in full if row[3] != "E7"}
    else:
        assert daily == full

    # What changed, as the full build gives it.
    links = _links(full)
    assert {("place", "PD", "E2", "near"), ("organisation", "O3", "E2", "near")} <= links
    assert {("place", "PC", "E3", "near"), ("organisation", "O2", "E3", "near")} <= links
    assert not {link for link in links if "E5" in link or "PF" in link}
    assert _links(full, "E9") == {("place", "PH", "E9", "near")}
    assert {("organisation", "O1", "E1", "named")} == {link for link in links if "O1" in link}
    assert _links(full, "E13") == {("place", "PL", "E13", "near")}
    assert {("place", "PA", "E8", "near"), ("object", "W1", "E8", "near")} <= links
    assert ("organisation", "O7", "E2", "named") not in links  # a responder
    assert {("station", "S1", "E4", "at"), ("station", "S2", "E4", "at")} <= links
    assert {row[6] for row in full if row[3] in ("E1", "E11")} == {date(2026, 10, 3)}
