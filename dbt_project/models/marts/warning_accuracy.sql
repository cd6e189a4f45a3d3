-- How well each warning rule foretells real events: of the subjects it warned on a day, how
-- many had one of the rule's outcome events in the following follow_up_days, against the
-- same share among the subjects of that kind it did not warn. Only days whose whole
-- follow-up window lies inside the data are scored. lift = warned hit rate / unwarned one.
-- A rule warning objects (the trigger rules) counts the objects of its kind. Days are the city's
-- calendar days: an event at 23:30 in the city is on that day, not the UTC one.
with rules as (select * from {{ ref('int_warning_rules') }}),

last_day as (select max(delivery_date) as day from {{ ref('fct_event') }}),

scored_days as (
    select
        r.rule_id, unnest(generate_series(
            (select min(e.delivery_date) from {{ ref('fct_event') }} as e),
            (select last_day.day from last_day) - r.follow_up_days,
            interval 1 day
        ))::date as as_of_date
    from rules as r
),

kinds as (
    select 'organisation' as subject_kind, cast(null as varchar) as object_kind, count(*) as subjects
    from {{ ref('dim_organisation') }}
    union all
    select 'place' as subject_kind, null as object_kind, count(*) as subjects from {{ ref('dim_place') }}
    where location_source = 'delivered'
    union all
    select 'station' as subject_kind, null as object_kind, count(*) as subjects from {{ ref('dim_object') }}
    where kind = 'monitoring_station'
    union all
    select 'object' as subject_kind, kind as object_kind, count(*) as subjects from {{ ref('dim_object') }}
    group by kind
),

population as (
    select r.rule_id, r.subject_kind, coalesce(k.subjects, 0) as subjects
    from rules as r
    left join kinds as k
        on k.subject_kind = r.subject_kind and k.object_kind is not distinct from r.subject_object_kind
),

rule_outcomes as (
    -- One row per rule and outcome event type: what the events are joined on (equality only).
    select
        rule_id,
        subject_kind,
        subject_object_kind,
        follow_up_days,
        unnest(string_split(outcome_event_types, '|')) as event_type
    from rules
),

outcome_days as (
    -- Each subject's outcome events of a rule, by the city's day they occurred on.
    select distinct ro.rule_id, ro.follow_up_days, s.subject_key, {{ city_date('s.occurred_at') }} as event_day
    from rule_outcomes as ro
    join {{ ref('int_subject_events') }} as s
        on s.subject_kind = ro.subject_kind and s.event_type = ro.event_type
    -- The object's kind for the object rules. (`ro.subject_kind = 'object'` in this join's
    -- condition made DuckDB compare every pair: minutes on a large city, 0.3 s without.)
    left join {{ ref('dim_object') }} as o on o.object_key = s.subject_key
    where ro.subject_kind <> 'object' or o.kind = ro.subject_object_kind
),

outcomes as (
    -- Subject, day and outcome event: an outcome follows a day when it occurs within the window
    -- after it, so it counts for each of the follow_up_days days before its own. Listing those
    -- days keeps every join an equality, where a range join compares every scored day with
    -- every subject event.
    select distinct e.rule_id, e.as_of_date, e.subject_key
    from (
        select
            rule_id,
            subject_key,
            cast(unnest(generate_series(event_day - follow_up_days, event_day - 1, interval 1 day)) as date)
                as as_of_date
        from outcome_days
    ) as e
    join scored_days using (rule_id, as_of_date)
),

warned as (
    select h.rule_id, h.as_of_date, h.subject_key
    from {{ ref('warning_history') }} as h
    join scored_days using (rule_id, as_of_date)
),

scored as (
    select
        r.rule_id,
        any_value(r.level) as level,
        any_value(r.follow_up_days) as follow_up_days,
        any_value(r.outcome_event_types) as outcome_event_types,
        (
            select count(*) from scored_days as d
            where d.rule_id = r.rule_id
        ) as days_scored,
        (
            select count(*) from warned as w
            where w.rule_id = r.rule_id
        ) as warned_subject_days,
        (
            select count(*) from warned as w join outcomes using (rule_id, as_of_date, subject_key)
            where w.rule_id = r.rule_id
        ) as warned_with_event,
        (
            select count(*) from outcomes as o
            where o.rule_id = r.rule_id
        ) as subject_days_with_event,
        any_value(p.subjects) as subjects
    from rules as r
    join population as p using (rule_id)
    group by r.rule_id
)

select
    rule_id,
    level,
    follow_up_days,
    outcome_event_types,
    days_scored,
    warned_subject_days,
    warned_with_event,
    round(warned_with_event / nullif(warned_subject_days, 0), 4) as warned_hit_rate,
    subjects * days_scored - warned_subject_days as unwarned_subject_days,
    subject_days_with_event - warned_with_event as unwarned_with_event,
    round((subject_days_with_event - warned_with_event) / nullif(subjects * days_scored - warned_subject_days, 0), 6)
        as unwarned_hit_rate,
    round(
        (warned_with_event / nullif(warned_subject_days, 0))
        / nullif(
            (subject_days_with_event - warned_with_event) / nullif(subjects * days_scored - warned_subject_days, 0), 0
        ),
        2
    ) as lift
from scored
