select
    detector_id,
    road_name,
    longitude,
    latitude,
    interval_start,
    volume,
    avg_speed_kmh,
    occupancy_pct,
    {{ lineage_columns('traffic_police', 'traffic_flow', "detector_id || '@' || cast(interval_start as varchar)") }}
from {{ source('traffic_police', 'traffic_flow') }}
