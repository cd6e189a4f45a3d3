-- One row per object: vehicles (normalised plates), hazard installations, monitoring
-- stations and traffic detectors; the owner where a feed says it, and the object's place.
select
    o.object_key,
    any_value(o.kind) as kind,
    any_value(o.code) as code,
    mode(o.name) as name,
    case when max(o.owner_uscc) is not null then 'U:' || max(o.owner_uscc) end as owner_organisation_key,
    max(o.place_key) as place_key,
    count(*) as source_mentions
from {{ ref('int_object_mentions') }} as o
group by o.object_key
