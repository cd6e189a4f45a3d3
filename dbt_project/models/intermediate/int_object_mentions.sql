-- Every object a feed names: vehicles, hazard installations, monitoring stations, traffic detectors.
select source_department, source_feed, source_record_id, 'involved_vehicle' as role, 'vehicle' as kind,
       'V:' || plate_normalised as object_key, plate_normalised as code, vehicle_type as name,
       cast(null as varchar) as owner_uscc, cast(null as varchar) as place_key
from {{ ref('stg_traffic_police__accident_vehicles') }}
where plate_normalised is not null
union all by name
select source_department, source_feed, source_record_id, 'installation', 'hazard_installation',
       'I:' || hazard_source_code, hazard_source_code, installation_name, uscc,
       {{ place_key('longitude', 'latitude', 'null', 'county_code') }}
from {{ ref('stg_emergency_management__hazard_sources') }}
union all by name
select source_department, source_feed, source_record_id, 'station', 'monitoring_station',
       'S:' || station_code, station_code, station_name, null,
       {{ place_key('longitude', 'latitude', 'address', 'county_code') }}
from {{ ref('stg_ecology_environment__monitoring_stations') }}
union all by name
select 'traffic_police', 'traffic_flow', 'traffic_flow:' || detector_id, 'detector', 'traffic_detector',
       'D:' || detector_id, detector_id, any_value(road_name), null,
       {{ place_key('any_value(longitude)', 'any_value(latitude)', 'null', 'null') }}
from {{ ref('stg_traffic_police__traffic_flow') }}
group by detector_id
