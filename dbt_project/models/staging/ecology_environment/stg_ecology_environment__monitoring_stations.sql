select
    station_code,
    station_name,
    station_type,
    county_code,
    township_code,
    address,
    longitude,
    latitude,
    start_date,
    {{ lineage_columns('ecology_environment', 'monitoring_stations', 'station_code') }}
from {{ source('ecology_environment', 'monitoring_stations') }}
