-- Every location a feed gives: a delivered point (WGS-84 in bronze), or an address in a county.
with mentions as (
    select
        source_department, source_feed, source_record_id, 'premises' as role,
        address, county_code, cast(null as varchar) as township_code,
        cast(null as double) as longitude, cast(null as double) as latitude
    from {{ ref('stg_market_regulation__food_business_licences') }}
    union all by name
    select source_department, source_feed, source_record_id, 'inspected_premises' as role, address, county_code
    from {{ ref('stg_market_regulation__food_inspections') }}
    union all by name
    select
        source_department,
        source_feed,
        source_record_id,
        'accident_site' as role,
        address,
        county_code,
        longitude,
        latitude
    from {{ ref('stg_traffic_police__traffic_accidents') }}
    union all by name
    select
        source_department,
        source_feed,
        source_record_id,
        'incident_site' as role,
        address,
        county_code,
        longitude,
        latitude
    from {{ ref('stg_fire_rescue__fire_incidents') }}
    union all by name
    select
        source_department,
        source_feed,
        source_record_id,
        'inspected_premises' as role,
        address,
        county_code,
        longitude,
        latitude
    from {{ ref('stg_fire_rescue__fire_inspections') }}
    union all by name
    select
        source_department,
        source_feed,
        source_record_id,
        'premises' as role,
        address,
        county_code,
        township_code,
        longitude,
        latitude
    from {{ ref('stg_emergency_management__enterprises') }}
    union all by name
    select
        source_department, source_feed, source_record_id, 'installation_site' as role, county_code, longitude, latitude
    from {{ ref('stg_emergency_management__hazard_sources') }}
    union all by name
    select
        source_department,
        source_feed,
        source_record_id,
        'accident_site' as role,
        address,
        county_code,
        township_code,
        longitude,
        latitude
    from {{ ref('stg_emergency_management__work_accidents') }}
    union all by name
    select
        source_department,
        source_feed,
        source_record_id,
        'station_site' as role,
        address,
        county_code,
        township_code,
        longitude,
        latitude
    from {{ ref('stg_ecology_environment__monitoring_stations') }}
    union all by name
    select
        source_department,
        source_feed,
        source_record_id,
        'discharge_site' as role,
        address,
        county_code,
        longitude,
        latitude
    from {{ ref('stg_ecology_environment__pollution_sources') }}
    union all by name
    -- One mention per detector, where it last reported.
    select
        'traffic_police' as source_department,
        'traffic_flow' as source_feed,
        'traffic_flow:' || detector_id as source_record_id,
        'detector_site' as role, longitude, latitude
    from {{ ref('int_traffic_detectors') }}
)

select *, {{ location_key('longitude', 'latitude', 'address', 'county_code') }} as location_key
from mentions
where longitude is not null or address is not null
