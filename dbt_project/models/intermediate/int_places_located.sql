-- Every place with a township and a WGS-84 point, and how its location is known:
--   delivered        a feed delivered the point;
--   organisation     an address-only place of an organisation located elsewhere with a point;
--   county_centroid  neither: the centre of the county's delivered points (approximate);
--   city_centroid    not even that (no feed delivered a point in the county yet): the centre
--                    of the city's delivered points, else of its extent (var city_bounds).
-- Every county of the city has a centre, so every place gets a point, and so a grid cell.
-- The township is the delivered one, else the nearest learned township centre in the county,
-- else (no centre learned in that county yet) the county's first township: township_source says which.
with mentions as (select * from {{ ref('int_place_resolution') }}),

centroids as (select * from {{ ref('int_township_centroids') }}),
{% set b = city_var('city_bounds') %}
city_centre as (
    select
        coalesce({{ mean_coordinate('longitude') }}, ({{ b.lon_min }} + {{ b.lon_max }}) / 2) as longitude,
        coalesce({{ mean_coordinate('latitude') }}, ({{ b.lat_min }} + {{ b.lat_max }}) / 2) as latitude
    from mentions
    where longitude is not null
),

learned_county_centres as (
    select county_code, {{ mean_coordinate('longitude') }} as longitude, {{ mean_coordinate('latitude') }} as latitude
    from mentions
    where longitude is not null and county_code is not null
    group by county_code
),

county_centres as (
    -- The city's counties from the reference, and any other county a feed located.
    select
        k.county_code,
        coalesce(l.longitude, c.longitude) as longitude,
        coalesce(l.latitude, c.latitude) as latitude,
        case when l.county_code is null then 'city_centroid' else 'county_centroid' end as location_source
    from (
        select code as county_code from {{ ref('stg_reference__counties') }}
        where city_code = '{{ city_var("city_code") }}'
        union
        select county_code from learned_county_centres
    ) as k
    left join learned_county_centres as l using (county_code)
    cross join city_centre as c
),

places as (
    select
        place_key,
        coalesce(min(standard_address), {{ most_common('address') }}) as address,
        -- Delivered as a code, or named in a standard address; its county is the place's county
        -- (the mentions of one place may name different counties: the township settles it).
        coalesce({{ most_common('township_code') }}, min(standard_township_code)) as delivered_township_code,
        coalesce(left(delivered_township_code, 6), {{ most_common('county_code') }}) as county_code,
        {{ mean_coordinate('longitude') }} as longitude,
        {{ mean_coordinate('latitude') }} as latitude,
        count(*) as mentions
    from mentions
    group by place_key
),

organisation_points as (
    -- An organisation's point: the most mentioned delivered point of any of its records (of
    -- places mentioned alike, the first by key; longitude and latitude of the same place).
    select
        r.organisation_key,
        arg_min({ 'longitude': p.longitude, 'latitude': p.latitude }, (-p.mentions, p.place_key)) as point
    from {{ ref('int_organisation_resolution') }} as r
    join mentions as m using (source_record_id)
    join places as p on p.place_key = m.place_key
    where p.longitude is not null
    group by r.organisation_key
),

address_points as (
    -- (An address of several organisations: the point of the first by key.)
    select m.place_key, arg_min(o.point, o.organisation_key) as point
    from mentions as m
    join {{ ref('int_organisation_resolution') }} using (source_record_id)
    join organisation_points as o using (organisation_key)
    where m.longitude is null
    group by m.place_key
),

county_fallbacks as (
    -- One place per county for events nothing else locates (its key: the county).
    select
        'C:' || county_code as place_key, null as address, county_code, null as delivered_township_code,
        longitude, latitude, 0 as mentions, location_source
    from county_centres
),

located as (
    select
        p.place_key, p.address, p.county_code, p.delivered_township_code,
        coalesce(p.longitude, a.point.longitude, c.longitude, city.longitude) as longitude,
        coalesce(p.latitude, a.point.latitude, c.latitude, city.latitude) as latitude,
        p.mentions,
        case
            when p.longitude is not null then 'delivered'
            when a.point is not null then 'organisation'
            else coalesce(c.location_source, 'city_centroid')
        end as location_source
    from places as p
    left join address_points as a using (place_key)
    left join county_centres as c using (county_code)
    cross join city_centre as city
    union all by name
    select * from county_fallbacks
),

nearest_township as (
    select
        l.place_key,
        arg_min(t.township_code, ((t.longitude - l.longitude) ^ 2 + (t.latitude - l.latitude) ^ 2, t.township_code))
            as township_code
    from located as l
    -- A place without a county (a detector) takes the nearest township anywhere in the city.
    join centroids as t on t.county_code = l.county_code or l.county_code is null
    where l.delivered_township_code is null
    group by l.place_key
),

county_first_township as (
    -- Last resort where no township of the county has a learned centre yet.
    select county_code, min(code) as township_code from {{ ref('stg_reference__townships') }}
    group by county_code
)

select
    l.place_key,
    l.address,
    coalesce(l.county_code, left(n.township_code, 6)) as county_code,
    coalesce(l.delivered_township_code, n.township_code, f.township_code) as township_code,
    case
        when l.delivered_township_code is not null then 'delivered'
        when n.township_code is not null then 'nearest_centre'
        else 'county_default'
    end as township_source,
    l.longitude,
    l.latitude,
    l.location_source,
    l.mentions
from located as l
left join nearest_township as n using (place_key)
left join county_first_township as f on f.county_code = l.county_code
