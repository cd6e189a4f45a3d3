-- The facts a risk profile is made of, per subject (organisation, place, township), counted
-- as of the newest delivery: events at or concerning it, hazards past their deadline and
-- still open on that day, and the grade of the major hazard sources it holds.
with as_of as (select max(delivery_date) as day from {{ ref('fct_event') }}),

subject_events as (
    select * from {{ ref('int_subject_events') }}
    where subject_kind in ('organisation', 'place')
),

-- A hazard is the concern of whoever is named in it, not of a neighbour.
overdue as (
    -- (a place's weights do not tell major hazards apart)
    select
        s.*,
        case
            when s.major_hazard and s.subject_kind = 'organisation' then 'overdue_major_hazard'
            else 'overdue_hazard'
        end as fact
    from subject_events as s
    where
        s.event_type in {{ event_types_that('rectifiable') }}
        and s.resolved_date is null and s.due_date < (select as_of.day from as_of)
        and (s.subject_kind = 'place' or s.relation = 'named')
),

event_facts as (
    select
        subject_kind, subject_key, event_type as fact, count(*) as occurrences,
        max(occurred_at)::date as latest
    from subject_events
    where event_type not in {{ event_types_that('rectifiable') }}
    group by all
    union all
    select subject_kind, subject_key, fact, count(*) as occurrences, min(due_date) as latest
    from overdue
    group by all
),

grades as (
    select * from {{ ref('hazard_source_grades') }}
    where grade is not null
),

grade_facts as (
    select
        'organisation' as subject_kind, organisation_key as subject_key,
        'hazard_source_grade_' || min(grade) as fact, 1 as occurrences, max(declared_on) as latest
    from grades
    where organisation_key is not null
    group by organisation_key
),

township_events as (
    select township_code, event_type, occurred_at, due_date, resolved_date
    from {{ ref('fct_event') }}
),

township_facts as (
    select
        'township' as subject_kind, township_code as subject_key,
        case when event_type in {{ event_types_that('rectifiable') }} then 'overdue_hazard' else event_type end
            as fact,
        count(*) as occurrences, max(occurred_at)::date as latest
    from township_events
    where
        event_type not in {{ event_types_that('rectifiable') }}
        or (resolved_date is null and due_date < (select as_of.day from as_of))
    group by all
    union all
    select
        'township' as subject_kind, township_code as subject_key, 'hazard_source_grade_' || grade as fact,
        count(*) as occurrences, max(declared_on) as latest
    from grades
    where township_code is not null
    group by all
)

select * from event_facts
union all
select * from grade_facts
union all
select * from township_facts
