-- Each incident alarm (sensor_alarms, severity incident) on each day of the city's calendar it is
-- active, keyed by that day's first sound reading of the episode. A leak that rises and stays
-- is then a sensor_alarm event every day it lasts (macros/sensor_alarm_events.sql), so its
-- warning is renewed day after day instead of being cancelled the day after the leak began.
with sound as (
    select device_id, measure, reading_at, source_record_id, delivery_date
    from {{ ref('int_sensor_reading_flags') }}
    where not out_of_range and not spike and not flatline
)

select
    a.alarm_id,
    a.source_department,
    a.device_id,
    a.device_type,
    a.asset_id,
    a.rule_id,
    a.measure,
    a.unit,
    a.peak,
    a.minutes,
    a.longitude,
    a.latitude,
    {{ city_date('s.reading_at') }} as active_on,
    min(s.reading_at) as occurred_at,
    arg_min(s.source_record_id, s.reading_at) as source_record_id,
    arg_min(s.delivery_date, s.reading_at) as delivery_date
from {{ ref('sensor_alarms') }} as a
inner join sound as s
    on
        s.device_id = a.device_id
        and s.measure = a.measure
        and s.reading_at between a.started_at and a.ended_at
where a.severity = 'incident'
group by all
