-- One row per continuing warning: the days a rule raised it on one subject without a break, under
-- one identity (lifecycle_id, its first day's warning_id and its CAP Alert's identifier). Each
-- day's level and area, whether it is still in force, and when and why it was closed
-- (int_warning_closures). Its CAP messages are warning_messages.
with days as (select * from {{ ref('int_warning_days') }}),

closures as (select * from {{ ref('int_warning_closures') }})

select
    d.lifecycle_id,
    d.rule_id,
    d.event_type,
    d.subject_kind,
    d.subject_key,
    arg_max(d.subject_name, d.as_of_date) as subject_name,
    arg_max(d.responsible_department, d.as_of_date) as responsible_department,
    min(d.as_of_date) as first_day,
    max(d.as_of_date) as last_day,
    count(*) as days,
    list(
        {
            'as_of_date': d.as_of_date,
            'level': d.level,
            'colour': d.colour,
            'county_code': d.county_code,
            'township_code': d.township_code,
            'area_name': d.area_name,
            'longitude': d.longitude,
            'latitude': d.latitude
        }
        order by d.as_of_date
    ) as daily,
    arg_max(d.level, d.as_of_date) as level,
    min(d.level) as highest_level,
    min(d.issued_at) as first_issued_at,
    c.lifecycle_id is null as in_force,
    c.closed_on,
    c.closed_at,
    c.close_reason,
    -- The Alert, every Update, and the Cancel once it is closed.
    count(d.msg_type) + count(distinct c.lifecycle_id) as messages,
    count(*) filter (where d.msg_type = 'Update') as updates
from days as d
left join closures as c using (lifecycle_id)
group by
    d.lifecycle_id, d.rule_id, d.event_type, d.subject_kind, d.subject_key,
    c.lifecycle_id, c.closed_on, c.closed_at, c.close_reason
