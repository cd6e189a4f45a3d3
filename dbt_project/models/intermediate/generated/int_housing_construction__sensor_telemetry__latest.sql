-- Generated from the contracts by `safecity contract generate`: edit those, not this.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['device_id'], on_schema_change='append_new_columns') }}
select
    device_id,
    arg_max(asset_id, pushed_at) as asset_id,
    arg_max(asset_name, pushed_at) as asset_name,
    arg_max(device_type, pushed_at) as device_type,
    arg_max(latitude, pushed_at) as latitude,
    arg_max(longitude, pushed_at) as longitude,
    arg_max(_source_file, pushed_at) as _source_file,
    arg_max(_source_row, pushed_at) as _source_row,
    max(pushed_at) as last_reported_at,
    any_value(source_department) as source_department,
    any_value(source_feed) as source_feed,
    'sensor_telemetry:' || device_id as source_record_id,
    max(delivery_date) as delivery_date
from {{ ref('stg_housing_construction__sensor_telemetry') }}
where {{ delivery_days_to_build() }}
group by device_id
