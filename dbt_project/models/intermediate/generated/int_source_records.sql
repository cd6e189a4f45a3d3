-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_citizen_hotline__hotline_reports') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_command_centre__instructions') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_ecology_environment__air_quality_hourly') }}
where source_record_id in (select d.source_record_id from {{ ref('int_air_quality_episode_events') }} as d)
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_ecology_environment__emission_exceedances') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_ecology_environment__monitoring_stations') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_ecology_environment__pollution_sources') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_emergency_management__emergency_shelters') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_emergency_management__enterprises') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_emergency_management__experts') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_emergency_management__hazard_sources') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_emergency_management__hidden_hazards') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_emergency_management__rescue_teams') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('int_emergency_management__sensor_telemetry__latest') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_emergency_management__sensor_telemetry') }}
where source_record_id in (select d.source_record_id from {{ ref('int_sensor_alarm_events_emergency_management') }} as d)
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_emergency_management__supply_depots') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_emergency_management__work_accidents') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_fire_rescue__fire_apparatus') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_fire_rescue__fire_incidents') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_fire_rescue__fire_inspections') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_fire_rescue__fire_stations') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_fire_rescue__water_sources') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_health__ambulance_dispatches') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_health__hospital_beds') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('int_housing_construction__sensor_telemetry__latest') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_housing_construction__sensor_telemetry') }}
where source_record_id in (select d.source_record_id from {{ ref('int_sensor_alarm_events_housing_construction') }} as d)
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_market_regulation__food_business_licences') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_market_regulation__food_inspections') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_market_regulation__food_sampling') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('int_meteorology__weather_observations__latest') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_meteorology__weather_observations') }}
where source_record_id in (select d.source_record_id from {{ ref('int_heavy_rainfall_events') }} as d)
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_meteorology__weather_warnings') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_natural_resources__geohazard_incidents') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_natural_resources__geohazard_points') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_public_security__police_alarms') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_public_security__standard_addresses') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_traffic_police__traffic_accidents') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('int_traffic_police__traffic_flow__latest') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('int_water__water_levels__latest') }}
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_water__water_levels') }}
where source_record_id in (select d.source_record_id from {{ ref('int_water_level_exceedance_events') }} as d)
union all
select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
from {{ ref('stg_water__waterlogging_points') }}
