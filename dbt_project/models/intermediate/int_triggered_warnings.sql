-- The cross-department trigger rules (seeds/config/warning_rule_triggers.csv), one generic query:
-- on every day, a subject is warned when at least `threshold` events of the trigger types
-- (description matching trigger_pattern, when given) occurred in the last window_days of the
-- city's calendar, delivered by that day: for an object of the rule's kind, in the object's
-- county (match county) or within radius_m of it (match radius); for an organisation, events
-- that name it (match named: citizens' complaints about it). Rows as warning_history's other
-- rules give.
with rules as (select * from {{ ref('warning_rule_triggers') }}),

days as (select * from {{ ref('int_warning_rule_days') }}),

subjects as (
    select o.object_key, o.kind, o.name, p.county_code, p.longitude, p.latitude
    from {{ ref('dim_object') }} as o
    join {{ ref('dim_place') }} as p using (place_key)
    where o.kind in (select r.subject_object_kind from rules as r)
),

trigger_types as (
    select rule_id, unnest(string_split(trigger_event_types, '|')) as event_type, trigger_pattern
    from rules
),

triggers as (
    select
        r.rule_id, e.event_key, e.event_type, e.description, e.first_delivery_date,
        {{ city_date('e.occurred_at') }} as local_day,
        e.county_code, p.longitude, p.latitude, p.location_source
    from trigger_types as r
    join {{ ref('fct_event') }} as e
        on
            e.event_type = r.event_type
            and (
                r.trigger_pattern is null or r.trigger_pattern = ''
                or regexp_matches(e.description, r.trigger_pattern)
            )
    left join {{ ref('dim_place') }} as p on p.place_key = e.place_key
),

matched as (
    select r.rule_id, s.object_key as subject_key, t.event_key, t.local_day, t.first_delivery_date, t.description
    from rules as r
    join triggers as t on t.rule_id = r.rule_id
    join subjects as s
        on
            r.subject_kind = 'object'
            and s.kind = r.subject_object_kind
            and (
                (r.match = 'county' and s.county_code = t.county_code)
                or (
                    r.match = 'radius' and t.location_source = 'delivered'
                    and {{ haversine_m('t.longitude', 't.latitude', 's.longitude', 's.latitude') }} <= r.radius_m
                )
            )
    union all
    select r.rule_id, n.subject_key, t.event_key, t.local_day, t.first_delivery_date, t.description
    from rules as r
    join triggers as t on t.rule_id = r.rule_id
    join {{ ref('int_subject_events') }} as n
        on
            n.event_key = t.event_key
            and n.subject_kind = 'organisation'
            and n.relation = 'named'
    where r.subject_kind = 'organisation' and r.match = 'named'
)

select
    d.as_of_date,
    m.rule_id,
    m.subject_key,
    m.subject_key as located_by,
    count(*) as evidence,
    string_agg(m.description, '; ' order by m.local_day, m.description) as reasons
from matched as m
join rules as r using (rule_id)
join days as d
    on
        d.as_of_date >= m.first_delivery_date
        and d.as_of_date < m.local_day + r.window_days and d.as_of_date >= m.local_day
group by d.as_of_date, m.rule_id, m.subject_key
having count(*) >= any_value(r.threshold)
