-- Counties ranked by events per 1,000 enterprises on the work-safety register, with the
-- kinds of event behind each rate.
with enterprises as (
    select p.county_code, count(distinct x.entity_key) as enterprises
    from xref_source_record as x
    join dim_organisation as o on o.organisation_key = x.entity_key
    join dim_place as p on p.place_key = o.place_key
    where x.source_feed = 'enterprises' and x.entity_kind = 'organisation'
    group by p.county_code
),

events as (
    select
        county_code, count(*) as events,
        count(*) filter (where event_type = 'traffic_accident') as traffic_accidents,
        count(*) filter (where event_type in ('fire', 'rescue', 'social_assistance')) as fire_incidents,
        count(*) filter (where event_type in ('hidden_hazard', 'fire_hazard_finding')) as hazard_findings
    from fct_event
    group by county_code
)

select
    d.division_code as county_code,
    d.name as county,
    e.enterprises,
    v.events,
    round(1000.0 * v.events / e.enterprises, 1) as events_per_1000_enterprises,
    v.traffic_accidents,
    v.fire_incidents,
    v.hazard_findings
from enterprises as e
join events as v using (county_code)
join dim_admin_division as d on d.division_code = e.county_code and d.level = 'county'
order by events_per_1000_enterprises desc, county_code asc
