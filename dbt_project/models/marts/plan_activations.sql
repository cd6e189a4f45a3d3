-- Every plan an open event or a warning in force activates (emergency_plans). An event's
-- level is its severity (I-IV as 1-4; none: 4, general), a warning's its level. It activates
-- its trigger's plan for that level, else the nearest more severe one, else the nearest less
-- severe one: an event is never left without its type's plan. Open events as nearest_resources.
with plans as (
    select distinct plan_id, trigger_kind, trigger, level from {{ ref('emergency_plans') }}
),

newest as (select max(delivery_date) as day from {{ ref('fct_event') }}),

triggers as (
    select
        'event' as trigger_kind,
        e.event_key as trigger_key,
        e.event_type as trigger,
        case e.severity when 'I' then 1 when 'II' then 2 when 'III' then 3 else 4 end as level,
        e.occurred_at as activated_at,
        e.place_key,
        e.township_code,
        e.description
    from {{ ref('fct_event') }} as e
    cross join newest
    where
        e.event_type in {{ event_types_that('proximity') }}
        and e.resolved_date is null
        and e.occurred_at >= newest.day - to_days({{ var('resource_open_event_days') }})
    union all
    select
        'warning' as trigger_kind,
        w.warning_id as trigger_key,
        w.rule_id as trigger,
        w.level,
        w.issued_at as activated_at,
        null::varchar as place_key,
        w.township_code,
        w.reasons as description
    from {{ ref('warnings') }} as w
)

select
    t.trigger_kind,
    t.trigger_key,
    t.trigger,
    t.level,
    p.plan_id,
    p.level as plan_level,
    t.activated_at,
    t.township_code,
    t.description
from triggers as t
join plans as p on p.trigger_kind = t.trigger_kind and p.trigger = t.trigger
qualify row_number() over (
    partition by t.trigger_kind, t.trigger_key
    order by p.level > t.level, case when p.level <= t.level then -p.level else p.level end
) = 1
