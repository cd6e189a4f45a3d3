select distinct e.event_key, o.object_key, o.role
-- Every report's mentions belong to the event it reports (one incident, one event).
from {{ ref('bridge_event_report') }} as e
join {{ ref('int_object_resolution') }} as o using (source_record_id)
