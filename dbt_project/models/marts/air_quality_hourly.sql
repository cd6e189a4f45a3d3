-- HJ 633-2012 hourly AQI per station: index, level (1-6, with its name and colour), primary
-- pollutant(s) and every pollutant's individual index.
select
    h.station_code,
    s.name as station_name,
    s.object_key as station_key,
    h.measured_at,
    h.aqi,
    h.aqi_level,
    case h.aqi_level
        when 1 then '优' when 2 then '良' when 3 then '轻度污染' when 4 then '中度污染' when 5 then '重度污染' else '严重污染'
    end as aqi_level_name,
    case h.aqi_level
        when 1 then 'green' when 2 then 'yellow' when 3 then 'orange' when 4 then 'red' when 5 then 'purple' else
            'maroon'
    end as aqi_colour,
    h.primary_pollutant,
    h.iaqi_pm25, h.iaqi_pm10, h.iaqi_so2, h.iaqi_no2, h.iaqi_co, h.iaqi_o3,
    h.pollutants_measured
from {{ ref('int_air_quality_hourly') }} as h
left join {{ ref('dim_object') }} as s on s.kind = 'monitoring_station' and s.code = h.station_code
