"""warning_accuracy on crafted warnings and events: the subject-days a rule is scored on, those
followed by an outcome event within follow_up_days (overlapping windows counted once, cut to
the scored days), and the warned ones among them, by the city's calendar day."""

from __future__ import annotations

from tests.marts.dbt_harness import build_models

# Deliveries from 10-01 to 10-10: a 3-day rule is scored on 10-01 to 10-07 (7 days); a 20-day
# rule on none.
RULES = """
    SELECT * FROM (VALUES
        ('fires_follow', 2, 'organisation', NULL::VARCHAR, 3, 'fire'),
        ('too_long_to_score', 3, 'place', NULL, 20, 'fire')
    ) AS r(rule_id, level, subject_kind, subject_object_kind, follow_up_days, outcome_event_types)
"""
EVENTS = """
    SELECT 'E' || d AS event_key, DATE '2026-10-01' + CAST(d AS INTEGER) AS delivery_date FROM range(10) AS t(d)
"""
# (organisation, event type, when, UTC)
SUBJECT_EVENTS = [
    # counts for 10-01 and 10-02 (09-30 is not scored), then 10-03: three days, not five
    ("O1", "fire", "2026-10-03 04:00:00"),
    ("O1", "fire", "2026-10-04 04:00:00"),
    # not an outcome of the rule
    ("O1", "theft", "2026-10-08 04:00:00"),
    # counts for 10-06 and 10-07 (10-08 is not scored)
    ("O2", "fire", "2026-10-09 04:00:00"),
    # 16:30 UTC is 00:30 on 10-06 in the city: counts for 10-03 to 10-05
    ("O3", "fire", "2026-10-05 16:30:00"),
]
# (rule, day, organisation): O1 on 10-01 is followed by its fire of 10-03; O1 on 10-04 by none
# (10-04's own fire is not after it); O3 on 10-05 by its fire of the city's 10-06. O2's
# warnings fall outside the scored days.
WARNINGS = [
    ("fires_follow", "2026-10-01", "O1"),
    ("fires_follow", "2026-10-04", "O1"),
    ("fires_follow", "2026-10-05", "O3"),
    ("fires_follow", "2026-10-08", "O2"),
    ("fires_follow", "2026-09-30", "O2"),
]


def _values(rows: list[tuple[str, ...]]) -> str:
    return ", ".join("(" + ", ".join(f"'{value}'" for value in row) + ")" for row in rows)


def test_warned_and_unwarned_subject_days_followed_by_an_outcome(tmp_path):
    connection = build_models(
        tmp_path,
        {
            "intermediate.int_warning_rules": RULES,
            "main.fct_event": EVENTS,
            "main.dim_organisation": "SELECT * FROM (VALUES ('O1'), ('O2'), ('O3')) AS o(organisation_key)",
            "main.dim_place": "SELECT 'P1' AS place_key, 'delivered' AS location_source",
            "main.dim_object": "SELECT 'X1' AS object_key, 'monitoring_station' AS kind",
            "intermediate.int_subject_events": f"""
                SELECT 'organisation' AS subject_kind, subject_key, event_type,
                    CAST(occurred_at || '+00' AS TIMESTAMPTZ) AS occurred_at
                FROM (VALUES {_values(SUBJECT_EVENTS)}) AS e(subject_key, event_type, occurred_at)""",
            "main.warning_history": f"""
                SELECT rule_id, CAST(as_of_date AS DATE) AS as_of_date, subject_key
                FROM (VALUES {_values(WARNINGS)}) AS w(rule_id, as_of_date, subject_key)""",
        },
        ["warning_accuracy"],
    )
    rows = connection.execute(
        """select rule_id, days_scored, warned_subject_days, warned_with_event, warned_hit_rate,
        unwarned_subject_days, unwarned_with_event, unwarned_hit_rate, lift
        from main.warning_accuracy order by rule_id"""
    ).fetchall()
    connection.close()
    assert rows == [
        # 3 organisations x 7 days: 8 subject-days followed by a fire (O1 3, O2 2, O3 3)
        ("fires_follow", 7, 3, 2, 0.6667, 18, 6, 0.333333, 2.0),
        ("too_long_to_score", 0, 0, 0, None, 0, 0, None, None),
    ]
