-- Generated from the contracts by `safecity contract generate`: edit those, not this.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['station_code'], on_schema_change='append_new_columns') }}
select
    station_code,
    arg_max(county_code, measured_at) as county_code,
    arg_max(latitude, measured_at) as latitude,
    arg_max(longitude, measured_at) as longitude,
    arg_max(station_name, measured_at) as station_name,
    arg_max(_source_file, measured_at) as _source_file,
    arg_max(_source_row, measured_at) as _source_row,
    max(measured_at) as last_reported_at,
    any_value(source_department) as source_department,
    any_value(source_feed) as source_feed,
    'water_levels:' || station_code as source_record_id,
    max(delivery_date) as delivery_date
from {{ ref('stg_water__water_levels') }}
where {{ delivery_days_to_build() }}
group by station_code
