select distinct e.event_key, r.organisation_key, r.role
-- Every report's mentions belong to the event it reports (one incident, one event).
from {{ ref('bridge_event_report') }} as e
join {{ ref('int_organisation_resolution') }} as r using (source_record_id)
