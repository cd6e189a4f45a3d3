-- One row per event: every record that is an event of its own (int_event_reports), placed
-- (int_events_placed), with how many records report it (its own and those of the other
-- departments that heard of the same incident; bridge_event_report lists them).
with reports as (
    select event_key, count(*) as reports
    from {{ ref('int_event_reports') }}
    group by event_key
)

select
    p.event_key,
    p.event_type,
    p.category,
    p.severity,
    p.occurred_at,
    p.delivery_date,
    p.place_key,
    p.county_code,
    p.township_code,
    p.grid_cell_id,
    p.deaths,
    p.injuries,
    p.description,
    p.due_date,
    p.resolved_date,
    p.major_hazard,
    p.source_department,
    p.source_feed,
    p.source_record_id,
    r.reports
from {{ ref('int_events_placed') }} as p
join reports as r using (event_key)
