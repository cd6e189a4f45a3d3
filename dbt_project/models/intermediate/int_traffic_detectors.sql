{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='detector_id') }}
-- One row per traffic detector, where and on which road it last reported. Detectors report
-- their position in every reading, so the warehouse names them from here rather than scanning
-- every reading of the busiest feed on each build: a daily build reads only the new days.
select
    detector_id,
    arg_max(road_name, interval_start) as road_name,
    arg_max(longitude, interval_start) as longitude,
    arg_max(latitude, interval_start) as latitude,
    max(interval_start) as last_reported_at,
    max(delivery_date) as delivery_date
from {{ ref('stg_traffic_police__traffic_flow') }}
where {{ delivery_days_to_build() }}
group by detector_id
