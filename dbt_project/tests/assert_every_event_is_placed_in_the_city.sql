-- Every event has a place with a county and a township that exist in the reference
-- hierarchy (the township within that county) and a WGS-84 point inside the city.
{{ config(meta={'dagster': {'ref': {'name': 'fct_event'}}}) }}  -- the asset it is a check on in Dagster
{% set b = city_var('city_bounds') %}
select e.event_key, e.place_key, p.county_code, p.township_code, p.longitude, p.latitude
from {{ ref('fct_event') }} as e
left join {{ ref('dim_place') }} as p using (place_key)
left join {{ ref('dim_admin_division') }} as county on county.division_code = p.county_code and county.level = 'county'
left join {{ ref('dim_admin_division') }} as township
    on township.division_code = p.township_code and township.level = 'township' and township.county_code = p.county_code
where
    p.place_key is null
    or county.division_code is null
    or township.division_code is null
    or not (
        p.longitude between {{ b.lon_min }} and {{ b.lon_max }}
        and p.latitude between {{ b.lat_min }} and {{ b.lat_max }}
    )
