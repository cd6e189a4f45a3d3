-- One row per event: every record that is an event of its own (int_event_reports), placed
-- (int_events_placed), with how many records report it (its own and those of the other
-- departments that heard of the same incident; bridge_event_report lists them) and the first
-- day any of them was delivered.
with reports as (
    select r.event_key, count(*) as reports, min(e.delivery_date) as first_delivery_date
    from {{ ref('int_event_reports') }} as r
    join {{ ref('int_events_placed') }} as e using (source_record_id)
    group by r.event_key
)

select
    p.*,
    r.reports,
    r.first_delivery_date
from {{ ref('int_events_placed') }} as p
join reports as r using (event_key)
