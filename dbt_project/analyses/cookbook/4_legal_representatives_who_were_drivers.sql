-- People who represent a registered enterprise and were drivers in traffic accidents:
-- one person, found in two silos by the keyed hash of the identity number.
select
    p.person_key,
    p.name,
    p.id_number_masked,
    string_agg(distinct o.name, '; ') as represents,
    count(distinct e.event_key) as accidents_as_driver,
    max(e.occurred_at) as last_accident
from dim_person as p
join bridge_person_organisation as po on po.person_key = p.person_key and po.role = 'legal_representative'
join dim_organisation as o on o.organisation_key = po.organisation_key
join bridge_event_person as ep on ep.person_key = p.person_key and ep.role = 'driver'
join fct_event as e on e.event_key = ep.event_key
where p.key_kind = 'identity_number'
group by p.person_key, p.name, p.id_number_masked
order by accidents_as_driver desc, p.person_key asc
