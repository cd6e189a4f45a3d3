-- Fire-station coverage gaps per township: the organisations' premises (places) farther than
-- coverage_km (resource_settings, fire_station) from every fire station, by the township the
-- place is in. A township is listed when it has one; the distance is haversine (straight line,
-- as nearest_resources), a stand-in for the 5 minutes of 建标 152 until travel times exist.
with setting as (
    select coverage_km from {{ ref('resource_settings') }}
    where resource_kind = 'fire_station'
),

stations as (
    select resource_key, longitude, latitude
    from {{ ref('emergency_resources') }}
    where resource_kind = 'fire_station' and longitude is not null
),

-- Organisations' own premises (bridge_organisation_place: every place an organisation is said
-- to be at, so two branches linkage took for one still count twice), fire stations aside; an
-- organisation only seen at an incident or a site is not placed there.
organisations as (
    select
        b.place_key,
        string_agg(distinct g.name, '/') as name,
        any_value(p.township_code) as township_code,
        any_value(p.longitude) as longitude,
        any_value(p.latitude) as latitude
    from {{ ref('bridge_organisation_place') }} as b
    join {{ ref('dim_organisation') }} as g on g.organisation_key = b.organisation_key
    join {{ ref('dim_place') }} as p on p.place_key = b.place_key
    where
        -- a point delivered for it: a place known only by its address stands at its county's
        -- centre, which says nothing of how far it is from a station
        p.location_source in ('delivered', 'organisation') and p.township_code is not null
        and g.organisation_type is distinct from (
            select s.match_value from {{ ref('resource_settings') }} as s
            where s.resource_kind = 'fire_station'
        )
    group by b.place_key
),

offsets as (select unnest([-1, 0, 1]) as step),

-- Covered: a station within reach, found through cells of coverage_km (the cell and its
-- eight neighbours hold every point within it).
organisation_cells as (
    select
        o.place_key,
        o.longitude,
        o.latitude,
        floor(o.longitude / (setting.coverage_km / 55.5))::bigint + ox.step as cx,
        floor(o.latitude / (setting.coverage_km / 111.0))::bigint + oy.step as cy
    from organisations as o
    cross join setting
    cross join offsets as ox
    cross join offsets as oy
),

station_cells as (
    select
        s.longitude,
        s.latitude,
        floor(s.longitude / (setting.coverage_km / 55.5))::bigint as cx,
        floor(s.latitude / (setting.coverage_km / 111.0))::bigint as cy
    from stations as s
    cross join setting
),

covered as (
    select distinct o.place_key
    from organisation_cells as o
    inner join station_cells as s on s.cx = o.cx and s.cy = o.cy
    cross join setting
    where {{ haversine_m('o.longitude', 'o.latitude', 's.longitude', 's.latitude') }} <= setting.coverage_km * 1000
),

uncovered as (
    select
        o.*,
        (
            select min({{ haversine_m('o.longitude', 'o.latitude', 's.longitude', 's.latitude') }})
            from stations as s
        ) as nearest_station_m
    from organisations as o
    anti join covered using (place_key)
)

select
    u.township_code,
    t.name as township_name,
    left(u.township_code, 6) as county_code,
    count(*) as premises_uncovered,
    (
        select count(*) from organisations as o
        where o.township_code = u.township_code
    ) as premises,
    round(max(u.nearest_station_m) / 1000, 2) as farthest_km,
    any_value(setting.coverage_km) as coverage_km,
    string_agg(u.name, '; ' order by u.nearest_station_m desc) as organisations_listed,
    'haversine' as method
from uncovered as u
cross join setting
left join {{ ref('dim_admin_division') }} as t on t.division_code = u.township_code
group by u.township_code, t.name
