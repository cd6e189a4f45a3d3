-- The emergency_management sensor_telemetry's incident alarms as sensor_alarm events (macros/sensor_alarm_events.sql).
{{ sensor_alarm_events('emergency_management') }}
