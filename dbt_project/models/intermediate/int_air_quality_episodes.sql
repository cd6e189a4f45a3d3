-- Air-quality episodes: runs of hours in which a station's AQI is at level 4 (moderately
-- polluted) or worse. A reading below level 4 ends a run; a missing reading does not (a
-- rejected or late hour is not clean air), unless the station is silent for over 3 hours.
with readings as (
    select
        *,
        aqi_level >= 4 as polluted,
        lag(aqi_level >= 4) over w as previous_polluted,
        lag(measured_at) over w as previous_at
    from {{ ref('int_air_quality_hourly') }}
    window w as (partition by station_code order by measured_at)
),

runs as (
    select
        *,
        sum(
            case
                when
                    polluted and (previous_polluted is not true or measured_at - previous_at > interval 3 hour)
                    then 1
                else 0
            end
        )
            over (partition by station_code order by measured_at) as run_id
    from readings
)

select
    station_code,
    min(measured_at) as started_at,
    max(measured_at) + interval 1 hour as ended_at,
    count(*) as hours,
    max(aqi) as peak_aqi,
    max(aqi_level) as peak_level,
    arg_max(primary_pollutant, [aqi, epoch(measured_at)]) as primary_pollutant_at_peak,
    arg_min(source_record_id, measured_at) as first_source_record_id,
    arg_min(delivery_date, measured_at) as delivery_date
from runs
where polluted
group by station_code, run_id
