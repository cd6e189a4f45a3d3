select
    station_code,
    measured_at,
    pm25_ugm3,
    pm10_ugm3,
    so2_ugm3,
    no2_ugm3,
    co_mgm3,
    o3_ugm3,
    {{ lineage_columns(
        'ecology_environment', 'air_quality_hourly', "station_code || '@' || cast(measured_at as varchar)"
    ) }}
from {{ source('ecology_environment', 'air_quality_hourly') }}
