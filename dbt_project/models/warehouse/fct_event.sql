-- One row per event: every record that is an event of its own (int_event_reports), placed
-- (int_events_placed), with how many records report it (its own and those of the other
-- departments that heard of the same incident; bridge_event_report lists them).
with reports as (
    select event_key, count(*) as reports
    from {{ ref('int_event_reports') }}
    group by event_key
)

select
    p.*,
    r.reports
from {{ ref('int_events_placed') }} as p
join reports as r using (event_key)
