-- One row per object: vehicles (normalised plates), hazard installations, monitoring
-- stations and traffic detectors; the owner where a feed says it (the operator named in the
-- same record), and the object's place.
with operators as (
    select source_record_id, any_value(organisation_key) as organisation_key
    from {{ ref('int_organisation_resolution') }}
    where role = 'operator'
    group by source_record_id
)
select
    o.object_key,
    any_value(o.kind) as kind,
    any_value(o.code) as code,
    mode(o.name) as name,
    max(op.organisation_key) as owner_organisation_key,
    max(o.place_key) as place_key,
    count(*) as source_mentions
from {{ ref('int_object_resolution') }} as o
left join operators as op on o.owner_uscc is not null and op.source_record_id = o.source_record_id
group by o.object_key
