-- Where each organisation is: its premises, installations, discharge sites, as the feeds say (the
-- mappings' premises relations; a site an organisation is only involved at is not its place).
select r.organisation_key, p.place_key, p.role, count(*) as source_mentions
from {{ ref('int_organisation_resolution') }} as r
join {{ ref('int_mention_relations') }} as rel
    on rel.source_feed = r.source_feed and rel.relation = 'premises' and rel.from_role = r.role
join {{ ref('int_place_resolution') }} as p
    on p.source_record_id = r.source_record_id and p.role = rel.to_role
group by all
