-- Every source record's place in its delivery (file and row), for lineage back to landing/.
-- Detector counts are not listed: the warehouse refers to detectors, not to their readings.
-- Of the hourly air-quality readings, those an episode event starts at are.
{% set feeds = [
    'stg_market_regulation__food_business_licences', 'stg_market_regulation__food_inspections',
    'stg_market_regulation__food_sampling', 'stg_traffic_police__traffic_accidents',
    'stg_fire_rescue__fire_incidents', 'stg_fire_rescue__fire_inspections',
    'stg_emergency_management__enterprises', 'stg_emergency_management__hazard_sources',
    'stg_emergency_management__hidden_hazards', 'stg_emergency_management__work_accidents',
    'stg_ecology_environment__monitoring_stations', 'stg_ecology_environment__pollution_sources',
    'stg_ecology_environment__emission_exceedances',
] %}
{% for feed in feeds %}
    select source_record_id, _source_file as source_file, _source_row as source_row, delivery_date
    from {{ ref(feed) }}
    union all
{% endfor %}
select source_record_id, _source_file, _source_row, delivery_date
from {{ ref('stg_ecology_environment__air_quality_hourly') }}
where source_record_id in (select e.first_source_record_id from {{ ref('int_air_quality_episodes') }} as e)
