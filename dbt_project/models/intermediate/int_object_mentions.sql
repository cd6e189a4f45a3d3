-- Every object a feed names: vehicles, hazard installations, monitoring stations, traffic detectors,
-- with its normalised code (the object linkage stage keys objects by it) and its location.
select * replace (coalesce(slot, 1) as slot) from (
    select
        source_department, source_feed, source_record_id, 'involved_vehicle' as role, slot, 'vehicle' as kind,
        'V:' || plate_normalised as code_key, plate_normalised as code, vehicle_type as name,
        cast(null as varchar) as owner_uscc, cast(null as varchar) as location_key
    from {{ ref('stg_traffic_police__accident_vehicles') }}
    where plate_normalised is not null
    union all by name
    select
        source_department, source_feed, source_record_id, 'installation' as role, 'hazard_installation' as kind,
        'I:' || hazard_source_code as code_key, hazard_source_code as code, installation_name as name,
        uscc as owner_uscc, {{ location_key('longitude', 'latitude', 'null', 'county_code') }} as location_key
    from {{ ref('stg_emergency_management__hazard_sources') }}
    union all by name
    select
        source_department, source_feed, source_record_id, 'station' as role, 'monitoring_station' as kind,
        'S:' || station_code as code_key, station_code as code, station_name as name,
        {{ location_key('longitude', 'latitude', 'address', 'county_code') }} as location_key
    from {{ ref('stg_ecology_environment__monitoring_stations') }}
    union all by name
    select
        'traffic_police' as source_department,
        'traffic_flow' as source_feed,
        'traffic_flow:' || detector_id as source_record_id,
        'detector' as role, 'traffic_detector' as kind, 'D:' || detector_id as code_key, detector_id as code,
        road_name as name,
        {{ location_key('longitude', 'latitude', 'null', 'null') }} as location_key
    from {{ ref('int_traffic_detectors') }}
)
