-- The housing_construction sensor_telemetry's incident alarms as sensor_alarm events (macros/sensor_alarm_events.sql).
{{ sensor_alarm_events('housing_construction') }}
