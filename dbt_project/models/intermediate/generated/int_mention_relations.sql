-- Generated from the contracts by `safecity contract generate`: edit those, not this.
-- The relations the mappings declare between the mentions of one record: a person represents
-- an organisation; an organisation's premises or a site it is involved at; an object it owns;
-- where an object stands. from_role is the first kind's end (represents: the person).
select * from (values
    ('citizen_hotline', 'hotline_reports', 'site', 'reported_unit', 'incident_site'),
    ('command_centre', 'instructions', 'site', 'instructed_unit', 'instructed_site'),
    ('ecology_environment', 'monitoring_stations', 'locatedAt', 'station', 'station_site'),
    ('ecology_environment', 'pollution_sources', 'premises', 'permit_holder', 'discharge_site'),
    ('emergency_management', 'emergency_shelters', 'locatedAt', 'shelter', 'shelter_site'),
    ('emergency_management', 'enterprises', 'premises', 'registered', 'premises'),
    ('emergency_management', 'enterprises', 'represents', 'legal_representative', 'registered'),
    ('emergency_management', 'hazard_sources', 'locatedAt', 'installation', 'installation_site'),
    ('emergency_management', 'hazard_sources', 'owns', 'operator', 'installation'),
    ('emergency_management', 'hazard_sources', 'premises', 'operator', 'installation_site'),
    ('emergency_management', 'rescue_teams', 'locatedAt', 'rescue_team', 'team_base'),
    ('emergency_management', 'sensor_telemetry', 'locatedAt', 'hazard_device', 'hazard_device_site'),
    ('emergency_management', 'supply_depots', 'locatedAt', 'depot', 'depot_site'),
    ('emergency_management', 'work_accidents', 'site', 'responsible_unit', 'accident_site'),
    ('fire_rescue', 'fire_apparatus', 'owns', 'home_station', 'apparatus'),
    ('fire_rescue', 'fire_incidents', 'site', 'involved_unit', 'incident_site'),
    ('fire_rescue', 'fire_inspections', 'premises', 'inspected', 'inspected_premises'),
    ('fire_rescue', 'fire_stations', 'premises', 'fire_station', 'fire_station_site'),
    ('fire_rescue', 'water_sources', 'locatedAt', 'water_source', 'water_source_site'),
    ('housing_construction', 'sensor_telemetry', 'locatedAt', 'lifeline_device', 'lifeline_device_site'),
    ('housing_construction', 'sensor_telemetry', 'locatedAt', 'monitored_asset', 'lifeline_device_site'),
    ('market_regulation', 'food_business_licences', 'premises', 'licensee', 'premises'),
    ('market_regulation', 'food_business_licences', 'represents', 'legal_representative', 'licensee'),
    ('market_regulation', 'food_inspections', 'premises', 'inspected', 'inspected_premises'),
    ('meteorology', 'weather_observations', 'locatedAt', 'weather_station', 'weather_station_site'),
    ('natural_resources', 'geohazard_incidents', 'locatedAt', 'hazard_point', 'incident_site'),
    ('natural_resources', 'geohazard_points', 'locatedAt', 'hazard_point', 'hazard_site'),
    ('public_security', 'police_alarms', 'site', 'involved_unit', 'incident_site'),
    ('traffic_police', 'traffic_flow', 'locatedAt', 'detector', 'detector_site'),
    ('water', 'water_levels', 'locatedAt', 'gauge', 'gauge_site'),
    ('water', 'waterlogging_points', 'locatedAt', 'waterlogging_point', 'waterlogging_site')
) as t (source_department, source_feed, relation, from_role, to_role)
