-- How well each warning rule foretells real events: of the subjects it warned on a day, how
-- many had one of the rule's outcome events in the following follow_up_days, against the
-- same share among the subjects of that kind it did not warn. Only days whose whole
-- follow-up window lies inside the data are scored. lift = warned hit rate / unwarned one.
-- A rule warning objects (the trigger rules) counts the objects of its kind. Days are the city's
-- calendar days: an event at 23:30 in the city is on that day, not the UTC one.
with rules as (select * from {{ ref('int_warning_rules') }}),

last_day as (select max(delivery_date) as day from {{ ref('fct_event') }}),

-- The days each rule is scored on: from the first delivery to the last day whose follow-up
-- window the data covers (none when the data is shorter than the window).
scored_range as (
    select
        r.rule_id,
        r.follow_up_days,
        (select min(e.delivery_date) from {{ ref('fct_event') }} as e) as first_day,
        (select last_day.day from last_day) - r.follow_up_days as last_scored_day
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

-- A subject has an outcome in the window after day d when one of its outcome days e has
-- d < e <= d + follow_up_days: the days it counts for are [e - follow_up_days, e - 1]. Their
-- union, within the scored days, is counted by adding for each outcome day the days not
-- already counted for the one before it, so no subject-day is listed (listing them took
-- tens of millions of rows on a large city).
subject_days_with_event as (
    select
        o.rule_id,
        cast(sum(greatest(
            least(o.event_day - 1, d.last_scored_day)
            -- (greatest passes over a null: the first outcome day has none before it)
            - greatest(o.event_day - o.follow_up_days, o.previous_day, d.first_day)
            + 1,
            0
        )) as bigint) as subject_days
    from (
        select
            *,
            lag(event_day) over (partition by rule_id, subject_key order by event_day) as previous_day
        from outcome_days
    ) as o
    join scored_range as d using (rule_id)
    group by o.rule_id
),

-- Each rule's warned subject-days in the scored days, and those an outcome day follows
-- within the window.
warned as (
    select
        h.rule_id,
        count(*) as subject_days,
        count(*) filter (
            where exists (
                select 1 from outcome_days as o
                where
                    o.rule_id = h.rule_id and o.subject_key = h.subject_key
                    and o.event_day > h.as_of_date and o.event_day <= h.as_of_date + d.follow_up_days
            )
        ) as with_event
    from {{ ref('warning_history') }} as h
    join scored_range as d using (rule_id)
    where h.as_of_date between d.first_day and d.last_scored_day
    group by h.rule_id
),

scored as (
    select
        r.rule_id,
        any_value(r.level) as level,
        any_value(r.follow_up_days) as follow_up_days,
        any_value(r.outcome_event_types) as outcome_event_types,
        greatest(any_value(d.last_scored_day) - any_value(d.first_day) + 1, 0) as days_scored,
        coalesce(any_value(w.subject_days), 0) as warned_subject_days,
        coalesce(any_value(w.with_event), 0) as warned_with_event,
        coalesce(any_value(sd.subject_days), 0) as subject_days_with_event,
        any_value(p.subjects) as subjects
    from rules as r
    join population as p using (rule_id)
    join scored_range as d using (rule_id)
    left join warned as w using (rule_id)
    left join subject_days_with_event as sd using (rule_id)
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
