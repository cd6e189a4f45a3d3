-- Every person mention with the person it is, as person linkage decided (full identity
-- numbers exactly; masked numbers as evidence with name, phone and organisation).
select m.*, c.person_key, c.method, c.match_probability, c.matched_on
from {{ ref('int_person_mentions') }} as m
join {{ source('linkage', 'person_clusters') }} as c using (source_record_id, role, slot)
