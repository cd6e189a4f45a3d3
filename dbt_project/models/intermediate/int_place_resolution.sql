-- Every place mention with the place it is, as place linkage decided (standard addresses,
-- points within a few metres, and records that give both).
select m.*, c.place_key, c.standard_address, c.standard_township_code, c.method, c.match_probability, c.matched_on
from {{ ref('int_place_mentions') }} as m
join {{ source('linkage', 'place_clusters') }} as c using (location_key)
