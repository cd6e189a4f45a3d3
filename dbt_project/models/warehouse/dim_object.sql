-- One row per object: vehicles (normalised plates), hazard installations, monitoring
-- stations and traffic detectors; the owner where a feed says it (the operator named in the
-- same record), and the object's place.
with operators as (
    select source_record_id, min(organisation_key) as organisation_key
    from {{ ref('int_organisation_resolution') }}
    where role = 'operator'
    group by source_record_id
)
select
    o.object_key,
    any_value(o.kind) as kind,
    any_value(o.code) as code,
    {{ most_common('o.name') }} as name,
    -- The condition is here, not in the join: there it would make the join a nested loop.
    max(case when o.owner_uscc is not null then op.organisation_key end) as owner_organisation_key,
    max(o.place_key) as place_key,
    count(*) as source_mentions
from {{ ref('int_object_resolution') }} as o
left join operators as op on op.source_record_id = o.source_record_id
group by o.object_key
