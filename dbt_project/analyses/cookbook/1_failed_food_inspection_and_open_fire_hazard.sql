-- Organisations with a failed food inspection and an open fire hazard (found by fire
-- and rescue, not yet rectified): two silos, one organisation.
select
    o.organisation_key,
    o.name,
    o.uscc,
    count(distinct food.event_key) as failed_food_inspections,
    count(distinct fire.event_key) as open_fire_hazards,
    min(fire.due_date) as earliest_deadline
from dim_organisation as o
join bridge_event_organisation as bf on bf.organisation_key = o.organisation_key
join fct_event as food on food.event_key = bf.event_key and food.event_type = 'food_inspection_failure'
join bridge_event_organisation as bh on bh.organisation_key = o.organisation_key
join fct_event as fire on fire.event_key = bh.event_key and fire.event_type = 'fire_hazard_finding'
where fire.resolved_date is null
group by all
order by open_fire_hazards desc, failed_food_inspections desc, o.name asc
