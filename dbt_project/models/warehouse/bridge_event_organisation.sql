select distinct e.event_key, r.organisation_key, r.role
from {{ ref('fct_event') }} as e
join {{ ref('int_organisation_resolution') }} as r using (source_record_id)
