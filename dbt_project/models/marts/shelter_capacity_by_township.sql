-- Shelter capacity per township against the people the shelters there serve (the register's
-- service_population): a shortfall when the people served outnumber the places. A township
-- with no shelter is listed too, when the warehouse knows organisations there (no capacity).
with shelters as (
    select * from {{ ref('emergency_resources') }}
    where resource_kind = 'emergency_shelter' and township_code is not null
),

by_township as (
    select
        township_code,
        count(*) as shelters,
        sum(capacity) as capacity_persons,
        sum(people_served) as people_served,
        sum(area_m2) as area_m2
    from shelters
    group by township_code
),

occupied as (
    select distinct p.township_code
    from {{ ref('int_organisation_premises') }} as g
    join {{ ref('dim_place') }} as p on p.place_key = g.place_key
    where p.township_code is not null
)

select
    coalesce(b.township_code, o.township_code) as township_code,
    t.name as township_name,
    left(coalesce(b.township_code, o.township_code), 6) as county_code,
    coalesce(b.shelters, 0) as shelters,
    coalesce(b.capacity_persons, 0) as capacity_persons,
    b.people_served,
    b.area_m2,
    coalesce(b.people_served > b.capacity_persons, false) as shortfall,
    b.shelters is null as no_shelter,
    greatest(coalesce(b.people_served, 0) - coalesce(b.capacity_persons, 0), 0) as places_short
from by_township as b
full join occupied as o using (township_code)
left join {{ ref('dim_admin_division') }} as t on t.division_code = coalesce(b.township_code, o.township_code)
