-- Traffic accidents within 500 m of a registered hazard source (重大危险源) in the last
-- 30 days of the data: one row per accident, with the nearest source and how many are near.
with installations as (
    select o.object_key, o.code, o.name, p.longitude, p.latitude
    from dim_object as o
    join dim_place as p using (place_key)
    where o.kind = 'hazard_installation'
),

accidents as (
    select e.event_key, e.occurred_at, e.description, p.longitude, p.latitude
    from fct_event as e
    join dim_place as p using (place_key)
    where
        e.event_type = 'traffic_accident'
        and e.occurred_at >= (
            select max(t.occurred_at) from fct_event as t
            where t.event_type = 'traffic_accident'
        ) - interval 30 day
),

pairs as (
    select
        a.event_key, a.occurred_at, a.description, i.code as hazard_source, i.name as installation,
        -- haversine distance in metres
        2 * 6371008.8 * asin(sqrt(
            pow(sin(radians(i.latitude - a.latitude) / 2), 2)
            + cos(radians(a.latitude)) * cos(radians(i.latitude)) * pow(sin(radians(i.longitude - a.longitude) / 2), 2)
        )) as distance_m
    from accidents as a
    join installations as i
        on abs(i.latitude - a.latitude) < 0.005 and abs(i.longitude - a.longitude) < 0.006  -- a cheap box first
)

select
    event_key,
    any_value(occurred_at) as occurred_at,
    any_value(description) as cause,
    arg_min(hazard_source, distance_m) as nearest_hazard_source,
    arg_min(installation, distance_m) as nearest_installation,
    round(min(distance_m)) as distance_m,
    count(*) as hazard_sources_within_500_m
from pairs
where distance_m <= 500
group by event_key
order by occurred_at desc
