select distinct e.event_key, o.object_key, o.role
from {{ ref('fct_event') }} as e
join {{ ref('int_object_resolution') }} as o using (source_record_id)
