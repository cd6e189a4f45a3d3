-- Generated from the contracts by `safecity contract generate`: edit those, not this.
-- The feeds whose contracts map them into the warehouse; gives_events: some of their records
-- are events (a mapped event, or events a model derives from them).
select * from (values
    ('command_centre', 'instructions', false),
    ('ecology_environment', 'air_quality_hourly', true),
    ('ecology_environment', 'emission_exceedances', true),
    ('ecology_environment', 'monitoring_stations', false),
    ('ecology_environment', 'pollution_sources', false),
    ('emergency_management', 'enterprises', false),
    ('emergency_management', 'hazard_sources', false),
    ('emergency_management', 'hidden_hazards', true),
    ('emergency_management', 'sensor_telemetry', true),
    ('emergency_management', 'work_accidents', true),
    ('fire_rescue', 'fire_incidents', true),
    ('fire_rescue', 'fire_inspections', true),
    ('housing_construction', 'sensor_telemetry', true),
    ('market_regulation', 'food_business_licences', false),
    ('market_regulation', 'food_inspections', true),
    ('market_regulation', 'food_sampling', true),
    ('meteorology', 'weather_observations', true),
    ('meteorology', 'weather_warnings', true),
    ('natural_resources', 'geohazard_incidents', true),
    ('natural_resources', 'geohazard_points', false),
    ('traffic_police', 'traffic_accidents', true),
    ('traffic_police', 'traffic_flow', false),
    ('water', 'water_levels', true),
    ('water', 'waterlogging_points', false)
) as t (source_department, source_feed, gives_events)
