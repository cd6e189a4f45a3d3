-- A department's incident alarms as sensor_alarm events of fct_event, one on each day an alarm is
-- active (int_sensor_alarm_days), placed at the device and keyed by that day's first push of the
-- alarm, so that warning_rule_triggers warns the installation or asset it watches for as long as
-- the alarm lasts. Incident alarms of one device active from the same push are one event. One
-- model per department delivering sensor_telemetry (int_sensor_alarm_events_<department>, named
-- by its contract's derivedEvents: a derived-event model belongs to one feed).
{% macro sensor_alarm_events(department) -%}
select
    '{{ department }}' as source_department,
    'sensor_telemetry' as source_feed,
    a.source_record_id,
    'sensor_alarm' as event_type,
    'accident_disaster' as category,
    cast(null as varchar) as severity,
    a.occurred_at,
    a.delivery_date,
    {{ location_key('a.longitude', 'a.latitude', 'null', 'null') }} as own_location_key,
    cast(null as varchar) as county_code,
    cast(null as bigint) as deaths,
    cast(null as bigint) as injuries,
    a.asset_id || ' ' || a.device_type || ' ' || a.device_id || ': ' || a.rule_id || ', ' || a.measure || ' peak '
    || a.peak || coalesce(' ' || a.unit, '') || ' for ' || round(a.minutes) || ' min' as description,
    cast(null as date) as due_date,
    cast(null as date) as resolved_date,
    cast(null as boolean) as major
from {{ ref('int_sensor_alarm_days') }} as a
where a.source_department = '{{ department }}'
-- alarms of one device active from the same push are one event
qualify row_number() over (partition by a.source_record_id order by a.occurred_at, a.rule_id) = 1
{%- endmacro %}
