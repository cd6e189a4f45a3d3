select
    accident_id,
    occurred_at,
    longitude,
    latitude,
    road_name,
    address,
    county_code,
    deaths,
    injuries,
    cause,
    weather,
    len(vehicles) as vehicle_count,
    {{ lineage_columns('traffic_police', 'traffic_accidents', 'accident_id') }}
from {{ source('traffic_police', 'traffic_accidents') }}
