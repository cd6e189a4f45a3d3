"""The risk marts, warnings and alerts on the tiny city, checked against ground_truth/ and the lake."""

from __future__ import annotations

from datetime import timedelta, timezone

import polars as pl

from pipelines.lib.alerts import check_published, validate_cap
from pipelines.lib.risk_report import planted_ranks

CHINA = timezone(timedelta(hours=8))


def test_planted_high_risk_enterprises_rank_in_the_top_decile(built_city, analytics):
    planted = planted_ranks(analytics, built_city / "ground_truth")
    assert (
        len(planted)
        == pl.read_parquet(built_city / "ground_truth" / "high_risk.parquet")
        .filter(pl.col("entity_kind") == "organisation")
        .height
    )
    assert [(p.entity_id, p.risk_decile) for p in planted] == [(p.entity_id, 1) for p in planted]


def test_every_score_is_the_sum_of_its_listed_facts_and_weights(analytics):
    mismatched = analytics.execute(
        """select count(*) from risk_organisations as r
           join (select subject_key, sum(points) as points, count(*) as facts from risk_facts
                 where subject_kind = 'organisation' group by subject_key) as f on f.subject_key = r.organisation_key
           where f.points <> r.risk_score or f.facts <> r.facts"""
    ).fetchone()[0]
    wrong_points = analytics.execute(
        """select count(*) from risk_facts as f join risk_weights as w using (subject_kind, fact)
           where f.points <> w.weight * least(f.occurrences, w.cap)"""
    ).fetchone()[0]
    assert (mismatched, wrong_points) == (0, 0)
    assert (
        analytics.execute(
            "select count(*) from risk_organisations where reasons is null"
        ).fetchone()[0]
        == 0
    )


def test_planted_chemical_enterprises_hold_grade_one_and_get_a_red_warning(built_city, analytics):
    planted = [
        p for p in planted_ranks(analytics, built_city / "ground_truth") if p.risk_rank is not None
    ]
    truth = pl.read_parquet(built_city / "ground_truth" / "high_risk.parquet").filter(
        pl.col("reasons").str.starts_with("grade-1")
    )
    assert truth.height >= 1
    red = analytics.execute(
        "select subject_name, reasons from warnings where rule_id = 'major_hazard_source_overdue_hazard' and level = 1"
    ).fetchall()
    red_names = {name for name, _ in red}
    chemical = [p for p in planted if p.entity_id in set(truth["entity_id"])]
    assert chemical and {p.name for p in chemical} <= red_names
    assert all("grade-1 major hazard source" in reasons for _, reasons in red)


def test_air_quality_episodes_are_the_planted_ones(built_city, analytics):
    truth = pl.read_parquet(built_city / "ground_truth" / "air_quality_episodes.parquet")
    found = analytics.execute(
        "select station_code, started_at, hours from air_quality_episodes"
    ).fetchall()
    planted = {
        (row["station_code"], row["start"].replace(tzinfo=CHINA))
        for row in truth.iter_rows(named=True)
    }
    assert planted and planted <= {
        (station, started.astimezone(CHINA)) for station, started, _ in found
    }


def test_every_warning_message_is_published_as_a_valid_cap_message(built_city, analytics):
    messages = dict(
        analytics.execute("select message_id, msg_type from warning_messages").fetchall()
    )
    alerts = {path.stem: path for path in (built_city / "alerts").glob("*.xml")}
    assert messages and set(alerts) == set(messages)
    for identifier, path in alerts.items():
        xml = path.read_bytes()
        validate_cap(xml)
        assert f"<msgType>{messages[identifier]}</msgType>".encode() in xml
    assert check_published(built_city / "alerts").problems == []  # every reference resolves


def test_every_warning_in_force_is_one_day_of_a_continuing_warning_in_force(analytics):
    # Today's warnings are the newest day of the warnings in force, each one thread whose newest
    # message (the one in force) is published; no warning in force has been cancelled.
    unmatched = analytics.execute(
        """select count(*) from warnings as w
           left join (
               select l.lifecycle_id, l.rule_id, l.subject_key, l.last_day, m.message_id
               from warning_lifecycle as l
               join warning_messages as m on m.lifecycle_id = l.lifecycle_id and m.in_force
               where l.in_force
           ) as t on t.rule_id = w.rule_id and t.subject_key = w.subject_key and t.last_day = w.as_of_date
           where t.message_id is null"""
    ).fetchone()[0]
    in_force = analytics.execute(
        "select count(*) from warning_lifecycle where in_force"
    ).fetchone()[0]
    warnings = analytics.execute("select count(*) from warnings").fetchone()[0]
    assert (unmatched, in_force) == (0, warnings)
    # Every raised warning-day belongs to exactly one continuing warning.
    days = analytics.execute("select sum(days) from warning_lifecycle").fetchone()[0]
    assert days == analytics.execute("select count(*) from warning_history").fetchone()[0]


def test_response_intervals_are_those_of_the_delivered_incidents(built_city, analytics):
    bronze = pl.read_parquet(
        str(
            built_city
            / "lake"
            / "bronze"
            / "fire_rescue"
            / "fire_incidents"
            / "date=*"
            / "*.parquet"
        )
    )
    delivered = {
        row["incident_id"]: int((row["dispatched_at"] - row["alarm_at"]).total_seconds())
        for row in bronze.iter_rows(named=True)
    }
    mart = analytics.execute(
        "select incident_id, alarm_to_dispatch_s, dispatch_within_target from fire_response_times"
    ).fetchall()
    target = analytics.execute(
        "select target_seconds from response_targets where interval = 'alarm_to_dispatch'"
    ).fetchone()[0]
    assert len(mart) == len(delivered)
    assert all(
        seconds == delivered[incident] and within == (seconds <= target)
        for incident, seconds, within in mart
    )


def test_overdue_hazards_are_open_and_past_their_deadline(analytics):
    rows = analytics.execute(
        "select due_date, resolved_date, as_of_date, days_overdue from hazard_rectification where status = 'open_overdue'"
    ).fetchall()
    assert rows
    assert all(
        resolved is None and due < as_of and days == (as_of - due).days
        for due, resolved, as_of, days in rows
    )
    listed = analytics.execute("select sum(open_overdue) from overdue_by_department").fetchone()[0]
    assert listed == len(rows)
