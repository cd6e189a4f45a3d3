-- HJ 633-2012 hourly AQI of every station: the highest IAQI, its level, and the primary
-- pollutant(s) when the AQI is above 50.
-- Built by delivery day, as its readings are.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='delivery_date') }}
with iaqi as (
    select * from {{ ref('int_air_quality_iaqi') }}
    where {{ delivery_days_to_build() }}
),

hourly as (
    select
        station_code,
        measured_at,
        any_value(delivery_date) as delivery_date,
        any_value(source_record_id) as source_record_id,
        max(iaqi) as aqi,
        count(*) as pollutants_measured,
        max(iaqi) filter (where pollutant = 'pm25') as iaqi_pm25,
        max(iaqi) filter (where pollutant = 'pm10') as iaqi_pm10,
        max(iaqi) filter (where pollutant = 'so2') as iaqi_so2,
        max(iaqi) filter (where pollutant = 'no2') as iaqi_no2,
        max(iaqi) filter (where pollutant = 'co') as iaqi_co,
        max(iaqi) filter (where pollutant = 'o3') as iaqi_o3
    from iaqi
    group by station_code, measured_at
),

primary_pollutants as (
    select i.station_code, i.measured_at, string_agg(i.pollutant, ',' order by i.pollutant) as primary_pollutant
    from iaqi as i
    join hourly as h using (station_code, measured_at)
    where h.aqi > 50 and i.iaqi = h.aqi
    group by all
)

select
    h.*,
    {{ aqi_level('h.aqi') }} as aqi_level,
    p.primary_pollutant
from hourly as h
left join primary_pollutants as p using (station_code, measured_at)
