select p.person_key, r.organisation_key, p.role, count(*) as source_mentions
from {{ ref('int_person_resolution') }} as p
join {{ ref('int_organisation_resolution') }} as r using (source_record_id)
where p.role = 'legal_representative' and r.role in ('registered', 'licensee')
group by all
