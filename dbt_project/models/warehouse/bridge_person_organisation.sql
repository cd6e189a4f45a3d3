-- Who represents which organisation, as the records say (the mappings' represents relations).
select p.person_key, r.organisation_key, p.role, count(*) as source_mentions
from {{ ref('int_person_resolution') }} as p
join {{ ref('int_mention_relations') }} as rel
    on rel.source_feed = p.source_feed and rel.relation = 'represents' and rel.from_role = p.role
join {{ ref('int_organisation_resolution') }} as r
    on r.source_record_id = p.source_record_id and r.role = rel.to_role
group by all
