"""Plans as data: every open event and warning in force with a plan activates the one for its
level (emergency_plans), and yields that plan's tasks with their departments, deadlines and the
nearest resources of the kinds they mobilise. Checked on the tiny city against the seed itself."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml

PLANS = Path("dbt_project/seeds/config/emergency_plans.csv")
PROJECT = Path("dbt_project/dbt_project.yml")
VOCABULARY = Path("contracts/vocabulary.yaml")
LEVELS = {"I": 1, "II": 2, "III": 3, "IV": 4}


@pytest.fixture(scope="module")
def analytics(built_city):
    connection = duckdb.connect(str(built_city / "analytics.duckdb"), read_only=True)
    yield connection
    connection.close()


def plans() -> list[dict[str, str]]:
    with PLANS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def chosen_plan(trigger_kind: str, trigger: str, level: int) -> str | None:
    """The plan for the level, else the nearest more severe, else the nearest less severe."""
    levels = {
        int(p["level"]): p["plan_id"]
        for p in plans()
        if p["trigger_kind"] == trigger_kind and p["trigger"] == trigger
    }
    if not levels:
        return None
    at_or_above = [lv for lv in levels if lv <= level]
    return levels[max(at_or_above)] if at_or_above else levels[min(levels)]


def test_the_rule_picks_more_severe_plans_first():
    # fire: plans at levels 1 and 4 in the seed
    assert chosen_plan("event", "fire", 4) == "fire_general"
    assert chosen_plan("event", "fire", 2) == "fire_major"
    assert chosen_plan("event", "food_inspection_failure", 4) is None


def triggers(analytics) -> pl.DataFrame:
    proximity = [
        name
        for name, flags in yaml.safe_load(VOCABULARY.read_text(encoding="utf-8"))[
            "eventTypes"
        ].items()
        if flags.get("proximity")
    ]
    open_days = yaml.safe_load(PROJECT.read_text(encoding="utf-8"))["vars"][
        "resource_open_event_days"
    ]
    events = analytics.execute(
        """
        select 'event' as trigger_kind, event_key as trigger_key, event_type as trigger, severity,
            occurred_at as activated_at
        from fct_event
        where event_type in (select unnest(?)) and resolved_date is null
          and occurred_at >= (select max(delivery_date) from fct_event) - to_days(?)
        """,
        [proximity, open_days],
    ).pl()
    warnings = analytics.execute(
        "select 'warning' as trigger_kind, warning_id as trigger_key, rule_id as trigger, "
        "level::varchar as severity, issued_at as activated_at from warnings"
    ).pl()
    frame = pl.concat([events, warnings])
    return frame.with_columns(
        level=pl.when(pl.col("trigger_kind") == "warning")
        .then(pl.col("severity").cast(pl.Int64, strict=False))
        .otherwise(pl.col("severity").replace_strict(LEVELS, default=4, return_dtype=pl.Int64))
    ).with_columns(
        plan_id=pl.struct("trigger_kind", "trigger", "level").map_elements(
            lambda r: chosen_plan(r["trigger_kind"], r["trigger"], r["level"]),
            return_dtype=pl.String,
        )
    )


def test_every_open_event_and_warning_activates_its_plan(analytics):
    expected = triggers(analytics).filter(pl.col("plan_id").is_not_null())
    assert expected.height > 0  # there is something to activate on the tiny city
    activated = analytics.execute(
        "select trigger_kind, trigger_key, plan_id from plan_activations"
    ).pl()
    assert activated.height == activated.select("trigger_kind", "trigger_key").n_unique()
    assert sorted(activated.iter_rows()) == sorted(
        expected.select("trigger_kind", "trigger_key", "plan_id").iter_rows()
    )


def test_each_activation_yields_its_plans_tasks_with_deadlines_and_resources(analytics):
    by_plan: dict[str, list[dict[str, str]]] = {}
    for row in plans():
        by_plan.setdefault(row["plan_id"], []).append(row)
    activations = analytics.execute(
        "select trigger_kind, trigger_key, plan_id, activated_at from plan_activations"
    ).pl()
    tasks = analytics.execute(
        "select trigger_kind, trigger_key, plan_id, department, task, resource_kinds, "
        "nearest_resources, activated_at, due_at from plan_tasks"
    ).pl()
    assert tasks.height == sum(len(by_plan[p]) for p in activations["plan_id"])
    for activation in activations.iter_rows(named=True):
        mine = tasks.filter(
            (pl.col("trigger_kind") == activation["trigger_kind"])
            & (pl.col("trigger_key") == activation["trigger_key"])
        )
        configured = {(p["department"], p["task"]): p for p in by_plan[activation["plan_id"]]}
        assert set(zip(mine["department"], mine["task"], strict=True)) == set(configured)
        for task in mine.iter_rows(named=True):
            plan = configured[(task["department"], task["task"])]
            assert task["due_at"] - task["activated_at"] == timedelta(
                minutes=int(plan["due_minutes"])
            )
            # A task that mobilises resources names the nearest of its kinds (the tiny city
            # has every kind the plans name).
            assert (task["nearest_resources"] is not None) == bool(plan["resources"])


def test_a_warnings_task_carries_the_instruction_its_department_was_sent(analytics):
    """Where the command centre instructed a department about a warning (the same rule and
    subject, as uninstructed_warnings judges), that department's tasks for the warning name
    the instruction and its status; an uninstructed warning's tasks and events' name none."""
    tasks = analytics.execute(
        """
        select t.trigger_kind, t.trigger_key, t.department, t.instruction_id,
            t.instruction_status, w.rule_id, w.subject_kind, w.subject_key,
            u.warning_id is not null as uninstructed
        from plan_tasks as t
        left join warnings as w on t.trigger_kind = 'warning' and w.warning_id = t.trigger_key
        left join uninstructed_warnings as u on u.warning_id = t.trigger_key
        """
    ).pl()
    assignments = analytics.execute(
        """
        select a.instruction_id, a.department, a.status, i.source_type, i.organisation_key,
            i.place_key
        from dispatch_assignments as a join dispatch_instructions as i using (instruction_id)
        where i.source_kind = 'warning'
        """
    ).pl()
    events = tasks.filter(pl.col("trigger_kind") == "event")
    assert events["instruction_id"].null_count() == events.height
    assert tasks.filter(pl.col("uninstructed"))["instruction_id"].null_count() == (
        tasks.filter(pl.col("uninstructed")).height
    )
    named = tasks.filter(pl.col("instruction_id").is_not_null())
    assert named.height > 0  # the tiny city instructs some of its warnings
    for task in named.iter_rows(named=True):
        sent = assignments.filter(
            (pl.col("instruction_id") == task["instruction_id"])
            & (pl.col("department") == task["department"])
        )
        assert sent.height == 1, task
        row = sent.row(0, named=True)
        assert row["status"] == task["instruction_status"]
        assert row["source_type"] == task["rule_id"]
        subject = (
            row["organisation_key"] if task["subject_kind"] == "organisation" else row["place_key"]
        )
        assert subject == task["subject_key"]
