-- A gauge's day above its warning level as an event (the water/water_levels contract names this
-- model in its mapping's derivedEvents): the levels are compared, so it is computed, not
-- declared. One event per gauge and day of the city's calendar with any hour over its warning
-- level; it starts at the first such hour, whose record is its lineage.
with over as (
    select
        station_code,
        timezone('{{ city_var("city_timezone") }}', measured_at)::date as local_day,
        measured_at,
        water_level_m,
        warning_level_m,
        guaranteed_level_m,
        delivery_date,
        source_record_id
    from {{ ref('stg_water__water_levels') }}
    where water_level_m > warning_level_m
),

days as (
    select
        station_code,
        local_day,
        min(measured_at) as first_hour,
        count(*) as hours_over,
        max(water_level_m) as peak_level_m,
        arg_max(warning_level_m, water_level_m) as warning_level_m,
        bool_or(water_level_m > guaranteed_level_m) as over_guaranteed,
        arg_min(source_record_id, measured_at) as first_source_record_id,
        arg_min(delivery_date, measured_at) as delivery_date
    from over
    group by station_code, local_day
),

stations as (
    select station_code, arg_max(columns(* exclude (station_code)), measured_at)
    from {{ ref('stg_water__water_levels') }}
    group by station_code
)

select
    'water' as source_department,
    'water_levels' as source_feed,
    d.first_source_record_id as source_record_id,
    'water_level_exceedance' as event_type,
    'natural_disaster' as category,
    cast(null as varchar) as severity,
    d.first_hour as occurred_at,
    d.delivery_date,
    {{ location_key('s.longitude', 's.latitude', 'null', 's.county_code') }} as own_location_key,
    s.county_code,
    cast(null as bigint) as deaths,
    cast(null as bigint) as injuries,
    s.station_name || ' (' || coalesce(s.water_body, '') || '): peak ' || d.peak_level_m || ' m, '
    || round(d.peak_level_m - d.warning_level_m, 2) || ' m over the warning level for ' || d.hours_over || ' h'
    || case when d.over_guaranteed then ', over the guaranteed level' else '' end as description,
    cast(null as date) as due_date,
    cast(null as date) as resolved_date,
    cast(null as boolean) as major
from days as d
join stations as s using (station_code)
