-- Air-quality episodes (AQI level 4 or worse for consecutive hours) with their station and
-- event. An episode at a station whose register entry was rejected has no place and no event
-- (event_key is null) until the register is delivered again: it is listed here all the same.
select
    e.station_code,
    s.name as station_name,
    s.object_key as station_key,
    e.started_at,
    e.ended_at,
    e.hours,
    e.peak_aqi,
    e.peak_level,
    e.primary_pollutant_at_peak,
    f.event_key,
    f.township_code,
    f.county_code
from {{ ref('int_air_quality_episodes') }} as e
left join {{ ref('dim_object') }} as s on s.kind = 'monitoring_station' and s.code = e.station_code
left join
    {{ ref('fct_event') }} as f
    on f.source_record_id = e.first_source_record_id and f.event_type = 'air_quality_episode'
