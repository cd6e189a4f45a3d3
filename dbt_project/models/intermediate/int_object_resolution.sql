-- Every object mention with the object it is (its normalised code, keyed stably by object
-- linkage) and the place it stands at.
select m.*, c.object_key, c.method, c.match_probability, c.matched_on, p.place_key
from {{ ref('int_object_mentions') }} as m
join {{ source('linkage', 'object_clusters') }} as c using (code_key)
left join {{ source('linkage', 'place_clusters') }} as p using (location_key)
