-- Every hidden hazard and fire hazard finding: found -> deadline -> rectified, and where it
-- stands on the newest delivery day. The department that found it follows it up.
with as_of as (select max(delivery_date) as day from {{ ref('fct_event') }}),

hazards as (
    select e.*, b.organisation_key
    from {{ ref('fct_event') }} as e
    left join
        {{ ref('bridge_event_organisation') }} as b
        on b.event_key = e.event_key and b.role not in {{ organisation_roles_that('responder') }}
    where e.event_type in {{ event_types_that('rectifiable') }}
)

select
    h.event_key,
    h.event_type,
    h.source_department as responsible_department,
    h.organisation_key,
    o.name as organisation_name,
    h.county_code,
    h.township_code,
    h.major_hazard,
    h.description,
    h.occurred_at::date as found_date,
    h.due_date,
    h.resolved_date,
    date_diff('day', h.occurred_at::date, h.resolved_date) as days_to_rectify,
    case
        when h.resolved_date is not null and h.resolved_date <= h.due_date then 'rectified_on_time'
        when h.resolved_date is not null then 'rectified_late'
        when h.due_date < a.day then 'open_overdue'
        else 'open_within_deadline'
    end as status,
    case when h.resolved_date is null and h.due_date < a.day then date_diff('day', h.due_date, a.day) end
        as days_overdue,
    a.day as as_of_date
from hazards as h
cross join as_of as a
left join {{ ref('dim_organisation') }} as o using (organisation_key)
