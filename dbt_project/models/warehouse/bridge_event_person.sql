select distinct e.event_key, p.person_key, p.role
-- Every report's mentions belong to the event it reports (one incident, one event).
from {{ ref('bridge_event_report') }} as e
join {{ ref('int_person_resolution') }} as p using (source_record_id)
