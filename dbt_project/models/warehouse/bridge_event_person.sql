select distinct e.event_key, p.person_key, p.role
from {{ ref('fct_event') }} as e
join {{ ref('int_person_resolution') }} as p using (source_record_id)
