-- Where each organisation is: its premises, installations, discharge sites, as the feeds say.
select r.organisation_key, p.place_key, p.role, count(*) as source_mentions
from {{ ref('int_organisation_resolution') }} as r
join {{ ref('int_place_resolution') }} as p using (source_record_id)
where
    r.role in ('licensee', 'inspected', 'registered', 'operator', 'permit_holder', 'responsible_unit')
    and p.role in ('premises', 'inspected_premises', 'installation_site', 'discharge_site')
group by all
