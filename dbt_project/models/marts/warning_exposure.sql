-- What each warning in force puts at risk: within its area (radius_m around its point, as
-- the CAP alert's circle), the schools, hospitals, hazard installations and other categories
-- exposure_categories names, and the people the shelters there serve (the one population
-- figure the registers give). One row per warning and category; haversine distances.
with warnings as (
    select warning_id, rule_id, level, longitude, latitude, radius_m
    from {{ ref('warnings') }}
    where longitude is not null
),

subjects as (
    select c.category, g.organisation_key as subject_key, g.name, p.longitude, p.latitude, null::bigint as people
    from {{ ref('dim_organisation') }} as g
    join {{ ref('exposure_categories') }} as c on c.entity = 'organisation' and c.match_value = g.organisation_type
    join {{ ref('int_organisation_premises') }} as pr on pr.organisation_key = g.organisation_key
    join {{ ref('dim_place') }} as p on p.place_key = pr.place_key
    where p.longitude is not null
    union all
    select c.category, o.object_key, o.name, p.longitude, p.latitude, f.people_served
    from {{ ref('dim_object') }} as o
    join {{ ref('exposure_categories') }} as c on c.entity = 'object' and c.match_value = o.kind
    join {{ ref('dim_place') }} as p on p.place_key = o.place_key
    left join {{ ref('int_resource_figures') }} as f on f.resource_key = o.object_key
    where p.longitude is not null
),

radii as (
    select distinct radius_m from warnings
),

offsets as (select unnest([-1, 0, 1]) as step),

-- Candidates by an equality join on cells of each warning's radius (macros/distance.sql):
-- each subject in its cell at every radius warned of, each warning in the nine cells around
-- its point. (A join on the box alone ran as a nested loop: 12 s on the large city.)
subject_cells as (
    select
        s.*,
        r.radius_m,
        {{ cell_x('s.longitude', 'r.radius_m') }} as cx,
        {{ cell_y('s.latitude', 'r.radius_m') }} as cy
    from subjects as s
    cross join radii as r
),

warning_cells as (
    select
        w.warning_id,
        w.radius_m,
        w.longitude,
        w.latitude,
        {{ cell_x('w.longitude', 'w.radius_m') }} + ox.step as cx,
        {{ cell_y('w.latitude', 'w.radius_m') }} + oy.step as cy
    from warnings as w
    cross join offsets as ox
    cross join offsets as oy
),

exposed as (
    select
        w.warning_id, s.category, s.subject_key, s.name, s.people,
        {{ haversine_m('w.longitude', 'w.latitude', 's.longitude', 's.latitude') }} as distance_m
    from warning_cells as w
    join subject_cells as s using (radius_m, cx, cy)
    where
        abs(s.latitude - w.latitude) <= {{ lat_degrees('w.radius_m') }}
        and abs(s.longitude - w.longitude) <= {{ lon_degrees('w.radius_m') }}
        and {{ haversine_m('w.longitude', 'w.latitude', 's.longitude', 's.latitude') }} <= w.radius_m
)

select
    w.warning_id,
    w.rule_id,
    w.level,
    w.radius_m,
    c.category,
    count(e.subject_key) as exposed,
    sum(e.people) as people_served,
    -- by name where two are as far (the parts of one site): the same list at every build
    string_agg(e.name, '; ' order by e.distance_m, e.name) as names
from warnings as w
cross join {{ ref('exposure_categories') }} as c
left join exposed as e on e.warning_id = w.warning_id and e.category = c.category
group by all
