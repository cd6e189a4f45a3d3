-- HJ 633-2012 individual air quality index (IAQI) of every pollutant of every hourly reading.
-- The hourly (real-time) index uses the 1-hour breakpoints of SO2, NO2, CO and O3 and the
-- 24-hour breakpoints of PM10 and PM2.5 (the standard has no 1-hour ones). SO2 above
-- 800 µg/m³ in an hour has no 1-hour IAQI: the standard reports its 24-hour one instead,
-- computed here from the station's mean over the last 24 hours.
-- Built by delivery day: a daily build computes the new days' readings, with the day before
-- them read too for the 24-hour means.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='delivery_date') }}
with readings as (
    select
        *,
        avg(so2_ugm3) over (
            partition by station_code order by measured_at
            range between interval 23 hour preceding and current row
        ) as so2_24h_mean_ugm3
    from {{ ref('stg_ecology_environment__air_quality_hourly') }}
    where {{ delivery_days_to_build(lookback_days=1) }}
),

concentrations as (
    select
        station_code, measured_at, delivery_date, source_record_id,
        'pm25' as pollutant, '24h' as averaging_period, pm25_ugm3 as concentration
    from readings
    union all
    select
        station_code, measured_at, delivery_date, source_record_id,
        'pm10' as pollutant, '24h' as averaging_period, pm10_ugm3 as concentration
    from readings
    union all
    select
        station_code, measured_at, delivery_date, source_record_id,
        'so2' as pollutant,
        case when so2_ugm3 > 800 then '24h' else '1h' end as averaging_period,
        case when so2_ugm3 > 800 then so2_24h_mean_ugm3 else so2_ugm3 end as concentration
    from readings
    union all
    select
        station_code, measured_at, delivery_date, source_record_id,
        'no2' as pollutant, '1h' as averaging_period, no2_ugm3 as concentration
    from readings
    union all
    select
        station_code, measured_at, delivery_date, source_record_id,
        'co' as pollutant, '1h' as averaging_period, co_mgm3 as concentration
    from readings
    union all
    select
        station_code, measured_at, delivery_date, source_record_id,
        'o3' as pollutant, '1h' as averaging_period, o3_ugm3 as concentration
    from readings
),

segments as (select * from {{ ref('stg_reference__hj633_breakpoints') }}),

top_of_scale as (
    select pollutant, averaging_period, max(concentration_high) as concentration_max
    from segments
    group by all
)

select
    c.station_code,
    c.measured_at,
    c.delivery_date,
    c.source_record_id,
    c.pollutant,
    c.averaging_period,
    c.concentration,
    -- Linear between breakpoints, rounded up to a whole number (HJ 633 5.2). Above the top
    -- breakpoint the index is off the scale: 500.
    case
        when c.concentration > t.concentration_max then 500
        -- (rounded to 1e-9 first, so binary floating point never lifts a whole number by one)
        else ceil(round(
            s.iaqi_low + (s.iaqi_high - s.iaqi_low) * (c.concentration - s.concentration_low)
            / (s.concentration_high - s.concentration_low),
            9
        ))
    end::integer as iaqi
from concentrations as c
join top_of_scale as t using (pollutant, averaging_period)
left join segments as s
    on
        s.pollutant = c.pollutant
        and s.averaging_period = c.averaging_period
        and s.concentration_low <= c.concentration
        and (
            s.concentration_high > c.concentration
            or s.concentration_high = c.concentration and s.concentration_high = t.concentration_max
        )
where
    c.concentration is not null
    and {{ delivery_days_to_build() }}
