-- Enterprises holding a registered hazard source, with a major hidden hazard past its
-- deadline and unrectified, and a fire at their premises in the last 10 days of the data.
with as_of as (select max(delivery_date) as day from fct_event),

hazard_holders as (
    select distinct owner_organisation_key as organisation_key
    from dim_object
    where kind = 'hazard_installation'
),

overdue as (
    select b.organisation_key, count(*) as overdue_major_hazards, min(e.due_date) as oldest_deadline
    from fct_event as e
    join bridge_event_organisation as b using (event_key)
    where
        e.event_type = 'hidden_hazard' and e.major_hazard and e.resolved_date is null
        and e.due_date < (select as_of.day from as_of)
    group by b.organisation_key
),

fires as (
    -- At their premises: the fire's place is the organisation's place.
    select o.organisation_key, count(*) as recent_fires, max(e.occurred_at) as last_fire
    from fct_event as e
    join dim_organisation as o on o.place_key = e.place_key
    where e.event_type = 'fire' and e.delivery_date > (select as_of.day from as_of) - interval 10 day
    group by o.organisation_key
)

select o.organisation_key, o.name, o.uscc, v.overdue_major_hazards, v.oldest_deadline, f.recent_fires, f.last_fire
from dim_organisation as o
join hazard_holders using (organisation_key)
join overdue as v using (organisation_key)
join fires as f using (organisation_key)
order by v.overdue_major_hazards desc, o.name asc
