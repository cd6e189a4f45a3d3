-- Every record that is an event or reports one: the event it is (its own, or the incident's
-- owner's it was resolved into, int_event_reports), as the record gave it.
select
    r.event_key,
    p.source_department,
    p.source_feed,
    p.source_record_id,
    p.event_type as reported_type,
    p.occurred_at as reported_at,
    p.place_key,
    r.is_event_record,
    r.minutes_apart,
    r.metres_apart
from {{ ref('int_event_reports') }} as r
join {{ ref('int_events_placed') }} as p using (source_record_id)
