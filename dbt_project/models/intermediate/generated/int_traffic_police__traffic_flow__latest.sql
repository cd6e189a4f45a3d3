-- Generated from the contracts by `safecity contract generate`: edit those, not this.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['detector_id'], on_schema_change='append_new_columns') }}
select
    detector_id,
    arg_max(latitude, interval_start) as latitude,
    arg_max(longitude, interval_start) as longitude,
    arg_max(road_name, interval_start) as road_name,
    arg_max(_source_file, interval_start) as _source_file,
    arg_max(_source_row, interval_start) as _source_row,
    max(interval_start) as last_reported_at,
    any_value(source_department) as source_department,
    any_value(source_feed) as source_feed,
    'traffic_flow:' || detector_id as source_record_id,
    max(delivery_date) as delivery_date
from {{ ref('stg_traffic_police__traffic_flow') }}
where {{ delivery_days_to_build() }}
group by detector_id
