-- Rainstorm days at a weather station as events (the meteorology/weather_observations contract
-- names this model in its mapping's derivedEvents): a station whose rain over one day of the
-- city's calendar reaches var('rainstorm_day_mm') (GB/T 28592: 50 mm in 24 hours is 暴雨).
-- The day is the city's, not the UTC day the data service writes its hours in. Its lineage is
-- the day's first hour; it is known once the day's last hour is delivered.
with hours as (
    select
        station_code,
        timezone('{{ city_var("city_timezone") }}', observed_at)::date as local_day,
        observed_at,
        rain_1h_mm,
        delivery_date,
        source_record_id
    from {{ ref('stg_meteorology__weather_observations') }}
),

days as (
    select
        station_code,
        local_day,
        round(sum(rain_1h_mm), 1) as rain_mm,
        max(rain_1h_mm) as peak_hour_mm,
        min(observed_at) as first_hour,
        arg_min(source_record_id, observed_at) as first_source_record_id,
        max(delivery_date) as delivery_date
    from hours
    group by station_code, local_day
    having sum(rain_1h_mm) >= {{ var('rainstorm_day_mm') }}
),

stations as (
    select station_code, arg_max(columns(* exclude (station_code)), observed_at)
    from {{ ref('stg_meteorology__weather_observations') }}
    group by station_code
)

select
    'meteorology' as source_department,
    'weather_observations' as source_feed,
    d.first_source_record_id as source_record_id,
    'heavy_rainfall' as event_type,
    'natural_disaster' as category,
    cast(null as varchar) as severity,
    d.first_hour as occurred_at,
    d.delivery_date,
    {{ location_key('s.longitude', 's.latitude', 'null', 's.county_code') }} as own_location_key,
    s.county_code,
    cast(null as bigint) as deaths,
    cast(null as bigint) as injuries,
    s.station_name || ' ' || d.local_day || ': ' || d.rain_mm || ' mm (peak '
    || d.peak_hour_mm || ' mm/h)' as description,
    cast(null as date) as due_date,
    cast(null as date) as resolved_date,
    cast(null as boolean) as major
from days as d
join stations as s using (station_code)
